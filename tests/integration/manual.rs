//! [manual] Manual mode with in-process doubles: the offer, choices on the
//! stream and through ChooseRelease, races and bad input (how runs end
//! otherwise: `manual_ends`). Both stores.

use musicagg::proto::v1 as pb;
use pb::WorkflowStatus as S;
use tonic::Code;

use crate::doubles::{Fake, HASH_A, HASH_B, Step, release};
use crate::harness::{Backend, TestApp, Watcher, start, start_message, within};
use crate::stream::ALBUM;

/// The offer's steps before it: the usual four, then AWAITING_CHOICE.
pub const UNTIL_OFFER: [S; 5] = [
    S::FetchingMetadata,
    S::CheckingOwned,
    S::Searching,
    S::ParsingResults,
    S::AwaitingChoice,
];

pub fn manual(album: &str, quality: pb::Quality) -> pb::StartMonitorRequest {
    pb::StartMonitorRequest {
        mode: pb::MonitorMode::Manual.into(),
        ..start(album, quality)
    }
}

/// One acceptable release (A, 12 seeders) and one the double rejects (B, 2
/// seeders: "fewer than 5 seeders").
pub fn two_candidates() -> Fake {
    Fake {
        releases: vec![
            release("Artist - Album (2020) [FLAC]", 12, HASH_A),
            release("Artist - Album (2020) [FLAC] (few seeders)", 2, HASH_B),
        ],
        ..Fake::default()
    }
}

pub fn choose_message(run_id: &str, guid: &str) -> pb::MonitorAlbumStreamRequest {
    pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Choose(
            pb::ChooseReleaseRequest {
                run_id: run_id.into(),
                guid: guid.into(),
                decline: false,
            },
        )),
    }
}

pub fn decline_message(run_id: &str) -> pb::MonitorAlbumStreamRequest {
    pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Choose(
            pb::ChooseReleaseRequest {
                run_id: run_id.into(),
                guid: String::new(),
                decline: true,
            },
        )),
    }
}

/// Reads a manual stream up to its offer: the updates, then the offer.
pub async fn until_offer(watcher: &mut Watcher) -> (Vec<pb::StatusUpdate>, pb::CandidateOffer) {
    use pb::monitor_album_stream_response::Response;
    let mut updates = Vec::new();
    loop {
        match watcher
            .next()
            .await
            .expect("stream message")
            .and_then(|m| m.response)
        {
            Some(Response::StatusUpdate(u)) => updates.push(u),
            Some(Response::Offer(o)) => return (updates, o),
            other => panic!("expected updates then an offer, got {other:?}"),
        }
    }
}

pub fn guid_of(offer: &pb::CandidateOffer, hash: &str) -> String {
    offer
        .candidates
        .iter()
        .filter_map(|c| c.release.as_ref())
        .find(|r| r.info_hash == hash)
        .map(|r| r.guid.clone())
        .unwrap_or_else(|| panic!("{hash} not offered: {offer:?}"))
}

pub async fn choose(
    app: &TestApp,
    run_id: &str,
    guid: &str,
) -> Result<pb::ChooseReleaseResponse, tonic::Status> {
    let mut client = app.client().await;
    within(
        "ChooseRelease",
        client.choose_release(pb::ChooseReleaseRequest {
            run_id: run_id.into(),
            guid: guid.into(),
            decline: false,
        }),
    )
    .await
    .map(tonic::Response::into_inner)
}

async fn run_status(app: &TestApp, run_id: &str) -> pb::WorkflowRun {
    app.client()
        .await
        .get_workflow_run(pb::GetWorkflowRunRequest {
            run_id: run_id.into(),
        })
        .await
        .expect("the run")
        .into_inner()
}

/// The offer as every client should see it (`replayed` aside).
pub fn unreplayed(offer: &pb::CandidateOffer) -> pb::CandidateOffer {
    pb::CandidateOffer {
        replayed: false,
        ..offer.clone()
    }
}

/// A manual start resuming `offer`'s run after the offer (as `musicagg
/// monitor` resumes when it left at the prompt).
pub fn resume_after(offer: &pb::CandidateOffer) -> pb::StartMonitorRequest {
    let mut resume = manual(ALBUM, pb::Quality::Lossless);
    resume.run_id.clone_from(&offer.run_id);
    resume.after_seq = offer.seq;
    resume
}

/// The final response as every client should see it (`replayed` aside).
pub fn normalised(result: &pb::MonitorAlbumResponse) -> pb::MonitorAlbumResponse {
    pb::MonitorAlbumResponse {
        replayed: false,
        ..result.clone()
    }
}

