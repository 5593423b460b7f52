//! [downloads] The download's life with real binaries: the real `serve`,
//! real qbittorrent-nox seeding and leeching over loopback. A dead release
//! fails and is retried; a client whose folder this machine sees under
//! another name imports through a path mapping; a crash while downloading
//! loses nothing and imports once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use musicagg::model::{AlbumId, DownloadState, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::store::{DownloadFilter, DownloadRecord, Store};

use crate::e2e::{assert_download_life, watch_all};
use crate::fake_torznab::{FeedItem, jackett_feed, xml};
use crate::harness::{Backend, TestDb};
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, TRACKS, folder_size};
use crate::serve::{Server, musicagg, spawn_serve};
use crate::stream::ALBUM;

/// A magnet nobody in the scene has: no metadata ever arrives.
const DEAD_HASH: &str = "dead00000000000000000000000000000000beef";
const DEAD_TITLE: &str = "Artist - Album (2020) [FLAC] [WEB]";

fn album() -> AlbumId {
    AlbumId::parse(ALBUM).unwrap()
}

pub async fn serve(scene: &Scene, db: &TestDb, extra: &str) -> Server {
    let config_file = scene.work.path().join("musicagg.toml");
    std::fs::write(&config_file, scene.config(&db.url, extra)).unwrap();
    let mut command = musicagg(scene.work.path());
    command.arg("--config").arg(&config_file);
    spawn_serve(scene.work.path(), command).await
}

/// Asks for the album over gRPC and waits for COMPLETE (the grab).
async fn grab(server: &Server) {
    let mut grpc = pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let (_, result) = crate::e2e::read_all(
        &mut grpc,
        crate::harness::start(ALBUM, pb::Quality::Lossless),
    )
    .await;
    assert_eq!(
        result.status(),
        pb::WorkflowStatus::Complete,
        "{}",
        result.message
    );
}

pub fn serve_log(scene: &Scene) -> String {
    std::fs::read_to_string(scene.work.path().join("serve.log")).unwrap_or_default()
}

