//! [wanted] The upgrade with real binaries: the real `serve`, a seeding
//! qbittorrent-nox and the service's own, real FLAC and MP3 files. An MP3 320
//! of a wanted `lossless` album (cutoff lossless: FLAC) is imported; a FLAC
//! appears on the indexer; SearchWantedNow grabs and imports it, the MP3
//! folder is moved to `.musicagg-replaced/…` (kept, not deleted), and the
//! album ends SATISFIED.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use musicagg::model::{AlbumId, DownloadState};
use musicagg::proto::v1 as pb;
use wiremock::Mock;
use wiremock::matchers::{method, query_param};

use crate::downloads::{serve, serve_log, until};
use crate::fake_torznab::{FeedItem, jackett_feed, xml};
use crate::harness::{Backend, TestDb};
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, TRACKS, folder_size};
use crate::stream::ALBUM;

const MP3_NAME: &str = "Artist - Album (2020) [MP3 320]";
const LIMIT: Duration = Duration::from_secs(120);

pub(crate) type Grpc =
    pb::music_aggregator_service_client::MusicAggregatorServiceClient<tonic::transport::Channel>;

pub(crate) async fn wanted_album(grpc: &mut Grpc) -> pb::WantedAlbum {
    let mut albums = grpc
        .list_wanted(pb::ListWantedRequest { state: 0 })
        .await
        .unwrap()
        .into_inner()
        .albums;
    assert_eq!(albums.len(), 1, "{albums:?}");
    albums.remove(0)
}

