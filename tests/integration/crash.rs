//! A crash between the database write and the torrent client's answer: the
//! real `musicagg serve` is killed (SIGKILL) while qBittorrent "takes" the
//! add, then started again against a real qbittorrent-nox. Start-up
//! reconciliation must leave no download `added` without its torrent in the
//! client, and no torrent from us without a row.

use std::path::Path;
use std::time::{Duration, Instant};

use musicagg::model::{DownloadState, RunId, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::torrent_client::{AddRequest, TorrentClient};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::harness::{Backend, STEP, TestDb, start, within};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

const HASH: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// A qBittorrent that logs us in and then never answers `torrents/add`.
async fn stalling_qbittorrent() -> MockServer {
    let server = MockServer::start().await;
    let ok = |body: &str| ResponseTemplate::new(200).set_body_string(body.to_owned());
    Mock::given(path("/api/v2/auth/login"))
        .respond_with(ok("Ok."))
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/app/webapiVersion"))
        .respond_with(ok("2.8.19"))
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/torrents/createCategory"))
        .respond_with(ok(""))
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/torrents/info"))
        .respond_with(ok("[]"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/torrents/add"))
        .respond_with(ok("Ok.").set_delay(Duration::from_secs(600)))
        .mount(&server)
        .await;
    server
}

fn write_config(
    dir: &Path,
    db: &str,
    musicbrainz: &str,
    indexer: &FakeIndexer,
    qbittorrent: &str,
) -> std::path::PathBuf {
    let config = format!(
        "database_url = \"{db}\"\n\n[musicbrainz]\nbase_url = \"{musicbrainz}\"\n\n\
         [[indexers]]\nname = \"tracker\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
         [qbittorrent]\nurl = \"{qbittorrent}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
        indexer.url(),
        indexer.api_key,
    );
    let file = dir.join("musicagg.toml");
    std::fs::write(&file, config).unwrap();
    file
}

async fn crash_then_restart(torrent_reached_the_client: bool) {
    let qbt = Qbt::start(QbtOptions::default()).await;
    let db = TestDb::new(Backend::Postgres).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();

    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let indexer = FakeIndexer::jackett("tracker").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let feed = jackett_feed(
        &indexer.base(),
        &[FeedItem {
            title: "Artist - Album (2020) [FLAC]",
            size: 80_000_000,
            seeders: 20,
            category: 3040,
            link_path: "/dl/tracker/",
            info_hash: Some(HASH),
        }],
    );
    indexer.on("search", xml(200, feed)).await;
    indexer
        .download_redirects_to(&format!("magnet:?xt=urn:btih:{HASH}&dn=Artist+-+Album"))
        .await;

    // 1. The service writes the rows, asks the (stalling) client, and dies.
    let stalling = stalling_qbittorrent().await;
    let config = write_config(
        dir.path(),
        &db.url,
        &musicbrainz.base_url(),
        &indexer,
        &stalling.uri(),
    );
    let mut command = musicagg(dir.path());
    command.arg("--config").arg(&config);
    let mut server = spawn_serve(dir.path(), command).await;
    let mut client = pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let mut stream = client
        .monitor_album_stream(tokio_stream::once(crate::harness::start_message(start(
            ALBUM,
            pb::Quality::Lossless,
        ))))
        .await
        .unwrap()
        .into_inner();
    let run_id = loop {
        let message = within("events", stream.message())
            .await
            .unwrap()
            .expect("an event");
        if let Some(pb::monitor_album_stream_response::Response::StatusUpdate(u)) = message.response
        {
            if u.status() == pb::WorkflowStatus::AddingTorrent {
                break RunId::parse(&u.run_id).unwrap();
            }
        } else {
            panic!("the run ended early: {message:?}");
        }
    };
    let deadline = Instant::now() + STEP;
    while store.pending_downloads().await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no pending download row");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Wait until the add request is in flight, then kill.
    let deadline = Instant::now() + STEP;
    loop {
        let requests = stalling.received_requests().await.unwrap_or_default();
        if requests
            .iter()
            .any(|r| r.url.path() == "/api/v2/torrents/add")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the add never reached the client"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.crash();
    drop(stream);

    let pending = store.pending_downloads().await.unwrap();
    assert_eq!(
        pending.len(),
        1,
        "the row was written before the client was asked"
    );
    assert_eq!(pending[0].info_hash, HASH);
    let download_id = pending[0].id;

    // 2. Whether the add had reached qBittorrent before the crash.
    let real = qbt.client();
    if torrent_reached_the_client {
        let torrent = musicagg::magnet::ResolvedTorrent {
            info_hash: HASH.into(),
            magnet_uri: format!("magnet:?xt=urn:btih:{HASH}"),
            ..Default::default()
        };
        real.add(AddRequest {
            torrent: &torrent,
            run_id,
            name: "Artist - Album",
        })
        .await
        .unwrap();
    }

    // 3. Restart against the real qBittorrent: reconciliation at start-up.
    let config = write_config(
        dir.path(),
        &db.url,
        &musicbrainz.base_url(),
        &indexer,
        &qbt.url,
    );
    let mut command = musicagg(dir.path());
    command.arg("--config").arg(&config);
    let _server = spawn_serve(dir.path(), command).await;

    let downloads = store
        .album_downloads(&musicagg::model::AlbumId::parse(ALBUM).unwrap())
        .await
        .unwrap();
    let download = downloads.iter().find(|d| d.id == download_id).unwrap();
    let in_client = real.contains(HASH).await.unwrap();
    assert_eq!(in_client, torrent_reached_the_client);
    if torrent_reached_the_client {
        // Queued, or already followed by the tracker (a magnet nobody
        // seeds here stalls): in the client, not pending, not failed.
        assert!(
            !matches!(
                download.state,
                DownloadState::Pending | DownloadState::Failed
            ),
            "{:?}: {}",
            download.state,
            download.message
        );
    } else {
        assert_eq!(
            download.state,
            DownloadState::Failed,
            "{}",
            download.message
        );
        assert!(
            download.message.contains("not in the client"),
            "{}",
            download.message
        );
    }
    // The invariant, whatever happened: added ⇔ the client has it.
    for d in &downloads {
        if !matches!(d.state, DownloadState::Pending | DownloadState::Failed) {
            assert!(real.contains(&d.info_hash).await.unwrap());
        }
    }
    let run = store.run(run_id).await.unwrap().unwrap();
    assert_eq!(run.status, WorkflowStatus::Failed);
    assert!(
        run.message.contains("interrupted by restart"),
        "{}",
        run.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_client_got_the_torrent_marks_the_download_failed() {
    crash_then_restart(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_client_got_the_torrent_marks_the_download_added() {
    crash_then_restart(true).await;
}