/// Polls the album's downloads until `done` holds (bounded).
pub async fn until(
    scene: &Scene,
    store: &dyn Store,
    what: &str,
    limit: Duration,
    done: impl Fn(&[DownloadRecord]) -> bool,
) -> Vec<DownloadRecord> {
    let deadline = Instant::now() + limit;
    loop {
        let downloads = store.album_downloads(&album()).await.unwrap();
        if done(&downloads) {
            return downloads;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {downloads:#?}\nserve log: {}",
            serve_log(scene)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `musicagg monitor --json --follow` to its end, which must be a success;
/// its stdout and stderr.
async fn monitor_follow(scene: &Scene, server: &Server) -> String {
    let mut command = musicagg(scene.work.path());
    command.args([
        "monitor",
        ALBUM,
        "--quality",
        "lossless",
        "--json",
        "--follow",
    ]);
    command.args(["--server", &server.url]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let output = tokio::time::timeout(
        Duration::from_secs(180),
        tokio::process::Command::from(command).output(),
    )
    .await
    .expect("monitor --follow ends")
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let said = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "monitor --follow: {said}\nserve log: {}",
        serve_log(scene)
    );
    said
}

async fn a_dead_release_fails_and_the_retry_imports_the_next(backend: Backend) {
    let scene = Scene::start(SceneOptions::default()).await;
    let size = folder_size(&scene.album_dir);
    // The dead copy ranks first (many seeders, says the feed).
    let item = |title, seeders, link_path| FeedItem {
        title,
        size,
        seeders,
        category: 3040,
        link_path,
        info_hash: None,
    };
    let feed = jackett_feed(
        &scene.indexer.base(),
        &[
            item(DEAD_TITLE, 90, "/dl/dead/"),
            item(ALBUM_NAME, 2, "/dl/right/"),
        ],
    );
    scene.indexer.on("search", xml(200, feed)).await;
    scene
        .indexer
        .download_of("dead", &scene.magnet(DEAD_HASH))
        .await;
    scene
        .indexer
        .download_of("right", &scene.magnet(&scene.hash))
        .await;

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let server = serve(&scene, &db, "stalled_timeout = 4\n").await;
    let output = monitor_follow(&scene, &server).await;

    let downloads = store.album_downloads(&album()).await.unwrap();
    assert_eq!(downloads.len(), 2, "{downloads:#?}");
    let (dead, right) = (&downloads[0], &downloads[1]);
    assert_eq!(dead.info_hash, DEAD_HASH);
    assert_eq!(dead.state, DownloadState::Failed);
    assert!(dead.blocklisted);
    assert!(dead.message.contains("no progress for"), "{}", dead.message);
    assert!(
        dead.message.contains("nobody sent the magnet's metadata"),
        "{}",
        dead.message
    );
    assert!(
        dead.message.contains("removed from qbittorrent"),
        "{}",
        dead.message
    );
    let retry_run = dead
        .retry_run_id
        .expect("the failed download names its retry run");
    assert_eq!(right.run_id, Some(retry_run));
    assert_eq!(right.state, DownloadState::Imported, "{}", right.message);
    // Removed from the client; the right one still seeds.
    let client = scene.leecher.client();
    assert!(client.torrents(&[DEAD_HASH]).await.unwrap().is_empty());
    assert_eq!(client.torrents(&[&scene.hash]).await.unwrap().len(), 1);
    // The album is there.
    let folder = scene.library.join("Artist/Album (2020)");
    for n in 1..=TRACKS {
        assert!(folder.join(format!("{n:02} - Song {n}.flac")).is_file());
    }

    // The retry run's candidates show the dead one rejected as blocklisted.
    let mut grpc = pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let candidates = grpc
        .list_candidates(pb::ListCandidatesRequest {
            run_id: retry_run.to_string(),
        })
        .await
        .unwrap()
        .into_inner()
        .candidates;
    let dead_candidate = candidates
        .iter()
        .find(|c| c.release.as_ref().is_some_and(|r| r.title == DEAD_TITLE))
        .expect("the dead release among the retry run's candidates");
    assert!(!dead_candidate.accepted);
    assert!(
        dead_candidate
            .rejection_reasons
            .iter()
            .any(|r| r.contains("blocklisted")),
        "{:?}",
        dead_candidate.rejection_reasons
    );
    let retry = store.run(retry_run).await.unwrap().unwrap();
    assert_eq!(retry.status, WorkflowStatus::Complete);

    // --follow watched the dead download fail, followed the retry run, and
    // the next download to IMPORTED.
    let failed_at = output
        .find("\"FAILED\"")
        .expect("the dead download's FAILED");
    let retried = output[failed_at..]
        .find(&format!("\"run_id\":\"{retry_run}\""))
        .expect("the retry run followed after the failure");
    assert!(
        output[failed_at + retried..].contains("\"IMPORTED\""),
        "{output}"
    );

    // WatchDownloads of the album: both lives in one sequence.
    let mut stream = grpc
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let update = crate::harness::within("album updates", stream.message())
            .await
            .unwrap()
            .unwrap();
        seen.push(update);
    }
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq));
    drop(server);
}

async fn releases_that_are_not_what_they_say_are_refused_with_real_torrents(backend: Backend) {
    let scene = Scene::start(SceneOptions::default()).await;
    // Two more releases seeded for real: two tracks of the three, and MP3s
    // under a FLAC title. Both rank above the right one.
    const SHORT: &str = "Artist - Album (2020) [FLAC] [CD]";
    const MP3: &str = "Artist - Album (2020) [FLAC] [WEB]";
    let short = scene
        .seed_another(SHORT, |dir| crate::scene::flac_tracks(dir, 2, 3))
        .await;
    let mp3 = scene
        .seed_another(MP3, |dir| crate::scene::mp3_tracks(dir, TRACKS, 3, "Song"))
        .await;
    let size = folder_size(&scene.album_dir);
    let item = |title, seeders, link_path| FeedItem {
        title,
        size,
        seeders,
        category: 3040,
        link_path,
        info_hash: None,
    };
    let feed = jackett_feed(
        &scene.indexer.base(),
        &[
            item(SHORT, 900, "/dl/short/"),
            item(MP3, 90, "/dl/mp3/"),
            item(ALBUM_NAME, 9, "/dl/right/"),
        ],
    );
    scene.indexer.on("search", xml(200, feed)).await;
    scene
        .indexer
        .download_of("short", &scene.magnet(&short))
        .await;
    scene.indexer.download_of("mp3", &scene.magnet(&mp3)).await;
    scene
        .indexer
        .download_of("right", &scene.magnet(&scene.hash))
        .await;

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let server = serve(&scene, &db, "").await;
    monitor_follow(&scene, &server).await;
    let downloads = store.album_downloads(&album()).await.unwrap();
    assert_eq!(
        downloads
            .iter()
            .map(|d| (d.info_hash.as_str(), d.state))
            .collect::<Vec<_>>(),
        [
            (short.as_str(), DownloadState::Failed),
            (mp3.as_str(), DownloadState::Failed),
            (scene.hash.as_str(), DownloadState::Imported)
        ],
        "{downloads:#?}"
    );
    assert!(
        downloads[0]
            .message
            .contains("2 audio files for an album of 3 tracks"),
        "{}",
        downloads[0].message
    );
    assert!(
        downloads[1].message.contains("MP3"),
        "{}",
        downloads[1].message
    );
    for refused in &downloads[..2] {
        assert!(
            refused.blocklisted && refused.retry_run_id.is_some(),
            "{refused:#?}"
        );
        assert!(
            refused.message.starts_with("import refused: "),
            "{}",
            refused.message
        );
    }
    // Removed from the client with their data; only the right album in the
    // library.
    let client = scene.leecher.client();
    assert!(client.torrents(&[&short, &mp3]).await.unwrap().is_empty());
    assert!(!scene.leecher_files.join(SHORT).exists());
    assert!(!scene.leecher_files.join(MP3).exists());
    let mut placed: Vec<String> = std::fs::read_dir(scene.library.join("Artist/Album (2020)"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    placed.sort();
    assert_eq!(
        placed,
        ["01 - Song 1.flac", "02 - Song 2.flac", "03 - Song 3.flac"]
    );
    assert_eq!(std::fs::read_dir(&scene.library).unwrap().count(), 1);
    drop(server);
}

async fn a_client_folder_seen_under_another_name_imports_through_a_mapping(backend: Backend) {
    let scene = Scene::start(SceneOptions {
        client_view: true,
        ..Default::default()
    })
    .await;
    scene.offer_the_seed_scene().await;

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let mut server = serve(&scene, &db, "").await;
    grab(&server).await;

    // The client saved it in its own folder, which is empty here.
    let view = scene.work.path().join("client-downloads");
    let host = scene.work.path().join("host-downloads");
    let waiting = until(
        &scene,
        store.as_ref(),
        "COMPLETED, waiting for a mapping",
        Duration::from_secs(120),
        |d| {
            d.first().is_some_and(|d| {
                d.state == DownloadState::Completed && d.message.contains("add a path mapping")
            })
        },
    )
    .await;
    assert_eq!(
        waiting[0].message,
        format!(
            "the client saved it at {}, which this machine cannot see: add a path mapping",
            view.display()
        )
    );
    assert!(!waiting[0].blocklisted);
    assert!(
        host.join(ALBUM_NAME).is_dir(),
        "the files are there, under another name"
    );
    // Polls go on without failing it or writing an event each time.
    let events_before = store
        .download_events_after(
            &DownloadFilter {
                album_id: Some(album()),
                ..Default::default()
            },
            0,
            1000,
        )
        .await
        .unwrap()
        .len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = store.album_downloads(&album()).await.unwrap();
    assert_eq!(still.len(), 1);
    assert_eq!(still[0].state, DownloadState::Completed);
    let events_after = store
        .download_events_after(
            &DownloadFilter {
                album_id: Some(album()),
                ..Default::default()
            },
            0,
            1000,
        )
        .await
        .unwrap()
        .len();
    assert_eq!(events_before, events_after);

    // `musicagg client test` says which mapping is missing.
    let config_file = scene.work.path().join("musicagg.toml");
    let check = musicagg(scene.work.path())
        .arg("--config")
        .arg(&config_file)
        .args(["client", "test"])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(!check.status.success(), "{said}");
    assert!(
        said.contains(&format!("remote = \"{}\"", view.display())),
        "{said}"
    );

    // With the mapping, after a restart, it is imported.
    server.crash();
    let mapping = format!(
        "\n[[downloads.path_mappings]]\nremote = \"{}\"\nlocal = \"{}\"\n",
        view.display(),
        host.display()
    );
    let server = serve(&scene, &db, &mapping).await;
    let check = musicagg(scene.work.path())
        .arg("--config")
        .arg(&config_file)
        .args(["client", "test"])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check.status.success(), "{said}");
    assert!(said.contains("visible here"), "{said}");
    let done = until(
        &scene,
        store.as_ref(),
        "imported through the mapping",
        Duration::from_secs(60),
        |d| {
            d.first()
                .is_some_and(|d| d.state == DownloadState::Imported)
        },
    )
    .await;
    let folder = scene.library.join("Artist/Album (2020)");
    assert_eq!(
        done[0].library_path.as_deref(),
        Some(folder.display().to_string().as_str())
    );
    for n in 1..=TRACKS {
        let original =
            std::fs::read(scene.album_dir.join(format!("0{n} - Song {n}.flac"))).unwrap();
        assert!(original == std::fs::read(folder.join(format!("{n:02} - Song {n}.flac"))).unwrap());
    }
    drop(server);
}

async fn a_crash_while_downloading_imports_once_after_the_restart(backend: Backend) {
    // A slow seeder: the download takes long enough to be caught midway.
    let scene = Scene::start(SceneOptions {
        seconds: 6,
        upload_limit_kib: Some(48),
        ..Default::default()
    })
    .await;
    scene.offer_the_seed_scene().await;
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let mut server = serve(&scene, &db, "").await;
    grab(&server).await;
    let midway = until(
        &scene,
        store.as_ref(),
        "DOWNLOADING",
        Duration::from_secs(60),
        |d| {
            d.first()
                .is_some_and(|d| d.state == DownloadState::Downloading && d.progress > 0.0)
        },
    )
    .await;
    assert!(midway[0].progress < 1.0);
    server.crash();

    let server = serve(&scene, &db, "").await;
    let done = until(
        &scene,
        store.as_ref(),
        "imported after the restart",
        Duration::from_secs(120),
        |d| d.first().is_some_and(|d| d.state.is_terminal()),
    )
    .await;
    assert_eq!(done.len(), 1);
    assert_eq!(
        done[0].state,
        DownloadState::Imported,
        "{}",
        done[0].message
    );
    let events = store
        .download_events_after(
            &DownloadFilter {
                download_id: Some(done[0].id),
                ..Default::default()
            },
            0,
            1000,
        )
        .await
        .unwrap();
    let states: Vec<String> = events
        .iter()
        .map(|e| e.download.state.as_str().to_ascii_uppercase())
        .collect();
    let mut distinct: Vec<String> = Vec::new();
    for s in states {
        if distinct.last() != Some(&s) {
            distinct.push(s);
        }
    }
    assert_download_life(&distinct);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.download.state == DownloadState::Imported)
            .count(),
        1
    );
    // One album folder, complete, nothing temporary left.
    let folder = scene.library.join("Artist/Album (2020)");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["01 - Song 1.flac", "02 - Song 2.flac", "03 - Song 3.flac"]
    );
    assert_eq!(std::fs::read_dir(&scene.library).unwrap().count(), 1);
    // WatchDownloads agrees with the store.
    let watched = watch_all(
        &mut pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
            server.url.clone(),
        )
        .await
        .unwrap(),
        pb::WatchDownloadsRequest {
            download_id: done[0].id.to_string(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(watched.len(), events.len());
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_release_fails_and_the_retry_imports_the_next_on_postgres() {
    a_dead_release_fails_and_the_retry_imports_the_next(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_release_fails_and_the_retry_imports_the_next_on_sqlite() {
    a_dead_release_fails_and_the_retry_imports_the_next(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_that_are_not_what_they_say_are_refused_with_real_torrents_on_postgres() {
    releases_that_are_not_what_they_say_are_refused_with_real_torrents(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_that_are_not_what_they_say_are_refused_with_real_torrents_on_sqlite() {
    releases_that_are_not_what_they_say_are_refused_with_real_torrents(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_folder_seen_under_another_name_imports_through_a_mapping_on_postgres() {
    a_client_folder_seen_under_another_name_imports_through_a_mapping(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_folder_seen_under_another_name_imports_through_a_mapping_on_sqlite() {
    a_client_folder_seen_under_another_name_imports_through_a_mapping(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_downloading_imports_once_after_the_restart_on_postgres() {
    a_crash_while_downloading_imports_once_after_the_restart(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_downloading_imports_once_after_the_restart_on_sqlite() {
    a_crash_while_downloading_imports_once_after_the_restart(Backend::Sqlite).await;
}
