//! One test suite, run against both stores: real PostgreSQL and SQLite.

use std::collections::BTreeSet;
use std::sync::Arc;

use musicagg::metadata::Album;
use musicagg::model::{
    AlbumId, DownloadState, MonitorMode, Quality, RunId, WorkflowKey, WorkflowStatus,
};
use musicagg::store::{Decision, DownloadFilter, NewDownload, RunFilter, Store, StoreError};

use crate::doubles::album;
use crate::harness::{Backend, TestDb};

const ALBUM: &str = "1b022e01-4da6-387b-8658-8678046e4cef";
const OTHER_ALBUM: &str = "f5093c06-23e3-404f-aeaa-40f72885ee3a";

fn key(album: &str, quality: Quality) -> WorkflowKey {
    WorkflowKey {
        album_id: AlbumId::parse(album).unwrap(),
        quality,
    }
}

/// Runs each listed test on PostgreSQL and on SQLite.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Backend::Postgres).await } )*
        }
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Backend::Sqlite).await } )*
        }
    };
}

on_both_stores!(
    events_get_gapless_seqs_and_move_the_run,
    one_unfinished_run_per_album_and_quality,
    nothing_follows_the_terminal_event,
    concurrent_appends_are_serialised,
    concurrent_terminal_appends_leave_exactly_one,
    events_page_by_seq_and_by_album,
    runs_filter_and_page_newest_first,
    albums_round_trip_with_tracks,
    downloads_live_their_states_with_events,
    unknown_runs_are_reported,
    an_offer_takes_exactly_one_decision,
    an_ended_run_or_an_expired_offer_takes_no_answer,
    a_stale_wanted_record_does_not_overwrite_a_fresher_state,
    the_names_of_listed_albums_come_in_one_list,
);

async fn store(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    (db, store)
}

async fn events_get_gapless_seqs_and_move_the_run(backend: Backend) {
    let (_db, store) = store(backend).await;
    let run_id = RunId::new();
    let run = store
        .create_run(run_id, &key(ALBUM, Quality::Lossless))
        .await
        .unwrap();
    assert_eq!((run.last_seq, run.finished_at), (0, None));

    let steps = [
        WorkflowStatus::FetchingMetadata,
        WorkflowStatus::CheckingOwned,
        WorkflowStatus::Searching,
    ];
    for (i, status) in steps.into_iter().enumerate() {
        let event = store
            .append_event(run_id, status, &format!("step {i}"), None)
            .await
            .unwrap();
        assert_eq!(event.seq, i as i64 + 1);
        assert_eq!(event.status, status);
        assert_eq!(event.album_id.as_str(), ALBUM);
        assert_eq!(event.quality, Quality::Lossless);
    }
    let run = store.run(run_id).await.unwrap().unwrap();
    assert_eq!(run.status, WorkflowStatus::Searching);
    assert_eq!(run.message, "step 2");
    assert_eq!(run.last_seq, 3);
    assert!(!run.is_finished());

    let payload = serde_json::json!({"rejected": [], "note": "ünïcode ✓"});
    let end = store
        .append_event(run_id, WorkflowStatus::NoResults, "nothing", Some(&payload))
        .await
        .unwrap();
    assert_eq!(end.seq, 4);
    assert_eq!(end.payload, Some(payload));
    let run = store.run(run_id).await.unwrap().unwrap();
    assert!(run.is_finished());
    assert_eq!(run.status, WorkflowStatus::NoResults);
}

async fn one_unfinished_run_per_album_and_quality(backend: Backend) {
    let (_db, store) = store(backend).await;
    let k = key(ALBUM, Quality::Lossless);
    let first = RunId::new();
    store.create_run(first, &k).await.unwrap();
    let err = store.create_run(RunId::new(), &k).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyRunning(_)), "{err}");
    // Another quality of the same album is another workflow.
    store
        .create_run(RunId::new(), &key(ALBUM, Quality::Mp3_320))
        .await
        .unwrap();
    // Once the first run has finished, a new one may start.
    store
        .append_event(first, WorkflowStatus::Failed, "x", None)
        .await
        .unwrap();
    let second = RunId::new();
    store.create_run(second, &k).await.unwrap();
    assert_eq!(store.latest_run(&k).await.unwrap().unwrap().id, second);
}

