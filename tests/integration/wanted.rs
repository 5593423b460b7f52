//! [wanted]: the wanted list kept across runs and restarts, RSS sync against a
//! Torznab server in Jackett's exact format, the per-indexer spacing read
//! from the server's own request log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use musicagg::config::Seconds;
use musicagg::indexer::TorznabIndexers;
use musicagg::model::AlbumId;
use musicagg::proto::v1 as pb;
use musicagg::store::{WantedRecord, WantedState};
use musicagg::wanted::{Wanted, WantedConfig};
use tokio_stream::StreamExt;
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, Request};

use crate::doubles::{Fake, album};
use crate::fake_torznab::{FakeIndexer, FeedItem, fixture, jackett_feed, xml};
use crate::harness::{Backend, TestApp, TestDb, start, within};
use crate::stream::ALBUM;

const HASH: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

/// Answers `t=search` with `feed` and records when each request arrived.
/// A later call with a smaller `priority` takes over (the release published).
async fn serve_search(
    indexer: &FakeIndexer,
    feed: String,
    log: Arc<Mutex<Vec<Instant>>>,
    priority: u8,
) {
    Mock::given(method("GET"))
        .and(query_param("t", "search"))
        .respond_with(move |_: &Request| {
            log.lock().expect("log").push(Instant::now());
            xml(200, feed.clone())
        })
        .with_priority(priority)
        .mount(&indexer.server)
        .await;
}

fn the_release(base: &str) -> String {
    jackett_feed(
        base,
        &[FeedItem {
            info_hash: Some(HASH),
            ..FeedItem::linked(
                "Artist - Album (2020) [FLAC]",
                300_000_000,
                20,
                3040,
                "/dl/a/",
            )
        }],
    )
}

async fn no_release_then_rss_grabs_it(backend: Backend) {
    let indexer = FakeIndexer::jackett("all").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let empty = fixture("jackett-empty.xml", &indexer.base());
    let log = Arc::new(Mutex::new(Vec::new()));
    serve_search(&indexer, empty, log.clone(), 6).await;
    let (fake, mut providers) = Fake {
        releases: vec![],
        ..Fake::default()
    }
    .into_providers();
    providers.indexers =
        Arc::new(TorznabIndexers::from_config(&[indexer.config("jackett")]).expect("indexers"));
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn_on(db, providers, |c| {
        c.wanted.rss_interval = Seconds(1);
        c.wanted.searches_per_hour = 0;
    })
    .await;
    let album_id = AlbumId::parse(ALBUM).unwrap();
    // The metadata double does not persist: RSS needs the album's names.
    app.workflows
        .store
        .save_album(&album(&album_id))
        .await
        .unwrap();

    let ended = app
        .watch_to_end(pb::StartMonitorRequest {
            keep_wanted: true,
            ..start(ALBUM, pb::Quality::Lossless)
        })
        .await;
    assert_eq!(ended.result().status(), pb::WorkflowStatus::NoResults);
    let mut client = app.client().await;
    let listed = client
        .list_wanted(pb::ListWantedRequest::default())
        .await
        .unwrap()
        .into_inner()
        .albums;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].state(), pb::WantedState::Wanted);
    assert_eq!(listed[0].cutoff(), pb::Quality::Lossless, "default cutoff");

    // A client watches the album's downloads before anything is published.
    let mut watch = client
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // The indexer publishes the release: the next RSS sync grabs it.
    serve_search(&indexer, the_release(&indexer.base()), log.clone(), 5).await;
    let update = within("the RSS grab reaching a watcher", watch.next())
        .await
        .expect("an update")
        .expect("no error");
    let download = update.download.expect("the download");
    assert_eq!(download.info_hash, HASH);
    assert_eq!(fake.added.lock().unwrap().as_slice(), [HASH.to_owned()]);
    within("the wanted list to say GRABBED", async {
        loop {
            let listed = client
                .list_wanted(pb::ListWantedRequest::default())
                .await
                .unwrap()
                .into_inner()
                .albums;
            if listed[0].state() == pb::WantedState::Grabbed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    // The run took the RSS item as its candidate list: no search request
    // carried a query after the NO_RESULTS run.
    let requests = indexer.requests().await;
    let searches_with_a_query = requests
        .iter()
        .filter(|r| r.starts_with("search") && r.contains("q="))
        .count();
    assert_eq!(searches_with_a_query, 1, "{requests:?}");
    app.stop().await;
}

#[tokio::test]
async fn no_release_stays_wanted_then_rss_grabs_it_on_postgres() {
    no_release_then_rss_grabs_it(Backend::Postgres).await;
}

#[tokio::test]
async fn no_release_stays_wanted_then_rss_grabs_it_on_sqlite() {
    no_release_then_rss_grabs_it(Backend::Sqlite).await;
}

/// 1,000 wanted albums, two indexers answering RSS with 100 items each, of
/// which 3 are wanted: one request per indexer, the 3 runs started, and the
/// requests to one indexer spaced by min_request_interval whoever sent them.
#[tokio::test]
async fn a_thousand_wanted_albums_one_rss_request_per_indexer_and_spaced_requests() {
    let mut indexers = Vec::new();
    let mut logs = Vec::new();
    for id in ["a", "b"] {
        let indexer = FakeIndexer::jackett(id).await;
        indexer.caps("jackett-caps-q-only.xml").await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let titles: Vec<String> = (0..100)
            .map(|i| match i {
                10 => "Band 7 - Record 7 (2001) [FLAC]".to_owned(),
                50 => "Band 123 - Record 123 (2003) [FLAC]".to_owned(),
                90 => "Band.999-Record.999-WEB-FLAC-2020-GRP".to_owned(),
                _ => format!("Someone {id}{i} - Something Else (2020) [MP3 320]"),
            })
            .collect();
        let hashes: Vec<String> = (0..100).map(|i| format!("{id}{i:039}")).collect();
        let items: Vec<FeedItem<'_>> = titles
            .iter()
            .zip(&hashes)
            .map(|(t, h)| FeedItem {
                info_hash: Some(h),
                ..FeedItem::linked(t, 300_000_000, 20, 3040, "/dl/x/")
            })
            .collect();
        serve_search(
            &indexer,
            jackett_feed(&indexer.base(), &items),
            log.clone(),
            5,
        )
        .await;
        logs.push(log);
        indexers.push(indexer);
    }
    let configs: Vec<_> = indexers
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut c = f.config(&format!("idx{i}"));
            c.min_request_interval = Seconds(1);
            c
        })
        .collect();
    let torznab = Arc::new(TorznabIndexers::from_config(&configs).expect("indexers"));
    let (fake, mut providers) = Fake::default().into_providers();
    providers.indexers = torznab.clone();
    // The background loop stays out of the way: this test drives the sync.
    let app = TestApp::spawn_on(TestDb::new(Backend::Sqlite).await, providers, |c| {
        c.wanted.rss_interval = Seconds(3600);
        c.wanted.searches_per_hour = 0;
    })
    .await;
    let store = &app.workflows.store;
    let now = chrono::Utc::now();
    for n in 0..1000u32 {
        let id = AlbumId::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap();
        let mut a = album(&id);
        a.artist = format!("Band {n}");
        a.title = format!("Record {n}");
        store.save_album(&a).await.unwrap();
        let record = WantedRecord::new(
            id,
            musicagg::model::Quality::Any,
            musicagg::model::Quality::Any,
            now,
        );
        store.put_wanted(&record, false).await.unwrap();
    }
    let wanted = Wanted::new(app.workflows.clone(), WantedConfig::default());
    let report = within("one RSS sync", wanted.rss_sync()).await;
    assert_eq!(report.wanted, 1000);
    assert_eq!(report.requests, 2, "{report:?}");
    assert_eq!(report.items, 200);
    // 3 wanted albums, each on both indexers.
    assert_eq!(report.matched, 6, "{report:?}");
    assert_eq!(report.started.len(), 3, "{report:?}");
    for log in &logs {
        assert_eq!(log.lock().unwrap().len(), 1, "one RSS request per indexer");
    }
    // Whoever asks (the runs the sync started, the command line's search,
    // another sync), requests to one indexer keep their distance.
    let (_, _, second) = tokio::join!(
        torznab.search_terms("Band 1", "Record 1"),
        torznab.search_terms("Band 2", "Record 2"),
        wanted.rss_sync(),
    );
    assert_eq!(second.requests, 2);
    within("the started runs", app.idle()).await;
    assert_eq!(fake.added.lock().unwrap().len(), 3);
    for (indexer, log) in indexers.iter().zip(&logs) {
        let mut times = log.lock().unwrap().clone();
        times.sort();
        assert!(times.len() >= 4, "{:?}", indexer.requests().await);
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_secs(1),
                "two requests {:?} apart",
                pair[1] - pair[0]
            );
        }
    }
    app.stop().await;
}

