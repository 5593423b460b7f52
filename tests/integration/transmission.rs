//! [ops] Transmission as the torrent client, with a real transmission-daemon
//! (Debian's 3.00): its RPC as the adapter uses it (add by metainfo and by
//! magnet, labels, a duplicate add, states, files, removal with the data),
//! `musicagg client test` against it, and the seed end to end with
//! qBittorrent seeding and Transmission leeching over loopback: the real
//! `serve`, the download tracked to IMPORTED and the album in the library
//! byte for byte.

use std::os::unix::fs::MetadataExt;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use musicagg::magnet::ResolvedTorrent;
use musicagg::model::{AlbumId, DownloadState, RunId};
use musicagg::proto::v1 as pb;
use musicagg::torrent_client::{
    AddRequest, ClientState, TorrentClient, TorrentClientError, Transmission,
};

use crate::e2e::{assert_download_life, distinct, download_updates, read_all, statuses, watch_all};
use crate::fake_torznab::{decoys_and_the_right_release, xml};
use crate::harness::{Backend, TestDb, start};
use crate::qbt::{Qbt, QbtOptions, free_port, make_album_torrent};
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, TRACKS, folder_size};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;
use crate::trd::{PASSWORD, Trd, seeder_calls, seeder_readds};

const NAME: &str = "Some Artist - Some Album (2021) [FLAC]";

fn add<'a>(torrent: &'a ResolvedTorrent, run_id: RunId) -> AddRequest<'a> {
    AddRequest {
        torrent,
        run_id,
        name: NAME,
    }
}

