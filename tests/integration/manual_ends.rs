//! [manual] How manual runs end besides a choice (decline, expiry, nothing
//! to offer), a blocklisted release chosen, and manual and automatic
//! requests sharing one run. In-process doubles.

use musicagg::model::{DownloadState, MonitorMode, WorkflowKey};
use musicagg::proto::v1 as pb;
use musicagg::store::NewDownload;
use pb::WorkflowStatus as S;
use tonic::Code;

use crate::doubles::{Fake, HASH_A, HASH_B, Step};
use crate::harness::{Backend, TestApp, TestDb, start};
use crate::manual::{
    choose, choose_message, decline_message, drain, guid_of, manual, normalised, two_candidates,
    until_offer,
};
use crate::stream::ALBUM;

async fn decline_and_expiry(backend: Backend) {
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(backend, providers).await;
    let mut watcher = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    watcher.send(decline_message(&offer.run_id)).await;
    let end = drain(watcher).await.expect("a final response");
    assert_eq!(
        (end.status(), end.message.as_str()),
        (S::Cancelled, "declined")
    );
    let err = choose(&app, &offer.run_id, &guid_of(&offer, HASH_A))
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::InvalidArgument,
        "declined is an answer: {err:?}"
    );
    assert!(fake.added.lock().unwrap().is_empty());
    app.stop().await;

    let (fake, providers) = two_candidates().into_providers();
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, providers, |c| {
        c.manual.choice_timeout = musicagg::config::Seconds(1);
    })
    .await;
    let received = app.watch_to_end(manual(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(received.offers.len(), 1);
    let result = received.result();
    assert_eq!(result.status(), S::Cancelled);
    assert_eq!(
        result.message,
        "no choice within 1 s ([manual] choice_timeout): the offer expired"
    );
    assert_eq!(
        result.rejected_candidates.len(),
        1,
        "the rejected one, with its reason"
    );
    let err = choose(&app, &result.run_id, &guid_of(&received.offers[0], HASH_A))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(fake.added.lock().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_and_expiry_end_cancelled_on_postgres() {
    decline_and_expiry(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_and_expiry_end_cancelled_on_sqlite() {
    decline_and_expiry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_and_automatic_requests_share_one_run() {
    let mut fake = two_candidates();
    let search = fake.gate(Step::Search);
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;

    // Automatic first: a manual request joins it and sees it is automatic.
    let automatic = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    search.reached().await;
    let joined = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    search.open();
    let (first, joined) = tokio::join!(automatic.finish(), joined.finish());
    assert!(joined.offers.is_empty(), "an automatic run offers nothing");
    assert!(
        joined
            .updates
            .iter()
            .all(|u| u.mode() == pb::MonitorMode::Automatic)
    );
    assert_eq!(normalised(joined.result()), normalised(first.result()));
    assert_eq!(joined.result().status(), S::Complete);

    // Manual first: an automatic request joins it and gets the offer.
    let mut owner = app.watch(manual(ALBUM, pb::Quality::Mp3V0)).await.unwrap();
    let (_, offer) = until_offer(&mut owner).await;
    let mut second = app.watch(start(ALBUM, pb::Quality::Mp3V0)).await.unwrap();
    let (updates, replayed) = until_offer(&mut second).await;
    assert_eq!(replayed.run_id, offer.run_id);
    assert!(updates.iter().all(|u| u.mode() == pb::MonitorMode::Manual));
    second
        .send(choose_message("", &guid_of(&offer, HASH_A)))
        .await;
    let (a, b) = tokio::join!(owner.finish(), second.finish());
    assert_eq!(normalised(a.result()), normalised(b.result()));
    assert_eq!(app.run_count().await, 2, "one run per album and quality");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_found_ends_no_results_and_a_blocklisted_release_can_be_chosen() {
    let fake = Fake {
        releases: Vec::new(),
        ..Fake::default()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(manual(ALBUM, pb::Quality::Lossless)).await;
    assert!(received.offers.is_empty());
    assert_eq!(received.result().status(), S::NoResults);
    app.stop().await;

    // B failed before and is blocklisted for the album: an automatic run
    // would skip it; chosen, it is grabbed.
    let (fake, providers) = two_candidates().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let key = WorkflowKey {
        album_id: musicagg::model::AlbumId::parse(ALBUM).unwrap(),
        quality: musicagg::model::Quality::Lossless,
    };
    let earlier = musicagg::model::RunId::new();
    app.workflows
        .store
        .create_run_as(earlier, &key, MonitorMode::Automatic)
        .await
        .unwrap();
    let mut failed = app
        .workflows
        .downloads
        .create(&NewDownload {
            run_id: earlier,
            key: key.clone(),
            info_hash: HASH_B.into(),
            magnet_uri: format!("magnet:?xt=urn:btih:{HASH_B}"),
            torrent_file: None,
            title: "Artist - Album (2020) [FLAC] (few seeders)".into(),
            size_bytes: None,
            indexer: "fake-indexer".into(),
            parsed_quality: "FLAC".into(),
            client: "fake-client".into(),
        })
        .await
        .unwrap();
    failed.state = DownloadState::Failed;
    failed.blocklisted = true;
    app.workflows
        .downloads
        .save(&mut failed, true)
        .await
        .unwrap();
    app.workflows
        .store
        .append_event(
            earlier,
            musicagg::model::WorkflowStatus::Failed,
            "earlier",
            None,
        )
        .await
        .unwrap();

    let end = choose_on_a_stream(&app, HASH_B).await;
    assert_eq!(
        end.result().status(),
        S::Complete,
        "{}",
        end.result().message
    );
    assert_eq!(*fake.added.lock().unwrap(), vec![HASH_B.to_owned()]);
    app.stop().await;
}

/// A chosen release the client refuses ends the run FAILED naming the
/// chosen release (not "any acceptable release": it may be a rejected one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_release_the_client_refuses_ends_failed_naming_it() {
    let fake = Fake {
        add_error: Some("torrent is invalid".into()),
        ..two_candidates()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let end = choose_on_a_stream(&app, HASH_B).await;
    let result = end.result();
    assert_eq!(result.status(), S::Failed);
    assert!(
        result
            .message
            .starts_with("could not add the chosen release: refused by "),
        "{}",
        result.message
    );
    app.stop().await;
}

/// A manual run of the album, its offer answered on the stream with the
/// release of `hash`; what the stream received.
async fn choose_on_a_stream(app: &TestApp, hash: &str) -> crate::harness::Received {
    let mut watcher = app
        .watch(manual(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let (_, offer) = until_offer(&mut watcher).await;
    watcher
        .send(choose_message("", &guid_of(&offer, hash)))
        .await;
    watcher.finish().await
}
