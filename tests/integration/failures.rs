//! Runs that go wrong: provider errors and panics, a restart with runs left
//! unfinished, a subscriber that lags behind the bus.

use musicagg::api::bridge;
use musicagg::model::{AlbumId, DownloadState, Quality, RunId, WorkflowKey, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::store::NewDownload;
use pb::WorkflowStatus as S;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::doubles::{Fake, HASH_A, MetadataBehaviour, Step};
use crate::harness::{Backend, TestApp, TestDb, start, within};
use crate::stream::{ALBUM, HAPPY};

async fn failing_provider_ends_the_run_failed(behaviour: MetadataBehaviour, expected: &str) {
    let fake = Fake {
        metadata: behaviour,
        ..Fake::default()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(received.statuses(), vec![S::FetchingMetadata]);
    let result = received.result();
    assert_eq!((result.status(), result.seq), (S::Failed, 2));
    assert!(result.message.contains(expected), "{}", result.message);
    app.idle().await;
    assert!(app.workflows.registry.is_empty());

    // The server keeps serving: another album's run works end to end.
    let other = app
        .watch_to_end(start(
            "f5093c06-23e3-404f-aeaa-40f72885ee3a",
            pb::Quality::Lossless,
        ))
        .await;
    assert_eq!(other.result().status(), S::Failed, "same failing double");
    let status = crate::harness::health(&format!("http://{}", app.addr), "")
        .await
        .unwrap();
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_ends_the_run_failed_with_the_reason() {
    failing_provider_ends_the_run_failed(
        MetadataBehaviour::Fail("MusicBrainz answered 503 five times".into()),
        "metadata: MusicBrainz answered 503 five times",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_provider_ends_the_run_failed_and_the_server_lives() {
    failing_provider_ends_the_run_failed(
        MetadataBehaviour::Panic("index out of bounds in the double".into()),
        "panicked: index out of bounds in the double",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_album_ends_not_found() {
    let fake = Fake {
        metadata: MetadataBehaviour::NotFound,
        ..Fake::default()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Any)).await;
    assert_eq!(received.result().status(), S::NotFound);
    assert!(received.result().message.contains(ALBUM));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acceptable_ends_no_results_with_every_reason() {
    let fake = Fake {
        releases: vec![
            crate::doubles::release("Artist - Album [MP3]", 1, HASH_A),
            crate::doubles::release("Artist - Album [FLAC]", 2, crate::doubles::HASH_B),
        ],
        ..Fake::default()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = received.result();
    assert_eq!(result.status(), S::NoResults);
    assert_eq!(result.rejected_candidates.len(), 2);
    for candidate in &result.rejected_candidates {
        assert_eq!(candidate.rejection_reasons, vec!["fewer than 5 seeders"]);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_torrent_client_marks_the_download_failed_and_the_run_failed() {
    let fake = Fake {
        add_error: Some("qBittorrent answered Fails.".into()),
        ..Fake::default()
    };
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = received.result();
    assert_eq!(result.status(), S::Failed);
    assert!(result.message.contains("Fails."), "{}", result.message);
    let rejected = &result.rejected_candidates[0];
    assert!(rejected.rejection_reasons[0].contains("fake-client"));
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    assert!(
        app.workflows
            .store
            .album_downloads(&key.album_id)
            .await
            .unwrap()
            .iter()
            .all(|d| d.state == DownloadState::Failed)
    );
    assert!(
        app.workflows
            .store
            .pending_downloads()
            .await
            .unwrap()
            .is_empty()
    );
    // The client refused that torrent: it is blocklisted for the album.
    let again = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let reasons = &again.result().rejected_candidates[0].rejection_reasons;
    assert!(reasons[0].starts_with("blocklisted"), "{reasons:?}");
    app.stop().await;
}

/// The download of HASH_A a dead process wrote before asking the client.
fn pending_download(run_id: RunId, key: &WorkflowKey) -> NewDownload {
    NewDownload {
        run_id,
        key: key.clone(),
        info_hash: HASH_A.into(),
        magnet_uri: format!("magnet:?xt=urn:btih:{HASH_A}"),
        torrent_file: None,
        title: "Artist - Album".into(),
        size_bytes: None,
        indexer: "idx".into(),
        parsed_quality: String::new(),
        client: "fake-client".into(),
    }
}

async fn runs_left_running_are_failed_at_start_up(backend: Backend) {
    let db = TestDb::new(backend).await;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    // What a process that died mid-run leaves behind: a run without its
    // terminal event, and a download written but never confirmed.
    let run_id = RunId::new();
    {
        let store = db.store().await;
        store.create_run(run_id, &key).await.unwrap();
        for status in [
            WorkflowStatus::FetchingMetadata,
            WorkflowStatus::CheckingOwned,
        ] {
            store
                .append_event(run_id, status, "step", None)
                .await
                .unwrap();
        }
        store
            .save_torrent_and_download(&pending_download(run_id, &key))
            .await
            .unwrap();
    }
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;

    let run = app.workflows.store.run(run_id).await.unwrap().unwrap();
    assert_eq!(run.status, WorkflowStatus::Failed);
    assert!(
        run.message.contains("interrupted by restart"),
        "{}",
        run.message
    );
    assert!(
        app.workflows
            .store
            .pending_downloads()
            .await
            .unwrap()
            .is_empty()
    );

    // A client that was watching and reconnects gets that final response.
    let mut resume = start(ALBUM, pb::Quality::Lossless);
    resume.after_seq = 2;
    resume.run_id = run_id.to_string();
    let received = app.watch_to_end(resume).await;
    assert!(received.updates.is_empty());
    let result = received.result();
    assert_eq!((result.status(), result.seq), (S::Failed, 3));
    assert!(result.message.contains("interrupted by restart"));
    assert_eq!(result.run_id, run_id.to_string());

    // [wanted]: the album was searched again at once, as the run the
    // interrupted one names.
    app.idle().await;
    let fresh = app.workflows.store.latest_run(&key).await.unwrap().unwrap();
    assert_eq!(fresh.status, WorkflowStatus::Complete);
    assert_ne!(fresh.id, run_id);
    assert!(
        result.message.contains(&fresh.id.to_string()),
        "{}",
        result.message
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_left_running_are_failed_at_start_up_on_postgres() {
    runs_left_running_are_failed_at_start_up(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_left_running_are_failed_at_start_up_on_sqlite() {
    runs_left_running_are_failed_at_start_up(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_download_found_in_the_client_becomes_added() {
    let db = TestDb::new(Backend::Sqlite).await;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    let run_id = RunId::new();
    {
        let store = db.store().await;
        store.create_run(run_id, &key).await.unwrap();
        store
            .save_torrent_and_download(&pending_download(run_id, &key))
            .await
            .unwrap();
    }
    // The client did receive it before the crash.
    let fake = Fake::default();
    fake.added.lock().unwrap().push(HASH_A.into());
    let (_fake, providers) = fake.into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    let owned = app
        .workflows
        .store
        .album_downloads(&key.album_id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(owned.state, DownloadState::Queued);
    assert_eq!(owned.info_hash, HASH_A);
    app.stop().await;
}

/// `torrent_client` switched: downloads grabbed through the client configured
/// before are neither asked about at start-up nor failed as "missing" by the
/// tracker; they wait, untouched, for that client to be configured again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_of_another_torrent_client_are_left_alone() {
    let db = TestDb::new(Backend::Sqlite).await;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    let run_id = RunId::new();
    let other = |hash: &str| NewDownload {
        info_hash: hash.into(),
        magnet_uri: format!("magnet:?xt=urn:btih:{hash}"),
        client: "transmission".into(),
        ..pending_download(run_id, &key)
    };
    let pending = "b".repeat(40);
    let queued = "c".repeat(40);
    {
        let store = db.store().await;
        store.create_run(run_id, &key).await.unwrap();
        store
            .save_torrent_and_download(&other(&pending))
            .await
            .unwrap();
        let mut going = store
            .save_torrent_and_download(&other(&queued))
            .await
            .unwrap()
            .download;
        going.state = DownloadState::Downloading;
        store.save_download(&going, false).await.unwrap();
    }
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    let tracker = musicagg::downloads::tracker::Tracker::new(
        app.workflows.clone(),
        musicagg::downloads::tracker::TrackerOptions::from_config(&musicagg::Config::default()),
    );
    for _ in 0..2 {
        let report = tracker.poll_once().await.expect("a poll");
        assert_eq!(report.other_client, 1, "{report:?}");
        assert_eq!(report.failed, 0, "{report:?}");
    }
    let states: Vec<(String, DownloadState)> = app
        .workflows
        .store
        .album_downloads(&key.album_id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.info_hash, d.state))
        .collect();
    assert!(
        states.contains(&(pending, DownloadState::Pending)),
        "{states:?}"
    );
    assert!(
        states.contains(&(queued, DownloadState::Downloading)),
        "{states:?}"
    );
    app.stop().await;
}

/// The bridge of a client that does not read: its outbound buffer holds one
/// message, the bus keeps one event per topic, and the workflow runs to the
/// end meanwhile. The subscriber lags; it must still deliver every event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_subscriber_recovers_every_event_from_the_database() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Metadata);
    let (_fake, providers) = fake.into_providers();
    let db = TestDb::new(Backend::Postgres).await;
    let app = TestApp::spawn_on(db, providers, |c| c.event_bus_capacity = 1).await;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    let attachment = app.workflows.attach(&key, 0, None).await.unwrap();
    assert!(attachment.created);
    let run_id = attachment.run_id;
    let entry = app.workflows.registry.get_by_run(run_id).unwrap();

    let (tx, mut rx) = mpsc::channel(1);
    let workflows = app.workflows.clone();
    let bridge = tokio::spawn(async move {
        bridge::run(
            attachment,
            0,
            &workflows,
            tx,
            futures::stream::pending(),
            CancellationToken::new(),
        )
        .await
    });
    gate.reached().await;
    gate.open();
    within("the workflow to finish", entry.finished()).await;

    let mut seqs = Vec::new();
    let mut statuses = Vec::new();
    while let Some(message) = within("a bridged message", rx.recv()).await {
        match message.into_message().unwrap().response.unwrap() {
            pb::monitor_album_stream_response::Response::StatusUpdate(u) => {
                seqs.push(u.seq);
                statuses.push(u.status());
            }
            pb::monitor_album_stream_response::Response::Result(r) => {
                seqs.push(r.seq);
                statuses.push(r.status());
            }
            pb::monitor_album_stream_response::Response::Offer(o) => {
                panic!("an offer in an automatic run: {o:?}")
            }
        }
    }
    within("the bridge to end", bridge).await.unwrap().unwrap();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    let mut expected = HAPPY.to_vec();
    expected.push(S::Complete);
    assert_eq!(statuses, expected);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_late_clients_with_a_tiny_bus_each_get_everything() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Search);
    let (_fake, providers) = fake.into_providers();
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, providers, |c| c.event_bus_capacity = 1).await;
    let mut first = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    first.take_updates(3).await;
    let watchers = futures::future::join_all((0..20).map(|_| async {
        let mut watcher = app
            .watch(start(ALBUM, pb::Quality::Lossless))
            .await
            .unwrap();
        let replayed = watcher.take_updates(3).await;
        (replayed, watcher)
    }))
    .await;
    gate.open();
    for (replayed, watcher) in watchers {
        let rest = watcher.finish().await;
        let mut seqs: Vec<i64> = replayed.iter().map(|u| u.seq).collect();
        seqs.extend(rest.seqs());
        seqs.push(rest.result().seq);
        assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    }
    first.finish().await;
    app.stop().await;
}

/// A client that is down (or misconfigured) is not the releases' fault: the
/// run stops at the first, and nothing is blocklisted for later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_is_down_stops_the_run_and_blocklists_nothing() {
    let fake = Fake {
        releases: vec![
            crate::doubles::release("Artist - Album [FLAC] A", 12, HASH_A),
            crate::doubles::release("Artist - Album [FLAC] B", 20, crate::doubles::HASH_B),
        ],
        ..Fake::default()
    };
    fake.client_down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let down = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    let result = down.result();
    assert_eq!(result.status(), S::Failed);
    assert!(
        result.message.contains("connection refused"),
        "{}",
        result.message
    );
    let album = AlbumId::parse(ALBUM).unwrap();
    let downloads = app.workflows.store.album_downloads(&album).await.unwrap();
    assert_eq!(downloads.len(), 1, "one attempt, not one per candidate");
    assert_eq!(downloads[0].state, DownloadState::Failed);
    assert!(
        downloads[0].message.starts_with("not added"),
        "{}",
        downloads[0].message
    );

    // Back up: the same best release is grabbed, not blocklisted.
    fake.client_down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let up = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(up.result().status(), S::Complete, "{}", up.result().message);
    assert_eq!(
        up.result().download.as_ref().unwrap().info_hash,
        crate::doubles::HASH_B
    );
    app.stop().await;
}

/// Cancelling while the client is being asked waits for its answer: no
/// download is left `pending`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_during_the_add_waits_for_the_clients_answer() {
    let mut fake = Fake::default();
    let gate = fake.gate(Step::Add);
    let (fake, providers) = fake.into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    let mut watcher = app
        .watch(start(ALBUM, pb::Quality::Lossless))
        .await
        .unwrap();
    let seen = watcher.take_updates(5).await;
    gate.reached().await;
    let run_id = RunId::parse(&seen[0].run_id).unwrap();
    let workflows = app.workflows.clone();
    let cancel = tokio::spawn(async move { workflows.cancel(run_id, "changed my mind").await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !cancel.is_finished(),
        "the cancel waits for the add in flight"
    );
    gate.open();
    let outcome = within("the cancel", cancel).await.unwrap().unwrap();
    assert_eq!(outcome.run.status, WorkflowStatus::Cancelled);
    assert_eq!(watcher.finish().await.result().status(), S::Cancelled);
    assert!(
        app.workflows
            .store
            .pending_downloads()
            .await
            .unwrap()
            .is_empty()
    );
    let album = AlbumId::parse(ALBUM).unwrap();
    let downloads = app.workflows.store.album_downloads(&album).await.unwrap();
    assert_eq!(
        downloads[0].state,
        DownloadState::Queued,
        "the client has it, the row says so"
    );
    assert_eq!(fake.added.lock().unwrap().len(), 1);
    app.stop().await;
}

/// A cancel sent the moment a run is started (a page's Cancel button shows
/// the run from the registry before its row is written) cancels it, whichever
/// comes first: the row or the cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_right_after_the_start_cancels_the_run() {
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Sqlite, providers).await;
    for album in [ALBUM, "1b022e01-4da6-387b-8658-8678046e4ce0"] {
        let key = WorkflowKey {
            album_id: AlbumId::parse(album).unwrap(),
            quality: Quality::Lossless,
        };
        let attachment = app
            .workflows
            .attach_as(&key, musicagg::model::MonitorMode::Automatic, 0, None)
            .await
            .unwrap();
        let outcome = within(
            "the cancel",
            app.workflows.cancel(attachment.run_id, "too quick"),
        )
        .await
        .expect("a run just started is known to cancel");
        assert_eq!(outcome.run.id, attachment.run_id);
        assert!(
            outcome.cancelled || outcome.run.is_finished(),
            "{:?}",
            outcome.run
        );
    }
    app.stop().await;
}

/// An unfinished run with no live workflow (its terminal write failed) must
/// not block its album until the next restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_unfinished_run_does_not_block_its_album() {
    let (_fake, providers) = Fake::default().into_providers();
    let app = TestApp::spawn(Backend::Postgres, providers).await;
    let key = WorkflowKey {
        album_id: AlbumId::parse(ALBUM).unwrap(),
        quality: Quality::Lossless,
    };
    let orphan = RunId::new();
    app.workflows.store.create_run(orphan, &key).await.unwrap();
    let received = app.watch_to_end(start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        received.result().status(),
        S::Complete,
        "{}",
        received.result().message
    );
    let orphan = app.workflows.store.run(orphan).await.unwrap().unwrap();
    assert_eq!(orphan.status, WorkflowStatus::Failed);
    assert!(orphan.message.contains("interrupted"), "{}", orphan.message);
    app.stop().await;
}
