//! [wanted] Issue 14's first acceptance item with real binaries: the real
//! `serve`, a seeding qbittorrent-nox and the service's own, real FLAC
//! files. An album with no release ends NO_RESULTS and stays wanted; the
//! fake indexer then publishes the release on its RSS feed (`t=search`
//! without a query); within one `rss_interval` the service grabs it with no
//! client action, and a WatchDownloads client connected before the release
//! appeared sees the download through to IMPORTED. The album is in the
//! library and the wanted record ends SATISFIED.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use musicagg::model::DownloadState;
use musicagg::proto::v1 as pb;
use wiremock::matchers::{method, query_param, query_param_is_missing};
use wiremock::{Mock, Request};

use crate::downloads::{serve, serve_log, until};
use crate::fake_torznab::{FeedItem, fixture, jackett_feed, xml};
use crate::harness::{Backend, TestDb};
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, folder_size, state_name};
use crate::stream::ALBUM;
use crate::upgrade::{Grpc, audio_files, wanted_album, wanted_until};

/// Seconds between RSS syncs in this test.
const RSS_INTERVAL: u64 = 2;
const LIMIT: Duration = Duration::from_secs(120);

/// Searches made with a query (a run's own search, not an RSS sync).
async fn searches_with_a_query(scene: &Scene) -> usize {
    scene
        .indexer
        .requests()
        .await
        .iter()
        .filter(|r| r.starts_with("search") && r.contains("q="))
        .count()
}

async fn no_release_then_rss_grabs_and_imports_it(backend: Backend) {
    let scene = Scene::start(SceneOptions::default()).await;
    // At first the indexer has nothing, whatever is asked.
    scene
        .indexer
        .on(
            "search",
            xml(200, fixture("jackett-empty.xml", &scene.indexer.base())),
        )
        .await;
    scene
        .indexer
        .download_of("flac", &scene.magnet(&scene.hash))
        .await;

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    // No scheduled searches: only the client's run and the RSS sync search.
    let extra = format!("\n[wanted]\nsearches_per_hour = 0\nrss_interval = {RSS_INTERVAL}\n");
    let server = serve(&scene, &db, &extra).await;
    let mut grpc = Grpc::connect(server.url.clone()).await.unwrap();

    // No release: NO_RESULTS, and the album stays wanted.
    let (_, result) = crate::e2e::read_all(
        &mut grpc,
        pb::StartMonitorRequest {
            keep_wanted: true,
            ..crate::harness::start(ALBUM, pb::Quality::Lossless)
        },
    )
    .await;
    assert_eq!(
        result.status(),
        pb::WorkflowStatus::NoResults,
        "{}",
        result.message
    );
    let listed = wanted_album(&mut grpc).await;
    assert_eq!(listed.state(), pb::WantedState::Wanted, "{listed:?}");
    assert_eq!(listed.cutoff(), pb::Quality::Lossless, "{listed:?}");
    assert!(
        store
            .album_downloads(&musicagg::model::AlbumId::parse(ALBUM).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let queries_before = searches_with_a_query(&scene).await;
    assert!(queries_before >= 1, "{:?}", scene.indexer.requests().await);

    // A client watches the album's downloads before anything is published.
    let mut watch = grpc
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    // The indexer publishes the release on its RSS feed (categories, no
    // query); each answer carrying it is logged.
    let size = folder_size(&scene.album_dir);
    let feed = jackett_feed(
        &scene.indexer.base(),
        &[FeedItem::linked(ALBUM_NAME, size, 10, 3040, "/dl/flac/")],
    );
    let served: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let log = served.clone();
    let published = Instant::now();
    Mock::given(method("GET"))
        .and(query_param("t", "search"))
        .and(query_param_is_missing("q"))
        .respond_with(move |_: &Request| {
            log.lock().unwrap().push(Instant::now());
            xml(200, feed.clone())
        })
        .with_priority(5)
        .mount(&scene.indexer.server)
        .await;

    // No client action from here: the watcher sees the download from its
    // first state to IMPORTED.
    let mut states = Vec::new();
    let mut grabbed_after = None;
    let deadline = Instant::now() + LIMIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let update = match tokio::time::timeout(left, watch.message()).await {
            Ok(update) => update.expect("no error").expect("the stream goes on"),
            Err(_) => panic!(
                "the watcher never saw IMPORTED: {states:?}\nserve log: {}",
                serve_log(&scene)
            ),
        };
        assert!(!update.replayed, "{update:?}");
        let download = update.download.expect("the download");
        assert_eq!(download.info_hash, scene.hash, "{download:?}");
        grabbed_after.get_or_insert_with(|| published.elapsed());
        let state = state_name(download.state);
        let imported = state == "IMPORTED";
        if states.last() != Some(&state) {
            states.push(state);
        }
        if imported {
            break;
        }
    }
    crate::e2e::assert_download_life(&states);

    // The release was picked up by an RSS sync within one interval of its
    // publication (the slack is for a loaded machine), and the run took the
    // RSS item as its candidate: no search with a query since NO_RESULTS.
    let first_served = served
        .lock()
        .unwrap()
        .first()
        .copied()
        .expect("an RSS request answered with the release");
    let picked_up = first_served - published;
    assert!(
        picked_up <= Duration::from_secs(RSS_INTERVAL) + Duration::from_secs(10),
        "the first RSS request after publication came {picked_up:?} later"
    );
    assert_eq!(
        searches_with_a_query(&scene).await,
        queries_before,
        "{:?}",
        scene.indexer.requests().await
    );
    eprintln!(
        "RSS asked {picked_up:?} after publication; grab seen by the watcher after {:?}",
        grabbed_after.unwrap()
    );

    let downloads = until(&scene, store.as_ref(), "the FLAC imported", LIMIT, |d| {
        d.len() == 1 && d[0].state == DownloadState::Imported
    })
    .await;
    assert_eq!(downloads[0].info_hash, scene.hash, "{downloads:#?}");
    assert!(downloads[0].run_id.is_some(), "{downloads:#?}");

    // The album in the library, the wanted record SATISFIED.
    assert_eq!(
        audio_files(&scene.library),
        [
            "Artist/Album (2020)/01 - Song 1.flac",
            "Artist/Album (2020)/02 - Song 2.flac",
            "Artist/Album (2020)/03 - Song 3.flac"
        ]
    );
    let listed = wanted_until(&scene, &mut grpc, "SATISFIED", |a| {
        a.state() == pb::WantedState::Satisfied
    })
    .await;
    assert!(listed.message.contains("satisfied"), "{listed:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_release_stays_wanted_then_rss_grabs_and_imports_it_with_real_binaries_on_postgres() {
    no_release_then_rss_grabs_and_imports_it(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_release_stays_wanted_then_rss_grabs_and_imports_it_with_real_binaries_on_sqlite() {
    no_release_then_rss_grabs_and_imports_it(Backend::Sqlite).await;
}