async fn nothing_follows_the_terminal_event(backend: Backend) {
    let (_db, store) = store(backend).await;
    let run_id = RunId::new();
    store
        .create_run(run_id, &key(ALBUM, Quality::Any))
        .await
        .unwrap();
    store
        .append_event(run_id, WorkflowStatus::Cancelled, "stop", None)
        .await
        .unwrap();
    for status in [WorkflowStatus::Searching, WorkflowStatus::Complete] {
        let err = store
            .append_event(run_id, status, "late", None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::RunFinished(id) if id == run_id),
            "{err}"
        );
    }
    let events = store.events_after(run_id, 0, 100).await.unwrap();
    assert_eq!(events.len(), 1);
}

async fn concurrent_appends_are_serialised(backend: Backend) {
    let (_db, store) = store(backend).await;
    let run_id = RunId::new();
    store
        .create_run(run_id, &key(ALBUM, Quality::Any))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append_event(run_id, WorkflowStatus::Searching, &format!("{i}"), None)
                    .await
            })
        })
        .collect();
    let mut seqs = BTreeSet::new();
    for task in tasks {
        seqs.insert(task.await.unwrap().unwrap().seq);
    }
    assert_eq!(seqs, (1..=20).collect());
}

async fn concurrent_terminal_appends_leave_exactly_one(backend: Backend) {
    let (_db, store) = store(backend).await;
    let run_id = RunId::new();
    store
        .create_run(run_id, &key(ALBUM, Quality::Any))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let status = if i % 2 == 0 {
                WorkflowStatus::Cancelled
            } else {
                WorkflowStatus::Complete
            };
            tokio::spawn(async move { store.append_event(run_id, status, "end", None).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::RunFinished(_)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1);
    let events = store.events_after(run_id, 0, 100).await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].status.is_terminal());
}

async fn events_page_by_seq_and_by_album(backend: Backend) {
    let (_db, store) = store(backend).await;
    let k = key(ALBUM, Quality::Lossless);
    let runs = [RunId::new(), RunId::new()];
    for run_id in runs {
        store.create_run(run_id, &k).await.unwrap();
        for _ in 0..4 {
            store
                .append_event(run_id, WorkflowStatus::Searching, "", None)
                .await
                .unwrap();
        }
        store
            .append_event(run_id, WorkflowStatus::Complete, "", None)
            .await
            .unwrap();
    }
    let other = RunId::new();
    store
        .create_run(other, &key(OTHER_ALBUM, Quality::Lossless))
        .await
        .unwrap();
    store
        .append_event(other, WorkflowStatus::Searching, "", None)
        .await
        .unwrap();

    let page: Vec<i64> = store
        .events_after(runs[0], 2, 2)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(page, vec![3, 4]);
    assert!(store.events_after(runs[0], 5, 10).await.unwrap().is_empty());

    let album = AlbumId::parse(ALBUM).unwrap();
    let all = store.album_events(&album, 0, 100).await.unwrap();
    assert_eq!(all.len(), 10);
    let order: Vec<(RunId, i64)> = all.iter().map(|e| (e.run_id, e.seq)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "runs oldest first, each in seq order");
    assert_eq!(all[0].run_id, runs[0]);
    let second_page = store.album_events(&album, 8, 100).await.unwrap();
    assert_eq!(second_page.len(), 2);
    assert_eq!(second_page[1].run_id, runs[1]);
}