async fn offer_then_a_late_client_chooses_through_the_unary_call(backend: Backend) {
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(backend, providers).await;

    // The first client sees the steps and the offer, then leaves.
    let mut first = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (updates, offer) = until_offer(&mut first).await;
    let statuses: Vec<S> = updates.iter().map(|u| u.status()).collect();
    assert_eq!(statuses, UNTIL_OFFER.to_vec());
    assert!(updates.iter().all(|u| u.mode() == pb::MonitorMode::Manual));
    assert_eq!(offer.seq, 6, "the offer is an event of the run");
    assert!(!offer.replayed);
    assert_eq!(offer.candidates.len(), 2);
    assert!(offer.candidates[0].accepted, "accepted first");
    assert!(!offer.candidates[1].accepted);
    assert_eq!(
        offer.candidates[1].rejection_reasons,
        vec!["fewer than 5 seeders"]
    );
    let expires = offer.expires_at.expect("a deadline").seconds;
    let in_a_day = chrono::Utc::now().timestamp() + 86_400;
    assert!(
        (in_a_day - 60..=in_a_day + 5).contains(&expires),
        "24 h by default"
    );
    let run_id = offer.run_id.clone();
    drop(first);
    let run = run_status(&app, &run_id).await;
    assert_eq!(
        (run.status(), run.mode(), run.finished),
        (S::AwaitingChoice, pb::MonitorMode::Manual, false),
        "the run waits, whoever watches"
    );

    // A second client joins: the history and the offer, replayed.
    let mut second = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (replayed, offer_again) = until_offer(&mut second).await;
    assert_eq!(replayed.len(), 5);
    assert!(replayed.iter().all(|u| u.replayed));
    assert!(offer_again.replayed);
    assert_eq!(unreplayed(&offer_again), offer);

    // It chooses the rejected one through the unary call.
    let guid = guid_of(&offer, HASH_B);
    let answer = choose(&app, &run_id, &guid)
        .await
        .expect("the choice is taken");
    let chosen = answer.chosen.expect("the chosen candidate");
    assert_eq!(chosen.release.as_ref().unwrap().guid, guid);
    assert!(!chosen.accepted);
    let unary_result = answer.result.expect("the run ended while the call waited");
    assert_eq!(
        unary_result.status(),
        S::Complete,
        "{}",
        unary_result.message
    );
    assert_eq!(
        unary_result.selected_release.as_ref().unwrap().info_hash,
        HASH_B
    );

    let rest = second.finish().await;
    let adding = &rest.updates[0];
    assert_eq!(adding.status(), S::AddingTorrent);
    assert!(
        adding.message.contains("chosen by a client")
            && adding
                .message
                .contains("overriding one rule: fewer than 5 seeders"),
        "{}",
        adding.message
    );
    assert_eq!(normalised(rest.result()), normalised(&unary_result));

    // The client that left, resuming, gets the same end.
    let resumed = app.watch_to_end(resume_after(&offer)).await;
    assert_eq!(normalised(resumed.result()), normalised(&unary_result));
    assert_eq!(*fake.added.lock().unwrap(), vec![HASH_B.to_owned()]);

    // ListCandidates keeps the verdicts; events list the offer as a step.
    let events = app
        .client()
        .await
        .list_album_events(pb::ListAlbumEventsRequest {
            run_id: run_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events[5].status(), S::AwaitingChoice);
    assert_eq!(events.last().unwrap().status(), S::Complete);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_then_a_late_client_chooses_through_the_unary_call_on_postgres() {
    offer_then_a_late_client_chooses_through_the_unary_call(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_then_a_late_client_chooses_through_the_unary_call_on_sqlite() {
    offer_then_a_late_client_chooses_through_the_unary_call(Backend::Sqlite).await;
}

async fn two_clients_choosing_at_once(backend: Backend) {
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(backend, providers).await;

    // On their streams: one choice wins, the other's stream ends
    // INVALID_ARGUMENT; that client resumes and gets the same end.
    let mut a = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut a).await;
    let mut b = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    until_offer(&mut b).await;
    let run_id = offer.run_id.clone();
    let (guid_a, guid_b) = (guid_of(&offer, HASH_A), guid_of(&offer, HASH_B));
    tokio::join!(
        a.send(choose_message(&run_id, &guid_a)),
        b.send(choose_message(&run_id, &guid_b))
    );
    let (a_end, b_end) = tokio::join!(drain(a), drain(b));
    // The losing stream ends with its refused choice, or, when its bridge
    // delivered the run's end before it read its own choice, with that same
    // final response: never with a different one.
    let winner = match (a_end, b_end) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => {
            assert_eq!(l.code(), Code::InvalidArgument, "{l:?}");
            assert!(l.message().contains("already answered"), "{l:?}");
            w
        }
        (Ok(w), Ok(other)) => {
            assert_eq!(normalised(&w), normalised(&other));
            w
        }
        other => panic!("one choice must win: {other:?}"),
    };
    assert_eq!(winner.status(), S::Complete, "{}", winner.message);
    let selected = &winner.selected_release.as_ref().unwrap().info_hash;
    assert!(selected == HASH_A || selected == HASH_B, "{selected}");
    let resumed = app.watch_to_end(resume_after(&offer)).await;
    assert_eq!(normalised(resumed.result()), normalised(&winner));
    assert_eq!(fake.added.lock().unwrap().len(), 1, "one torrent added");

    // Through ChooseRelease: one call wins, the other is INVALID_ARGUMENT,
    // both watchers get the same final response.
    let mut c = app.watch(manual(ALBUM, pb::Quality::Mp3320)).await.unwrap();
    let (_, offer) = until_offer(&mut c).await;
    let mut d = app.watch(manual(ALBUM, pb::Quality::Mp3320)).await.unwrap();
    until_offer(&mut d).await;
    let run_id = offer.run_id.clone();
    let (guid_a, guid_b) = (guid_of(&offer, HASH_A), guid_of(&offer, HASH_B));
    let (one, two) = tokio::join!(
        choose(&app, &run_id, &guid_a),
        choose(&app, &run_id, &guid_b)
    );
    let (won, lost) = match (one, two) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        other => panic!("exactly one choice must win: {other:?}"),
    };
    assert_eq!(lost.code(), Code::InvalidArgument, "{lost:?}");
    let (c_end, d_end) = tokio::join!(c.finish(), d.finish());
    assert_eq!(normalised(c_end.result()), normalised(d_end.result()));
    assert_eq!(normalised(c_end.result()), won.result.expect("the end"));
    app.stop().await;
}

/// Reads a stream to its end: the final response, or the status it ended with.
pub async fn drain(mut watcher: Watcher) -> Result<pb::MonitorAlbumResponse, tonic::Status> {
    use pb::monitor_album_stream_response::Response;
    loop {
        match watcher.next().await?.and_then(|m| m.response) {
            Some(Response::Result(r)) => return Ok(r),
            Some(_) => {}
            None => panic!("the stream ended without a final response"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_choosing_at_once_one_wins_on_postgres() {
    two_clients_choosing_at_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_choosing_at_once_one_wins_on_sqlite() {
    two_clients_choosing_at_once(Backend::Sqlite).await;
}

async fn bad_choices(backend: Backend) {
    let mut fake = two_candidates();
    let select = fake.gate(Step::Select);
    let add = fake.gate(Step::Add);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(backend, providers).await;

    // Before the offer: FAILED_PRECONDITION, on the stream and in the call.
    let mut early = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let run_id = early.take_updates(4).await[0].run_id.clone();
    select.reached().await;
    let err = choose(&app, &run_id, "guid-x").await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    early.send(choose_message("", "guid-x")).await;
    let err = early.next().await.expect_err("the stream ends");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    select.open();

    let mut watcher = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    assert_eq!(offer.run_id, run_id, "the same run");

    // Not offered, not this stream's run: INVALID_ARGUMENT ends the stream.
    let err = choose(&app, &run_id, "guid-not-offered").await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(
        err.message().contains("not one of the 2 candidates"),
        "{err:?}"
    );
    watcher
        .send(choose_message(&run_id, "guid-not-offered"))
        .await;
    let err = watcher.next().await.expect_err("the stream ends");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let mut other_run = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    until_offer(&mut other_run).await;
    other_run
        .send(choose_message(
            &uuid::Uuid::now_v7().to_string(),
            &guid_of(&offer, HASH_A),
        ))
        .await;
    let err = other_run.next().await.expect_err("the stream ends");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(err.message().contains("not this stream's run"), "{err:?}");

    // Malformed and unknown input to the call.
    let err = choose(&app, "run-1", "g").await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = choose(&app, &run_id, "").await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = choose(&app, &uuid::Uuid::now_v7().to_string(), "g")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // None of that touched the run.
    let run = run_status(&app, &run_id).await;
    assert_eq!((run.status(), run.finished), (S::AwaitingChoice, false));

    // A valid choice on the stream, then a `start`: INVALID_ARGUMENT for the
    // stream (the run is held at the add meanwhile), the run goes on to
    // COMPLETE.
    let mut chooser = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    until_offer(&mut chooser).await;
    chooser
        .send(choose_message(&run_id, &guid_of(&offer, HASH_A)))
        .await;
    add.reached().await;
    chooser
        .send(start_message(manual(ALBUM, pb::Quality::Lossless)))
        .await;
    let err = drain(chooser).await.expect_err("the stream ends");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    add.open();
    app.idle().await;
    let run = run_status(&app, &run_id).await;
    assert_eq!(run.status(), S::Complete, "{}", run.message);

    // A second choice after one was taken; a choice on an automatic run.
    let err = choose(&app, &run_id, &guid_of(&offer, HASH_B))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let automatic = app.watch_to_end(start(ALBUM, pb::Quality::Mp3320)).await;
    let err = choose(&app, &automatic.result().run_id, "guid-x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_choices_get_their_status_and_leave_the_run_alone_on_postgres() {
    bad_choices(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_choices_get_their_status_and_leave_the_run_alone_on_sqlite() {
    bad_choices(Backend::Sqlite).await;
}