/// The list and the schedule survive a restart; an interrupted run's album
/// is searched again at once, the interrupted run naming the new one.
async fn restart_keeps_the_list(backend: Backend) {
    let (_, providers) = Fake::default().into_providers();
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let album_id = AlbumId::parse(ALBUM).unwrap();
    let later = chrono::Utc::now() + chrono::TimeDelta::hours(6);
    let mut record = WantedRecord::new(
        AlbumId::parse("2b022e01-4da6-387b-8658-8678046e4cef").unwrap(),
        musicagg::model::Quality::Lossless,
        musicagg::model::Quality::Lossless,
        chrono::Utc::now(),
    );
    record.next_search_at = Some(later);
    record.attempts = 1;
    store.put_wanted(&record, false).await.unwrap();
    // A run a dead process left running.
    let key = musicagg::model::WorkflowKey {
        album_id: album_id.clone(),
        quality: musicagg::model::Quality::Lossless,
    };
    let old = musicagg::model::RunId::new();
    store.create_run(old, &key).await.unwrap();
    drop(store);
    let app = TestApp::spawn_on(db, providers, |_| {}).await;
    within("the restarted run", app.idle()).await;
    let store = &app.workflows.store;
    let kept = store.wanted(&record.album_id).await.unwrap().expect("kept");
    assert_eq!(kept.state, WantedState::Wanted);
    assert_eq!(kept.attempts, 1);
    let kept_at = kept.next_search_at.expect("scheduled");
    assert!(
        (kept_at - later).num_milliseconds().abs() < 1000,
        "{kept_at} vs {later}"
    );
    let interrupted = store.run(old).await.unwrap().expect("old run");
    assert_eq!(interrupted.status, musicagg::model::WorkflowStatus::Failed);
    let latest = store.latest_run(&key).await.unwrap().expect("a new run");
    assert_ne!(latest.id, old);
    assert!(
        interrupted.message.contains(&latest.id.to_string()),
        "{}",
        interrupted.message
    );
    assert_eq!(latest.status, musicagg::model::WorkflowStatus::Complete);
    let listed = store.wanted(&album_id).await.unwrap().expect("listed");
    assert_eq!(listed.state, WantedState::Grabbed, "{listed:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_list_and_searches_interrupted_albums_on_postgres() {
    restart_keeps_the_list(Backend::Postgres).await;
}

#[tokio::test]
async fn a_restart_keeps_the_list_and_searches_interrupted_albums_on_sqlite() {
    restart_keeps_the_list(Backend::Sqlite).await;
}