async fn runs_filter_and_page_newest_first(backend: Backend) {
    let (_db, store) = store(backend).await;
    let mut ids = Vec::new();
    for (album, quality, end) in [
        (ALBUM, Quality::Lossless, Some(WorkflowStatus::Complete)),
        (ALBUM, Quality::Mp3_320, Some(WorkflowStatus::Failed)),
        (OTHER_ALBUM, Quality::Lossless, None),
    ] {
        let id = RunId::new();
        store.create_run(id, &key(album, quality)).await.unwrap();
        if let Some(status) = end {
            store.append_event(id, status, "", None).await.unwrap();
        }
        ids.push(id);
    }
    let all = store.list_runs(&RunFilter::default(), 0, 10).await.unwrap();
    let order: Vec<RunId> = all.iter().map(|r| r.id).collect();
    assert_eq!(order, vec![ids[2], ids[1], ids[0]], "newest first");

    let by_album = RunFilter {
        album_id: Some(AlbumId::parse(ALBUM).unwrap()),
        status: None,
    };
    assert_eq!(store.list_runs(&by_album, 0, 10).await.unwrap().len(), 2);
    let failed = RunFilter {
        album_id: None,
        status: Some(WorkflowStatus::Failed),
    };
    let failed = store.list_runs(&failed, 0, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, ids[1]);
    let page = store.list_runs(&RunFilter::default(), 1, 1).await.unwrap();
    assert_eq!(page[0].id, ids[1]);
    let unfinished = store.unfinished_runs().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].id, ids[2]);
}

async fn albums_round_trip_with_tracks(backend: Backend) {
    let (_db, store) = store(backend).await;
    let id = AlbumId::parse(ALBUM).unwrap();
    assert!(store.album(&id).await.unwrap().is_none());
    let mut saved: Album = album(&id);
    saved.secondary_types = vec!["Live".into(), "Compilation".into()];
    saved.tracks[1].number = "A2".into();
    saved.tracks[2].length_ms = None;
    store.save_album(&saved).await.unwrap();
    let (loaded, _fetched_at) = store.album(&id).await.unwrap().unwrap();
    assert_eq!(loaded, saved);

    // Saving again replaces the tracklist.
    saved.title = "Album (Deluxe)".into();
    saved.tracks.truncate(1);
    store.save_album(&saved).await.unwrap();
    let (loaded, _) = store.album(&id).await.unwrap().unwrap();
    assert_eq!(loaded, saved);
}