/// The audio files under `dir`, relative to it, sorted.
pub(crate) fn audio_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "flac" || e == "mp3") {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn item<'a>(title: &'a str, size: u64, category: u32, link_path: &'a str) -> FeedItem<'a> {
    FeedItem {
        title,
        size,
        seeders: 10,
        category,
        link_path,
        info_hash: None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum FirstCopy {
    /// Asked for in MP3 320 by a client; the album wanted lossless.
    AskedFor,
    /// Grabbed by the wanted list itself (wanted `any`, cutoff lossless).
    Wanted,
}

async fn add_wanted(grpc: &mut Grpc, quality: pb::Quality) {
    grpc.add_wanted(pb::AddWantedRequest {
        album_id: ALBUM.into(),
        quality: quality.into(),
        cutoff: pb::Quality::Lossless.into(),
    })
    .await
    .unwrap();
}

async fn search_now(grpc: &mut Grpc) -> String {
    let run_id = grpc
        .search_wanted_now(pb::SearchWantedNowRequest {
            album_id: ALBUM.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .run_id;
    assert!(!run_id.is_empty());
    run_id
}

/// Polls the wanted album until `done` holds (the list follows downloads
/// every few seconds).
pub(crate) async fn wanted_until(
    scene: &Scene,
    grpc: &mut Grpc,
    what: &str,
    done: impl Fn(&pb::WantedAlbum) -> bool,
) -> pb::WantedAlbum {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = wanted_album(grpc).await;
        if done(&listed) {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}: {listed:?}\nserve log: {}",
            serve_log(scene)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn an_mp3_is_upgraded_to_flac(backend: Backend, first: FirstCopy) {
    let scene = Scene::start(SceneOptions::default()).await;
    let mp3_hash = scene
        .seed_another(MP3_NAME, |dir| {
            crate::scene::mp3_tracks(dir, TRACKS, 3, "Song")
        })
        .await;
    let mp3_dir: PathBuf = scene.album_dir.parent().unwrap().join(MP3_NAME);
    let mp3_size = folder_size(&mp3_dir);
    let mp3_item = || item(MP3_NAME, mp3_size, 3010, "/dl/mp3/");
    // At first the indexer has only the MP3.
    let only_mp3 = jackett_feed(&scene.indexer.base(), &[mp3_item()]);
    scene.indexer.on("search", xml(200, only_mp3)).await;
    scene
        .indexer
        .download_of("mp3", &scene.magnet(&mp3_hash))
        .await;
    scene
        .indexer
        .download_of("flac", &scene.magnet(&scene.hash))
        .await;

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    // No scheduled searches and no RSS during the test: only the requests
    // below search.
    let extra = "\n[wanted]\nsearches_per_hour = 0\nrss_interval = 3600\n";
    let server = serve(&scene, &db, extra).await;
    let mut grpc = Grpc::connect(server.url.clone()).await.unwrap();

    // The MP3 320 is what there is: imported.
    match first {
        FirstCopy::AskedFor => {
            // Wanted lossless (cutoff lossless); the MP3 asked for by itself.
            add_wanted(&mut grpc, pb::Quality::Lossless).await;
            let (_, result) =
                crate::e2e::read_all(&mut grpc, crate::harness::start(ALBUM, pb::Quality::Mp3320))
                    .await;
            assert_eq!(
                result.status(),
                pb::WorkflowStatus::Complete,
                "{}",
                result.message
            );
        }
        FirstCopy::Wanted => {
            // Wanted in any quality up to lossless: the wanted list grabs
            // the MP3 itself.
            add_wanted(&mut grpc, pb::Quality::Any).await;
            search_now(&mut grpc).await;
        }
    }
    until(&scene, store.as_ref(), "the MP3 imported", LIMIT, |d| {
        d.len() == 1 && d[0].state == DownloadState::Imported
    })
    .await;
    if first == FirstCopy::Wanted {
        // Imported below its cutoff: wanted again for an upgrade.
        let listed = wanted_until(&scene, &mut grpc, "wanted for an upgrade", |a| {
            a.state() == pb::WantedState::Wanted && a.message.contains("below its cutoff")
        })
        .await;
        assert!(listed.message.contains(MP3_NAME), "{listed:?}");
    }
    let mp3_files = audio_files(&scene.library);
    assert_eq!(
        mp3_files,
        [
            "Artist/Album (2020)/01 - Song 1.mp3",
            "Artist/Album (2020)/02 - Song 2.mp3",
            "Artist/Album (2020)/03 - Song 3.mp3"
        ]
    );
    let listed = wanted_album(&mut grpc).await;
    assert_ne!(listed.state(), pb::WantedState::Satisfied, "{listed:?}");

    // The FLAC appears (a newer answer takes over).
    let size = folder_size(&scene.album_dir);
    let both = jackett_feed(
        &scene.indexer.base(),
        &[mp3_item(), item(ALBUM_NAME, size, 3040, "/dl/flac/")],
    );
    Mock::given(method("GET"))
        .and(query_param("t", "search"))
        .respond_with(xml(200, both))
        .with_priority(5)
        .mount(&scene.indexer.server)
        .await;
    let run_id = search_now(&mut grpc).await;

    let downloads = until(&scene, store.as_ref(), "the FLAC imported", LIMIT, |d| {
        d.iter()
            .any(|d| d.info_hash == scene.hash && d.state == DownloadState::Imported)
    })
    .await;
    let flac = downloads
        .iter()
        .find(|d| d.info_hash == scene.hash)
        .unwrap();
    assert_eq!(
        flac.run_id.map(|r| r.to_string()),
        Some(run_id),
        "{flac:#?}"
    );

    // SATISFIED once the wanted list has followed the import (its step
    // runs every few seconds).
    let listed = wanted_until(&scene, &mut grpc, "SATISFIED", |a| {
        a.state() == pb::WantedState::Satisfied
    })
    .await;
    assert!(listed.message.contains("satisfied"), "{listed:?}");

    // The FLAC files in the library; the MP3 files moved aside, not deleted.
    let files = audio_files(&scene.library);
    let (replaced, kept): (Vec<&String>, Vec<&String>) = files
        .iter()
        .partition(|f| f.starts_with(".musicagg-replaced/"));
    // Placed beside the MP3 folder at import (`Album (2020) (2)`), then
    // given its name back once the MP3 folder had moved.
    assert_eq!(
        kept,
        [
            "Artist/Album (2020)/01 - Song 1.flac",
            "Artist/Album (2020)/02 - Song 2.flac",
            "Artist/Album (2020)/03 - Song 3.flac"
        ],
        "{files:#?}"
    );
    let flac = store
        .album_downloads(&AlbumId::parse(ALBUM).unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.info_hash == scene.hash)
        .unwrap();
    assert_eq!(
        flac.library_path.as_deref().map(Path::new),
        Some(scene.library.join("Artist/Album (2020)").as_path()),
        "{flac:#?}"
    );
    assert_eq!(replaced.len(), TRACKS as usize, "{files:#?}");
    for (moved, original) in replaced.iter().zip(&mp3_files) {
        // .musicagg-replaced/<UTC time>/Artist/Album (2020)/01 - Song 1.mp3
        let rest = moved.splitn(3, '/').nth(2).unwrap();
        assert_eq!(rest, original, "{files:#?}");
    }
    // The index no longer counts the MP3s: the album is owned in FLAC.
    let owned = store.library_album_files(ALBUM, "", &[]).await.unwrap();
    assert!(
        owned
            .iter()
            .all(|f| !f.folder.contains(".musicagg-replaced")),
        "{owned:#?}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_below_the_cutoff_is_upgraded_to_flac_and_moved_aside_on_postgres() {
    an_mp3_is_upgraded_to_flac(Backend::Postgres, FirstCopy::AskedFor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_the_wanted_list_grabbed_is_upgraded_to_flac_in_the_cutoff_tier_on_postgres() {
    an_mp3_is_upgraded_to_flac(Backend::Postgres, FirstCopy::Wanted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_below_the_cutoff_is_upgraded_to_flac_and_moved_aside_on_sqlite() {
    an_mp3_is_upgraded_to_flac(Backend::Sqlite, FirstCopy::AskedFor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mp3_the_wanted_list_grabbed_is_upgraded_to_flac_in_the_cutoff_tier_on_sqlite() {
    an_mp3_is_upgraded_to_flac(Backend::Sqlite, FirstCopy::Wanted).await;
}