/// Polls the daemon until `done` holds for the torrent (bounded).
async fn until_state(
    client: &Transmission,
    hash: &str,
    what: &str,
    done: impl Fn(&musicagg::torrent_client::TorrentStatus) -> bool,
) -> musicagg::torrent_client::TorrentStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let polled = client.poll().await.expect("poll");
        if let Some(t) = polled.get(hash)
            && done(t)
        {
            return t.clone();
        }
        assert!(Instant::now() < deadline, "{what}: {:?}", polled.get(hash));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adapter_against_a_real_transmission_daemon() {
    let trd = Trd::start().await;
    // The album's files are already where the daemon saves: added from its
    // .torrent (base64 metainfo), it verifies them and seeds.
    let seeded = tempfile::tempdir_in(trd.home.path()).unwrap();
    let bytes = make_album_torrent(seeded.path(), NAME, 3, false, None);
    let hash = musicagg::magnet::parse_torrent(&bytes).unwrap().info_hash;
    let client = Transmission::new(&musicagg::config::TransmissionConfig {
        download_dir: Some(seeded.path().display().to_string()),
        ..trd.config(PASSWORD)
    })
    .unwrap();
    let torrent = ResolvedTorrent {
        info_hash: hash.clone(),
        torrent_file: Some(bytes.clone()),
        ..Default::default()
    };
    let run = RunId::new();
    assert!(!client.contains(&hash).await.unwrap());
    client.add(add(&torrent, run)).await.unwrap();
    assert!(client.contains(&hash).await.unwrap());
    let labels = client.labels_of(&hash).await.unwrap().expect("the torrent");
    assert_eq!(labels, ["musicagg".to_owned(), format!("run-{run}")]);

    // 3.00 answers a duplicate with result "duplicate torrent": no error,
    // and a second run's label joins the first.
    let again = RunId::new();
    client.add(add(&torrent, again)).await.unwrap();
    let labels = client.labels_of(&hash).await.unwrap().unwrap();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(labels.contains(&format!("run-{again}")), "{labels:?}");

    // Verified: complete, in the folder it was told, with its files.
    let done = until_state(&client, &hash, "never verified", |t| t.is_complete()).await;
    assert_eq!(
        (done.state, done.progress, done.size, done.completed),
        (ClientState::Complete, 1.0, 3 * 40 * 1024, 3 * 40 * 1024)
    );
    assert_eq!(done.save_path, seeded.path().display().to_string());
    assert_eq!(done.name, NAME);
    let mut files = client.files(&hash).await.unwrap();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        files
            .iter()
            .map(|f| (f.name.as_str(), f.size))
            .collect::<Vec<_>>(),
        (1..=3)
            .map(|i| (format!("{NAME}/{i:02} - Track {i}.flac"), 40 * 1024))
            .collect::<Vec<_>>()
            .iter()
            .map(|(n, s)| (n.as_str(), *s))
            .collect::<Vec<_>>()
    );

    // A magnet nobody seeds: known at once by its hash, fetching metadata.
    let dead = "dead00000000000000000000000000000000beef";
    let magnet = ResolvedTorrent {
        info_hash: dead.into(),
        magnet_uri: format!("magnet:?xt=urn:btih:{dead}&dn=dead"),
        ..Default::default()
    };
    client.add(add(&magnet, RunId::new())).await.unwrap();
    let fetching = until_state(&client, dead, "the magnet", |_| true).await;
    assert!(
        matches!(
            fetching.state,
            ClientState::FetchingMetadata | ClientState::Queued
        ),
        "{fetching:?}"
    );
    assert!(!fetching.has_metadata && !fetching.is_complete());

    // Not a torrent: refused (the release is at fault), said in the daemon's words.
    let broken = ResolvedTorrent {
        info_hash: "00".repeat(20),
        torrent_file: Some(b"d4:infoi1ee".to_vec()),
        ..Default::default()
    };
    match client.add(add(&broken, RunId::new())).await {
        Err(TorrentClientError::Refused(m)) => assert!(m.contains("invalid or corrupt"), "{m}"),
        other => panic!("a broken .torrent must be refused: {other:?}"),
    }

    // Removal: with the data, by hash; an unknown hash is no error.
    client.remove(dead, false).await.unwrap();
    client.remove(&hash, true).await.unwrap();
    client.remove(&hash, true).await.unwrap();
    assert!(!client.contains(&hash).await.unwrap());
    assert!(!client.contains(dead).await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while seeded.path().join(NAME).exists() {
        assert!(
            Instant::now() < deadline,
            "delete-local-data left the files"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(client.poll().await.unwrap().is_empty());

    // A wrong password: a configuration error that names the keys.
    let wrong = Transmission::new(&trd.config("wrong")).unwrap();
    match wrong.contains(&hash).await {
        Err(TorrentClientError::Config(m)) => {
            assert!(m.contains("transmission.password"), "{m}");
            assert!(!m.contains("wrong"), "the password is not shown: {m}");
        }
        other => panic!("a wrong password must be a config error: {other:?}"),
    }
}

fn run(dir: &std::path::Path, config: &std::path::Path) -> Output {
    musicagg(dir)
        .arg("--config")
        .arg(config)
        .args(["client", "test"])
        .output()
        .expect("run musicagg")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_test_checks_transmission_and_each_configured_client() {
    let trd = Trd::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("musicagg.toml");
    let tr_section = |url: &str, password: &str| {
        format!(
            "[transmission]\nurl = \"{url}\"\nusername = \"{}\"\npassword = \"{password}\"\n",
            crate::trd::USER
        )
    };

    std::fs::write(&config, tr_section(&trd.url, PASSWORD)).unwrap();
    let ok = run(dir.path(), &config);
    let stdout = text(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", text(&ok.stderr));
    assert!(stdout.contains("Transmission 3.00"), "{stdout}");
    assert!(stdout.contains("labels [\"musicagg\"]"), "{stdout}");
    assert!(
        stdout.contains(&format!("save path {} is visible", trd.downloads.display())),
        "{stdout}"
    );

    // The base URL alone reaches the same endpoint.
    let base = trd.url.trim_end_matches("/transmission/rpc").to_owned();
    std::fs::write(&config, tr_section(&base, PASSWORD)).unwrap();
    assert!(run(dir.path(), &config).status.success());

    std::fs::write(&config, tr_section(&trd.url, "wrong")).unwrap();
    let wrong = run(dir.path(), &config);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(
        text(&wrong.stderr).contains("refused the username or password"),
        "{}",
        text(&wrong.stderr)
    );

    let nobody = format!("http://127.0.0.1:{}/transmission/rpc", free_port());
    std::fs::write(&config, tr_section(&nobody, PASSWORD)).unwrap();
    let gone = run(dir.path(), &config);
    assert_eq!(gone.status.code(), Some(3));
    assert!(
        text(&gone.stderr).contains("cannot reach Transmission"),
        "{}",
        text(&gone.stderr)
    );

    // Both clients: a choice is needed, then each is checked.
    let qbt = Qbt::start(QbtOptions::default()).await;
    let both = format!(
        "[qbittorrent]\nurl = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\n\n{}",
        qbt.url,
        crate::qbt::USER,
        crate::qbt::PASSWORD,
        tr_section(&trd.url, PASSWORD)
    );
    std::fs::write(&config, &both).unwrap();
    let unsure = run(dir.path(), &config);
    assert_eq!(unsure.status.code(), Some(2));
    assert!(
        text(&unsure.stderr).contains("set torrent_client"),
        "{}",
        text(&unsure.stderr)
    );
    std::fs::write(
        &config,
        format!("torrent_client = \"transmission\"\n{both}"),
    )
    .unwrap();
    let checked = run(dir.path(), &config);
    let stdout = text(&checked.stdout);
    assert!(
        checked.status.success(),
        "{stdout}{}",
        text(&checked.stderr)
    );
    assert!(
        stdout.contains("qBittorrent v")
            && stdout.contains("Transmission 3.00")
            && stdout.contains("transmission grabs"),
        "{stdout}"
    );
    // One of the two failing fails the check, and says which.
    std::fs::write(
        &config,
        format!(
            "torrent_client = \"qbittorrent\"\n{}",
            both.replace(PASSWORD, "wrong")
        ),
    )
    .unwrap();
    let half = run(dir.path(), &config);
    assert_eq!(half.status.code(), Some(3), "{}", text(&half.stdout));
    assert!(text(&half.stdout).contains("qBittorrent v"));
    assert!(text(&half.stderr).contains("Transmission"));
}

/// The seed with Transmission as the service's client: qBittorrent seeds
/// the real FLAC album, the real `serve` (told `torrent_client =
/// "transmission"` by the environment, with `[qbittorrent]` configured too)
/// grabs into transmission-daemon, tracks it and imports it. With `magnet`
/// the release's link redirects to its magnet (the daemon fetches the
/// metadata from the seeder), else it serves the .torrent (added as base64
/// metainfo).
async fn the_seed_end_to_end_with_transmission(backend: Backend, magnet: bool) {
    let scene = Scene::start(SceneOptions::default()).await;
    let size = folder_size(&scene.album_dir);
    let feed = decoys_and_the_right_release(&scene.indexer.base(), ALBUM_NAME, size);
    scene.indexer.on("search", xml(200, feed)).await;
    let source = scene.album_dir.parent().unwrap().to_path_buf();
    let torrent = std::fs::read(source.join(format!("{ALBUM_NAME}.torrent"))).unwrap();
    if magnet {
        scene
            .indexer
            .download_redirects_to(&scene.magnet(&scene.hash))
            .await;
    } else {
        scene.indexer.download_serves_torrent(torrent.clone()).await;
    }
    let trd = Trd::start().await;
    let hash = scene.hash.clone();

    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let config_file = scene.work.path().join("musicagg.toml");
    std::fs::write(&config_file, scene.config(&db.url, &trd.toml())).unwrap();
    let mut command = musicagg(scene.work.path());
    command
        .arg("--config")
        .arg(&config_file)
        .env("MUSICAGG_TORRENT_CLIENT", "transmission");
    let server = spawn_serve(scene.work.path(), command).await;
    let serve_log =
        || std::fs::read_to_string(scene.work.path().join("serve.log")).unwrap_or_default();

    let monitor = {
        let mut command = musicagg(scene.work.path());
        command.args([
            "monitor",
            ALBUM,
            "--quality",
            "lossless",
            "--json",
            "--follow",
            "--server",
        ]);
        command.arg(&server.url);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        tokio::process::Command::from(command).spawn().unwrap()
    };

    // Once the daemon has the torrent, the seeder calls it (3.00 ignores
    // loopback peers from the tracker), again until the monitor ends.
    let client = trd.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client.contains(&hash).await.unwrap() {
        assert!(
            Instant::now() < deadline,
            "the grab never reached transmission: {}",
            serve_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let calling = async {
        let mut took = Vec::new();
        let mut readded = false;
        loop {
            // A magnet's metadata arrived: the daemon verifies and restarts
            // the torrent, dropping its peers, and the seeder, which has
            // marked it as a peer not to dial again, would never call back:
            // it forgets the torrent and seeds it afresh, once.
            if magnet
                && !readded
                && client
                    .poll()
                    .await
                    .is_ok_and(|p| p.get(&hash).is_some_and(|t| t.has_metadata))
            {
                seeder_readds(&scene._seeder, &source, torrent.clone(), &hash).await;
                readded = true;
            }
            took.push(seeder_calls(&scene._seeder, &hash, &trd).await);
            tokio::time::sleep(Duration::from_secs(3)).await;
            if took.len() == 40 {
                return took;
            }
        }
    };
    let output = tokio::select! {
        output = monitor.wait_with_output() => output.unwrap(),
        took = calling => panic!(
            "monitor --follow did not end within two minutes of calls (taken: {took:?}); \
             transmission: {:?}\nserve log: {}\ndaemon log: {}",
            client.poll().await.map(|p| p.get(&hash).cloned()),
            serve_log(),
            trd.log()
        ),
    };
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "monitor: {stdout}\n{}\nserve log: {}\ndaemon log: {}",
        String::from_utf8_lossy(&output.stderr),
        serve_log(),
        trd.log()
    );
    assert_eq!(
        statuses(&stdout),
        [
            "FETCHING_METADATA",
            "CHECKING_OWNED",
            "SEARCHING",
            "PARSING_RESULTS",
            "ADDING_TORRENT",
            "COMPLETE"
        ]
    );
    let followed = download_updates(&stdout);
    assert_download_life(&distinct(followed.iter().map(|(_, s)| s.clone())));

    // The row: imported, by transmission; the run's labels on the torrent;
    // qBittorrent (configured too) never saw it.
    let downloads = store
        .album_downloads(&AlbumId::parse(ALBUM).unwrap())
        .await
        .unwrap();
    assert_eq!(downloads.len(), 1);
    let download = &downloads[0];
    assert_eq!(
        (
            download.state,
            download.info_hash.as_str(),
            download.client.as_str()
        ),
        (DownloadState::Imported, hash.as_str(), "transmission")
    );
    let run_id = download.run_id.expect("the run");
    let labels = client.labels_of(&hash).await.unwrap().expect("still there");
    assert_eq!(labels, ["musicagg".to_owned(), format!("run-{run_id}")]);
    assert!(
        !scene.leecher.client().contains(&hash).await.unwrap(),
        "torrent_client chose transmission"
    );
    let seeding = client.poll().await.unwrap();
    assert!(seeding[&hash].is_complete(), "{:?}", seeding[&hash]);

    // The album in the library, byte for byte, as hard links of the files
    // transmission seeds.
    let folder = scene.library.join("Artist").join("Album (2020)");
    assert_eq!(
        download.library_path.as_deref(),
        Some(folder.display().to_string().as_str())
    );
    for n in 1..=TRACKS {
        let original =
            std::fs::read(scene.album_dir.join(format!("0{n} - Song {n}.flac"))).unwrap();
        let placed = folder.join(format!("{n:02} - Song {n}.flac"));
        let copy = std::fs::read(&placed).unwrap_or_else(|e| panic!("{}: {e}", placed.display()));
        assert!(original == copy, "{} differs", placed.display());
        let seeded = trd
            .downloads
            .join(ALBUM_NAME)
            .join(format!("0{n} - Song {n}.flac"));
        assert_eq!(
            std::fs::metadata(&placed).unwrap().ino(),
            std::fs::metadata(&seeded).unwrap().ino(),
            "hardlink: the library file is the file transmission seeds"
        );
    }

    // ListDownloads and a late WatchDownloads agree with what --follow saw.
    let mut grpc = pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let listed = grpc
        .list_downloads(pb::ListDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .downloads;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state(), pb::DownloadState::Imported);
    assert_eq!(listed[0].progress, 1.0);
    let late = watch_all(
        &mut grpc,
        pb::WatchDownloadsRequest {
            download_id: download.id.to_string(),
            ..Default::default()
        },
    )
    .await;
    let late_states: Vec<(i64, String)> = late
        .iter()
        .map(|u| {
            (
                u.seq,
                crate::scene::state_name(u.download.as_ref().unwrap().state),
            )
        })
        .collect();
    assert_eq!(late_states, followed, "live and late saw the same updates");

    // Asked again: the library has it.
    let (_, again) = read_all(&mut grpc, start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        again.status(),
        pb::WorkflowStatus::AlreadyOwned,
        "{}",
        again.message
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_end_to_end_with_transmission_on_postgres() {
    the_seed_end_to_end_with_transmission(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_end_to_end_with_transmission_on_sqlite() {
    the_seed_end_to_end_with_transmission(Backend::Sqlite, false).await;
}