async fn downloads_live_their_states_with_events(backend: Backend) {
    let (_db, store) = store(backend).await;
    let k = key(ALBUM, Quality::Lossless);
    let run_id = RunId::new();
    store.create_run(run_id, &k).await.unwrap();
    let new = NewDownload {
        run_id,
        key: k.clone(),
        info_hash: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        magnet_uri: "magnet:?xt=urn:btih:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
        torrent_file: Some(vec![b'd', b'e']),
        title: "Artist - Album [FLAC]".into(),
        size_bytes: Some(u64::MAX),
        indexer: "idx".into(),
        parsed_quality: "FLAC".into(),
        client: "fake".into(),
    };
    let created = store.save_torrent_and_download(&new).await.unwrap();
    let id = created.download.id;
    assert_eq!(created.download.state, DownloadState::Pending);
    let pending = store.pending_downloads().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
    assert_eq!(pending[0].state, DownloadState::Pending);
    assert_eq!(pending[0].magnet_uri, new.magnet_uri);
    assert_eq!(pending[0].release_quality, "FLAC");
    assert!(
        store.active_downloads().await.unwrap().is_empty(),
        "pending is not tracked yet"
    );

    // Each change writes the row and, when asked, an event with the snapshot.
    let mut d = pending[0].clone();
    d.state = DownloadState::Downloading;
    d.progress = 0.25;
    d.size_bytes = Some(1000);
    d.downloaded_bytes = 250;
    d.progressed_at = Some(chrono::Utc::now());
    let event = store.save_download(&d, true).await.unwrap().unwrap();
    assert!(event.seq > created.seq, "one growing sequence");
    assert_eq!(event.download.state, DownloadState::Downloading);
    assert_eq!(event.download.version, d.version + 1);
    // A write from what was read before that one is refused: stale.
    let stale = store.save_download(&d, false).await.unwrap_err();
    assert!(
        matches!(stale, StoreError::StaleDownload(s) if s == id),
        "{stale}"
    );
    d.version += 1;
    d.progress = 0.3;
    assert!(store.save_download(&d, false).await.unwrap().is_none());
    d.version += 1;
    let loaded = store.download(id).await.unwrap().unwrap();
    assert_eq!(
        (loaded.progress, loaded.size_bytes, loaded.downloaded_bytes),
        (0.3, Some(1000), 250)
    );
    assert!(store.pending_downloads().await.unwrap().is_empty());
    assert_eq!(store.active_downloads().await.unwrap().len(), 1);

    let album = AlbumId::parse(ALBUM).unwrap();
    let events = store
        .download_events_after(
            &DownloadFilter {
                album_id: Some(album.clone()),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.download.state).collect::<Vec<_>>(),
        [DownloadState::Pending, DownloadState::Downloading]
    );
    // The snapshot never carries the magnet (tracker passkeys).
    assert!(events.iter().all(|e| e.download.magnet_uri.is_empty()));
    let after = store
        .download_events_after(
            &DownloadFilter {
                download_id: Some(id),
                ..Default::default()
            },
            events[0].seq,
            10,
        )
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
    let other = AlbumId::parse("11111111-2222-3333-4444-555555555555").unwrap();
    assert!(
        store
            .download_events_after(
                &DownloadFilter {
                    album_id: Some(other),
                    ..Default::default()
                },
                0,
                10
            )
            .await
            .unwrap()
            .is_empty()
    );

    // Terminal downloads are not tracked; list filters by album and state.
    d.state = DownloadState::Imported;
    d.library_path = Some("/music/Artist/Album (2020)".into());
    store.save_download(&d, true).await.unwrap();
    assert!(store.active_downloads().await.unwrap().is_empty());
    let imported = store
        .list_downloads(
            &DownloadFilter {
                album_id: Some(album),
                state: Some(DownloadState::Imported),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(imported.len(), 1);
    assert_eq!(
        imported[0].library_path.as_deref(),
        Some("/music/Artist/Album (2020)")
    );
    assert!(
        store
            .list_downloads(
                &DownloadFilter {
                    state: Some(DownloadState::Failed),
                    ..Default::default()
                },
                0,
                10
            )
            .await
            .unwrap()
            .is_empty()
    );

    // The same torrent grabbed again (another run) keeps one torrents row.
    let again = store.save_torrent_and_download(&new).await.unwrap();
    assert_ne!(again.download.id, id);
}

async fn unknown_runs_are_reported(backend: Backend) {
    let (_db, store) = store(backend).await;
    let ghost = RunId::new();
    assert!(store.run(ghost).await.unwrap().is_none());
    let err = store
        .append_event(ghost, WorkflowStatus::Searching, "", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::RunNotFound(id) if id == ghost),
        "{err}"
    );
    assert!(store.events_after(ghost, 0, 10).await.unwrap().is_empty());
}

/// Twenty concurrent answers (and the expiry) race for one offer: exactly
/// one is recorded, and it is the one reported as won. Modes round-trip.
async fn an_offer_takes_exactly_one_decision(backend: Backend) {
    let (_db, store) = store(backend).await;
    let run_id = RunId::new();
    let run = store
        .create_run_as(run_id, &key(ALBUM, Quality::Lossless), MonitorMode::Manual)
        .await
        .unwrap();
    assert_eq!(run.mode, MonitorMode::Manual);
    let event = store
        .append_event(run_id, WorkflowStatus::AwaitingChoice, "offer", None)
        .await
        .unwrap();
    assert_eq!(
        event.mode,
        MonitorMode::Manual,
        "events carry the run's mode"
    );
    assert!(
        !store.decide(run_id, &Decision::Declined).await.unwrap(),
        "no offer, nothing decided"
    );
    let expires_at = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let document = serde_json::json!({"candidates": ["x"]});
    let payload = serde_json::json!({"offer": {"candidates": []}});
    let offered = store
        .append_offer(run_id, "offer", &payload, expires_at, &document)
        .await
        .unwrap();
    assert_eq!(
        (offered.seq, offered.status, offered.payload.as_ref()),
        (2, WorkflowStatus::AwaitingChoice, Some(&payload)),
        "the offer event and its row are written together"
    );

    let mut racers: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let decision = Decision::Chosen(format!("guid-{i}"));
                let won = store.decide(run_id, &decision).await.unwrap();
                won.then_some(decision)
            })
        })
        .collect();
    racers.push(tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            let won = store.decide(run_id, &Decision::Expired).await.unwrap();
            won.then_some(Decision::Expired)
        }
    }));
    let mut winners = Vec::new();
    for racer in racers {
        winners.extend(racer.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let offer = store.offer(run_id).await.unwrap().unwrap();
    assert_eq!(offer.decision.as_ref(), winners.first());
    assert!(offer.decided_at.is_some());
    assert_eq!(offer.candidates, document);
    assert_eq!(
        offer.expires_at.timestamp_millis(),
        expires_at.timestamp_millis()
    );

    assert_eq!(
        store.decision(run_id).await.unwrap().as_ref(),
        winners.first()
    );
    store
        .append_event(run_id, WorkflowStatus::Complete, "done", None)
        .await
        .unwrap();
    let offer = store.offer(run_id).await.unwrap().unwrap();
    assert!(offer.is_ended());
    assert_eq!(
        offer.candidates,
        serde_json::json!([]),
        "the links are gone"
    );
    assert_eq!(
        offer.decision.as_ref(),
        winners.first(),
        "the decision stays"
    );
}

/// A manual run with an offer of one candidate, expiring at `expires_at`.
async fn offered(store: &Arc<dyn Store>, expires_at: chrono::DateTime<chrono::Utc>) -> RunId {
    let run_id = RunId::new();
    let quality = [
        Quality::Lossless,
        Quality::Mp3_320,
        Quality::Mp3V0,
        Quality::Any,
    ][store
        .list_runs(&RunFilter::default(), 0, 100)
        .await
        .unwrap()
        .len()];
    store
        .create_run_as(run_id, &key(ALBUM, quality), MonitorMode::Manual)
        .await
        .unwrap();
    let document =
        serde_json::json!({"candidates": [{"guid": "https://t.example/dl?apikey=SECRET"}]});
    store
        .append_offer(
            run_id,
            "offer",
            &serde_json::json!({}),
            expires_at,
            &document,
        )
        .await
        .unwrap();
    run_id
}

/// The decision's guard: no choice or decline past the deadline (the
/// expiry's own decision still holds), none once a cancel took the offer,
/// none once the run has ended, whatever ended it — and the end empties the
/// document (its links may carry an API key).
async fn an_ended_run_or_an_expired_offer_takes_no_answer(backend: Backend) {
    let (_db, store) = store(backend).await;
    let chosen = Decision::Chosen("g".into());

    let expired = offered(&store, chrono::Utc::now() - chrono::TimeDelta::seconds(1)).await;
    assert!(
        !store.decide(expired, &chosen).await.unwrap(),
        "past the deadline"
    );
    assert!(!store.decide(expired, &Decision::Declined).await.unwrap());
    assert_eq!(store.decision(expired).await.unwrap(), None);
    assert!(store.decide(expired, &Decision::Expired).await.unwrap());
    assert_eq!(
        store.decision(expired).await.unwrap(),
        Some(Decision::Expired)
    );

    let in_an_hour = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let cancelled = offered(&store, in_an_hour).await;
    assert!(store.decide(cancelled, &Decision::Cancelled).await.unwrap());
    assert!(
        !store.decide(cancelled, &chosen).await.unwrap(),
        "the cancel came first"
    );

    // Ended by an event from outside the workflow (start-up recovery, a
    // cancel without a live workflow): no answer is taken afterwards.
    let ended = offered(&store, in_an_hour).await;
    store
        .append_event(
            ended,
            WorkflowStatus::Failed,
            "interrupted by restart",
            None,
        )
        .await
        .unwrap();
    let offer = store.offer(ended).await.unwrap().unwrap();
    assert_eq!(
        offer.candidates,
        serde_json::json!([]),
        "the links are gone"
    );
    assert!(offer.is_ended());
    assert!(
        !store.decide(ended, &chosen).await.unwrap(),
        "the run has ended"
    );
    assert_eq!(store.decision(ended).await.unwrap(), None);
    let err = store
        .append_offer(
            ended,
            "offer",
            &serde_json::json!({}),
            in_an_hour,
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::RunFinished(_)), "{err}");
    assert!(
        store.offer(ended).await.unwrap().unwrap().is_ended(),
        "nothing written"
    );
}

