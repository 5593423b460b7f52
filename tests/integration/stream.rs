//! MonitorAlbumStream invariants, through a real tonic client over TCP.

use musicagg::model::{AlbumId, Outcome, Quality, WorkflowKey, WorkflowStatus};
use musicagg::proto::v1 as pb;
use pb::WorkflowStatus as S;

use crate::doubles::{Fake, Step};
use crate::harness::{Backend, Received, TestApp, start, within};

pub const ALBUM: &str = "1b022e01-4da6-387b-8658-8678046e4cef";

/// The happy path's events, in order, then the final COMPLETE.
pub const HAPPY: [S; 5] = [
    S::FetchingMetadata,
    S::CheckingOwned,
    S::Searching,
    S::ParsingResults,
    S::AddingTorrent,
];

fn assert_happy(received: &Received, after_seq: i64) {
    let expected: Vec<i64> = ((after_seq + 1)..=5).collect();
    assert_eq!(received.seqs(), expected);
    assert_eq!(received.statuses(), HAPPY[after_seq as usize..].to_vec());
    let result = received.result();
    assert_eq!(result.status(), S::Complete, "{}", result.message);
    assert_eq!(result.seq, 6);
}

/// The final response as every client should see it (`replayed` aside).
fn normalised(result: &pb::MonitorAlbumResponse) -> pb::MonitorAlbumResponse {
    pb::MonitorAlbumResponse {
        replayed: false,
        ..result.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_path_streams_every_step_then_complete() {
    let (fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_happy(&received, 0);
    assert!(received.updates.iter().all(|u| !u.replayed));
    let result = received.result();
    assert_eq!(result.album.as_ref().unwrap().title, "Album");
    assert_eq!(result.album.as_ref().unwrap().tracks.len(), 3);
    let selected = result.selected_release.as_ref().unwrap();
    assert_eq!(selected.title, "Artist - Album (2020) [FLAC]");
    let download = result.download.as_ref().unwrap();
    assert_eq!(
        (download.client.as_str(), download.status.as_str()),
        ("fake-client", "queued")
    );
    assert_eq!(fake.added.lock().unwrap().len(), 1);

    app.idle().await;
    let run = app
        .workflows
        .store
        .run(musicagg::model::RunId::parse(&result.run_id).unwrap());
    let run = run.await.unwrap().unwrap();
    assert_eq!(run.status, WorkflowStatus::Complete);
    assert!(run.is_finished());
    assert_eq!(
        app.workflows.bus.topic_count(),
        0,
        "no topic outlives its listeners"
    );

    // The album is now owned: asking again ends ALREADY_OWNED.
    let again = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(again.result().status(), S::AlreadyOwned);
    assert_eq!(
        again.statuses(),
        vec![S::FetchingMetadata, S::CheckingOwned]
    );
    app.stop().await;
}

async fn hundred_concurrent_starts_make_one_run(backend: Backend) {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Metadata);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(backend, providers).await;

    let watchers = futures::future::join_all((0..100).map(|_| async {
        let mut watcher = app
            .watch(start(ALBUM, pb::Quality::Lossless))
            .await
            .unwrap();
        // Seeing the first event proves the client is attached.
        let first = watcher.take_updates(1).await;
        (first, watcher)
    }))
    .await;
    gate.open();
    let results = futures::future::join_all(watchers.into_iter().map(|(first, watcher)| async {
        let mut received = watcher.finish().await;
        received.updates.splice(0..0, first);
        received
    }))
    .await;

    let reference = normalised(results[0].result());
    for received in &results {
        assert_happy(received, 0);
        assert_eq!(normalised(received.result()), reference);
    }
    assert_eq!(app.run_count().await, 1, "exactly one workflow_runs row");
    app.idle().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_starts_make_one_run_on_postgres() {
    hundred_concurrent_starts_make_one_run(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_starts_make_one_run_on_sqlite() {
    hundred_concurrent_starts_make_one_run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_joining_midway_gets_the_history_then_the_rest() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Search);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Postgres, providers).await;

    let mut first = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let early = first.take_updates(3).await;
    gate.reached().await;

    let mut late = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let replayed = late.take_updates(3).await;
    assert_eq!(
        replayed.iter().map(|u| u.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(
        replayed.iter().all(|u| u.replayed),
        "history is marked replayed"
    );
    assert_eq!(
        replayed
            .iter()
            .map(|u| (u.seq, u.message.clone()))
            .collect::<Vec<_>>(),
        early
            .iter()
            .map(|u| (u.seq, u.message.clone()))
            .collect::<Vec<_>>()
    );

    gate.open();
    let rest = late.finish().await;
    assert_eq!(rest.seqs(), vec![4, 5], "no gap, no duplicate");
    assert!(rest.updates.iter().all(|u| !u.replayed));
    assert_eq!(rest.result().status(), S::Complete);
    let first_rest = first.finish().await;
    assert_eq!(first_rest.seqs(), vec![4, 5]);
    assert_eq!(normalised(first_rest.result()), normalised(rest.result()));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_joining_after_the_end_but_before_removal_gets_everything() {
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let w = &app.workflows;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    // The registry still holds the entry of a run whose terminal event is
    // stored: the moment between "COMPLETE written" and "entry removed".
    let (entry, created) = w.registry.get_or_create(&key);
    assert!(created);
    w.store.create_run(entry.run_id, &key).await.unwrap();
    for status in [
        WorkflowStatus::FetchingMetadata,
        WorkflowStatus::CheckingOwned,
    ] {
        w.store
            .append_event(entry.run_id, status, "step", None)
            .await
            .unwrap();
    }
    let outcome = serde_json::to_value(Outcome::default()).unwrap();
    w.store
        .append_event(
            entry.run_id,
            WorkflowStatus::NoResults,
            "nothing acceptable",
            Some(&outcome),
        )
        .await
        .unwrap();

    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(received.seqs(), vec![1, 2]);
    assert!(received.updates.iter().all(|u| u.replayed));
    let result = received.result();
    assert_eq!((result.status(), result.seq), (S::NoResults, 3));
    assert_eq!(result.run_id, entry.run_id.to_string());
    assert!(result.replayed);
    assert_eq!(
        app.run_count().await,
        1,
        "joining did not start another run"
    );
    // The window ends as the workflow would end it.
    assert!(w.registry.remove(&key, entry.run_id));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_at_any_step_never_stops_the_workflow() {
    // (where the workflow is held, events the client has seen when it leaves)
    let cases = [
        (Step::Metadata, 1),
        (Step::Search, 2),
        (Step::Search, 3),
        (Step::Select, 4),
        (Step::Resolve, 5),
        (Step::Add, 5),
    ];
    for (step, seen) in cases {
        let mut fake = Fake::default();
        let gate = fake.gate(step);
        let (fake, providers) = fake.into_providers();
        let app = TestApp::spawn(Backend::Sqlite, providers).await;

        let mut watcher = app
            .watch(start(ALBUM, pb::Quality::Lossless))
            .await
            .unwrap();
        let got = watcher.take_updates(seen).await;
        let run_id = got[0].run_id.clone();
        gate.reached().await;
        drop(watcher); // the client goes away mid-run
        gate.open();
        app.idle().await;

        let run = app
            .workflows
            .store
            .run(musicagg::model::RunId::parse(&run_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            run.status,
            WorkflowStatus::Complete,
            "left at {step:?}/{seen}"
        );
        assert_eq!(fake.added.lock().unwrap().len(), 1);

        // Coming back with after_seq = seen gives exactly the rest.
        let mut resume = start(ALBUM, pb::Quality::Lossless);
        resume.after_seq = seen as i64;
        let rest = app.watch_to_end(resume).await;
        assert_happy(&rest, seen as i64);
        assert_eq!(rest.result().run_id, run_id);
        assert_eq!(
            app.run_count().await,
            1,
            "resuming did not start another run"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_a_named_run_checks_that_it_belongs_to_the_album() {
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let done = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let run_id = done.result().run_id.clone();
    app.idle().await;

    let mut resume = start(ALBUM, pb::Quality::Lossless);
    resume.run_id = run_id.clone();
    resume.after_seq = 4;
    let rest = app.watch_to_end(resume).await;
    assert_eq!(rest.seqs(), vec![5]);
    assert_eq!(rest.result().run_id, run_id);

    // A client that already had every event still gets the final response.
    for after_seq in [6, 100] {
        let mut past_the_end = start(ALBUM, pb::Quality::Lossless);
        past_the_end.run_id = run_id.clone();
        past_the_end.after_seq = after_seq;
        let rest = app.watch_to_end(past_the_end).await;
        assert!(rest.updates.is_empty());
        assert_eq!((rest.result().seq, rest.result().replayed), (6, true));
    }

    let mut wrong = start(ALBUM, pb::Quality::Mp3320);
    wrong.run_id = run_id;
    let err = app.watch(wrong).await.err().expect("refused");
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");

    let mut nothing = start(
        "f5093c06-23e3-404f-aeaa-40f72885ee3a",
        pb::Quality::Lossless,
    );
    nothing.after_seq = 3;
    let err = app.watch(nothing).await.err().expect("refused");
    assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_reaches_every_subscriber() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Search);
    let (fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Postgres, providers).await;

    let mut a = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let seen = a.take_updates(3).await;
    let mut b = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    b.take_updates(3).await;
    gate.reached().await;

    let mut client = app.client().await;
    let response = within(
        "cancel",
        client.cancel_workflow(pb::CancelWorkflowRequest {
            run_id: seen[0].run_id.clone(),
            reason: "changed my mind".into(),
        }),
    )
    .await
    .unwrap()
    .into_inner();
    assert!(response.cancelled);
    let run = response.run.unwrap();
    assert_eq!((run.status(), run.finished), (S::Cancelled, true));

    for watcher in [a, b] {
        let received = watcher.finish().await;
        assert!(received.updates.is_empty());
        let result = received.result();
        assert_eq!((result.status(), result.seq), (S::Cancelled, 4));
        assert!(
            result.message.contains("changed my mind"),
            "{}",
            result.message
        );
    }
    app.idle().await;
    assert!(fake.added.lock().unwrap().is_empty(), "nothing was grabbed");

    // Cancelling again changes nothing.
    let again = client
        .cancel_workflow(pb::CancelWorkflowRequest {
            run_id: seen[0].run_id.clone(),
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!again.cancelled);
    assert_eq!(again.run.unwrap().status(), S::Cancelled);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_running_workflows_and_their_streams() {
    let mut fake = Fake::default();
    let _gate = fake.gate(Step::Search); // never opened
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let mut watcher = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let seen = watcher.take_updates(3).await;
    let store = app.workflows.store.clone();
    app.stop().await;
    let received = watcher.finish().await;
    let result = received.result();
    assert_eq!(result.status(), S::Failed);
    assert!(result.message.contains("shut down"), "{}", result.message);
    let run = store
        .run(musicagg::model::RunId::parse(&seen[0].run_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, WorkflowStatus::Failed);
}