/// A search saves its schedule after starting the run; if that run already
/// ended and wrote its state, the older record must not overwrite it.
async fn a_stale_wanted_record_does_not_overwrite_a_fresher_state(backend: Backend) {
    use musicagg::model::{AlbumId, Quality};
    use musicagg::store::{WantedRecord, WantedState};
    let (_db, store) = store(backend).await;
    let id = AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").unwrap();
    let record = WantedRecord::new(
        id.clone(),
        Quality::Lossless,
        Quality::Lossless,
        chrono::Utc::now(),
    );
    store.put_wanted(&record, false).await.unwrap();
    let read = store.wanted(&id).await.unwrap().expect("listed");

    // the run ends meanwhile: SATISFIED
    let mut ended = read.clone();
    ended.state = WantedState::Satisfied;
    ended.message = "satisfied".into();
    ended.updated_at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(5);
    assert!(store.save_wanted(&ended).await.unwrap());

    // the search's record, read before, is refused
    let mut stale = read.clone();
    stale.message = "searched: run X".into();
    stale.updated_at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(10);
    assert!(
        !store
            .save_wanted_if_unchanged(&stale, read.updated_at)
            .await
            .unwrap()
    );
    let now = store.wanted(&id).await.unwrap().expect("listed");
    assert_eq!(now.state, WantedState::Satisfied, "{now:?}");

    // a record read after the last write is saved
    let mut fresh = now.clone();
    fresh.message = "searched: run Y".into();
    assert!(
        store
            .save_wanted_if_unchanged(&fresh, now.updated_at)
            .await
            .unwrap()
    );
    assert_eq!(
        store.wanted(&id).await.unwrap().unwrap().message,
        "searched: run Y"
    );
}

/// The names a list page shows: every listed album whose metadata is stored
/// (an album without it, or stored but not listed, is not in the list).
async fn the_names_of_listed_albums_come_in_one_list(backend: Backend) {
    use musicagg::metadata::Album;
    use musicagg::model::{AlbumId, Quality};
    use musicagg::store::WantedRecord;
    let (_db, store) = store(backend).await;
    let id = |n: u8| AlbumId::parse(&format!("1b022e01-4da6-387b-8658-8678046e4c{n:02x}")).unwrap();
    for n in [1, 2] {
        let mut album = Album::unknown(id(n));
        album.artist = format!("Band {n}");
        album.title = format!("Record {n}");
        store.save_album(&album).await.unwrap();
    }
    for n in [1, 3] {
        let record = WantedRecord::new(
            id(n),
            Quality::Lossless,
            Quality::Lossless,
            chrono::Utc::now(),
        );
        store.put_wanted(&record, false).await.unwrap();
    }
    let names = store.wanted_album_names().await.unwrap();
    assert_eq!(names, vec![(id(1), "Band 1".into(), "Record 1".into())]);
}
