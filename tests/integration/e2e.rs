//! [e2e] The seed, end to end, with real binaries: a real album (FLAC files
//! with tags) seeded by one real qbittorrent-nox, the real `musicagg serve`
//! on PostgreSQL and on SQLite, fake MusicBrainz and Jackett servers speaking
//! their exact formats, `musicagg monitor` on the command line, and a second
//! qbittorrent-nox (the service's client) that downloads the album over
//! loopback, byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use musicagg::model::{AlbumId, DownloadState, RunId, WorkflowStatus};
use musicagg::proto::v1 as pb;
use musicagg::torrent_client::{AddRequest, Qbittorrent, TorrentClient};

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album, track};
use crate::fake_torznab::{FakeIndexer, decoys_and_the_right_release, xml};
use crate::harness::{Backend, TestDb, start, start_message, within};
use crate::qbt::{PASSWORD, Qbt, QbtOptions, USER, free_port, require};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

const ALBUM_NAME: &str = "Artist - Album (2020) [FLAC]";
const TRACKS: u32 = 3;

/// Three 3-second FLAC tracks of pink noise (it compresses like music, so
/// the size is plausible for FLAC), tagged, in `parent/ALBUM_NAME`.
fn make_album(parent: &Path) -> PathBuf {
    require("sox", "sox");
    require("flac", "flac");
    let album = parent.join(ALBUM_NAME);
    std::fs::create_dir_all(&album).unwrap();
    for n in 1..=TRACKS {
        let wav = parent.join(format!("track{n}.wav"));
        let status = Command::new("sox")
            .args(["-q", "-n", "-r", "44100", "-c", "2", "-b", "16"])
            .arg(&wav)
            .args(["synth", "3", "pinknoise", "vol", "0.5"])
            .status()
            .unwrap();
        assert!(status.success(), "sox");
        let status = Command::new("flac")
            .args(["-s", "-f", "-T", "ARTIST=Artist", "-T", "ALBUM=Album"])
            .args([
                "-T",
                &format!("TITLE=Song {n}"),
                "-T",
                &format!("TRACKNUMBER={n}"),
                "-T",
                "DATE=2020",
            ])
            .arg("-o")
            .arg(album.join(format!("0{n} - Song {n}.flac")))
            .arg(&wav)
            .status()
            .unwrap();
        assert!(status.success(), "flac");
        std::fs::remove_file(wav).unwrap();
    }
    album
}

fn make_torrent(parent: &Path, tracker: &str) -> Vec<u8> {
    require("mktorrent", "mktorrent");
    let out = parent.join("album.torrent");
    let status = Command::new("mktorrent")
        .current_dir(parent)
        .args(["-l", "15", "-a", tracker, "-o"])
        .arg(&out)
        .arg(ALBUM_NAME)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "mktorrent");
    std::fs::read(out).unwrap()
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

/// The status names of `--json` lines.
fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v.get("status_update")
                .or_else(|| v.get("result"))
                .and_then(|m| m["status"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn read_all(
    client: &mut pb::music_aggregator_service_client::MusicAggregatorServiceClient<
        tonic::transport::Channel,
    >,
    request: pb::StartMonitorRequest,
) -> (Vec<pb::StatusUpdate>, pb::MonitorAlbumResponse) {
    let mut stream = client
        .monitor_album_stream(tokio_stream::once(start_message(request)))
        .await
        .unwrap()
        .into_inner();
    let mut updates = Vec::new();
    loop {
        match within("stream", stream.message())
            .await
            .unwrap()
            .expect("a message")
            .response
        {
            Some(pb::monitor_album_stream_response::Response::StatusUpdate(u)) => updates.push(u),
            Some(pb::monitor_album_stream_response::Response::Result(r)) => return (updates, r),
            None => panic!("empty message"),
        }
    }
}

async fn the_seed_end_to_end(backend: Backend) {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("seed");
    std::fs::create_dir_all(&source).unwrap();
    let album_dir = make_album(&source);
    let tracker_port = free_port();
    let tracker = format!("http://127.0.0.1:{tracker_port}/announce");
    let torrent = make_torrent(&source, &tracker);
    let info = musicagg::magnet::parse_torrent(&torrent).unwrap();
    let hash = info.info_hash.clone();

    // The seeder: holds the album, runs the embedded tracker.
    let seeder = Qbt::start(QbtOptions {
        download_dir: Some(source.clone()),
        tracker_port: Some(tracker_port),
    })
    .await;
    let seeder_client = Qbittorrent::new(&musicagg::config::QbittorrentConfig {
        save_path: Some(source.display().to_string()),
        ..seeder.config(PASSWORD)
    })
    .unwrap();
    let seeded = musicagg::magnet::ResolvedTorrent {
        info_hash: hash.clone(),
        magnet_uri: String::new(),
        torrent_file: Some(torrent.clone()),
        ..Default::default()
    };
    seeder_client
        .add(AddRequest {
            torrent: &seeded,
            run_id: RunId::new(),
            name: ALBUM_NAME,
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = seeder_client.torrents(&[&hash]).await.unwrap();
        if state.first().is_some_and(|t| t.progress >= 1.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the seeder never checked the album: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The leecher: the service's torrent client.
    let leecher = Qbt::start(QbtOptions::default()).await;

    // MusicBrainz knows the album: 3 tracks of 3 s.
    let musicbrainz = FakeMusicBrainz::start().await;
    let mut fixture = simple_album(ALBUM, "Artist", "Album", TRACKS);
    for details in fixture.details.values_mut() {
        details["media"][0]["tracks"] = serde_json::json!(
            (1..=TRACKS)
                .map(|n| track(n, &n.to_string(), &format!("Song {n}"), Some(3000)))
                .collect::<Vec<_>>()
        );
    }
    musicbrainz.add(ALBUM, fixture);

    // Jackett offers four candidates; only the right FLAC is acceptable. Its
    // /dl/ link answers 302 to its magnet, as Jackett does.
    let size = folder_size(&album_dir);
    let indexer = FakeIndexer::jackett("tracker").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let feed = decoys_and_the_right_release(&indexer.base(), ALBUM_NAME, size);
    // The search takes a moment, so a second client can join midway.
    indexer
        .on(
            "search",
            xml(200, feed).set_delay(Duration::from_millis(1500)),
        )
        .await;
    let magnet = format!(
        "magnet:?xt=urn:btih:{hash}&dn={}&tr={}",
        url::form_urlencoded::byte_serialize(ALBUM_NAME.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(tracker.as_bytes()).collect::<String>()
    );
    indexer.download_redirects_to(&magnet).await;

    // The real service.
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let config = format!(
        "database_url = \"{}\"\n\n[musicbrainz]\nbase_url = \"{}\"\n\n\
         [[indexers]]\nname = \"jackett\"\nurl = \"{}\"\napi_key = \"{}\"\n\n\
         [qbittorrent]\nurl = \"{}\"\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\ncategory = \"music\"\n",
        db.url,
        musicbrainz.base_url(),
        indexer.url(),
        indexer.api_key,
        leecher.url
    );
    let config_file = work.path().join("musicagg.toml");
    std::fs::write(&config_file, config).unwrap();
    let mut command = musicagg(work.path());
    command.arg("--config").arg(&config_file);
    let server = spawn_serve(work.path(), command).await;

    // `musicagg monitor --json`, and a second client joining midway.
    let monitor = {
        let mut command = musicagg(work.path());
        command.args([
            "monitor",
            ALBUM,
            "--quality",
            "lossless",
            "--json",
            "--server",
            &server.url,
        ]);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        tokio::process::Command::from(command).spawn().unwrap()
    };
    let mut client = pb::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let runs = store.list_runs(&Default::default(), 0, 10).await.unwrap();
        if runs
            .first()
            .is_some_and(|r| r.status == WorkflowStatus::Searching)
        {
            break;
        }
        assert!(Instant::now() < deadline, "the run never reached SEARCHING");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (midway_updates, midway_result) =
        read_all(&mut client, start(ALBUM, pb::Quality::Lossless)).await;

    let output = within("monitor to finish", monitor.wait_with_output())
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "monitor: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
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
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let result = &last["result"];
    assert_eq!(result["selected_release"]["title"], ALBUM_NAME);
    assert_eq!(result["selected_release"]["info_hash"], hash);
    let rejected: Vec<&str> = result["rejected_candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["release"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    let run_id = RunId::parse(result["run_id"].as_str().unwrap()).unwrap();

    // The midway client got the same history and the same end.
    assert_eq!(
        midway_updates.iter().map(|u| u.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(midway_updates[..3].iter().all(|u| u.replayed));
    assert_eq!(midway_result.run_id, run_id.to_string());
    assert_eq!(midway_result.status(), pb::WorkflowStatus::Complete);

    // The database rows.
    let run = store.run(run_id).await.unwrap().unwrap();
    assert_eq!(
        (run.status, run.is_finished()),
        (WorkflowStatus::Complete, true)
    );
    let downloads = store
        .album_downloads(&AlbumId::parse(ALBUM).unwrap())
        .await
        .unwrap();
    assert_eq!(downloads.len(), 1);
    assert_eq!(
        (downloads[0].state, downloads[0].info_hash.as_str()),
        (DownloadState::Queued, hash.as_str())
    );

    // The torrent in the leecher, with our category and tags.
    let leecher_client = leecher.client();
    let found = leecher_client.torrents(&[&hash]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].category, "music");
    let tags = found[0].tag_list();
    assert!(
        tags.contains(&"musicagg") && tags.contains(&format!("run-{run_id}").as_str()),
        "{tags:?}"
    );

    // The album arrives, byte for byte.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let state = leecher_client.torrents(&[&hash]).await.unwrap();
        if state.first().is_some_and(|t| t.progress >= 1.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the download did not finish: {state:?}\nleecher log: {}\nseeder log: {}",
            leecher.log(),
            seeder.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let arrived = leecher.downloads.join(ALBUM_NAME);
    for n in 1..=TRACKS {
        let name = format!("0{n} - Song {n}.flac");
        let original = std::fs::read(album_dir.join(&name)).unwrap();
        let copy = std::fs::read(arrived.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(original == copy, "{name} differs");
    }

    // A client after the end (naming the run) gets the whole history.
    let mut late = start(ALBUM, pb::Quality::Lossless);
    late.run_id = run_id.to_string();
    let (late_updates, late_result) = read_all(&mut client, late).await;
    assert_eq!(
        late_updates.iter().map(|u| u.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(late_updates.iter().all(|u| u.replayed));
    assert_eq!(late_result.seq, 6);
    assert_eq!(late_result.selected_release, midway_result.selected_release);

    // Asking again: the library has it.
    let (_, again) = read_all(&mut client, start(ALBUM, pb::Quality::Lossless)).await;
    assert_eq!(
        again.status(),
        pb::WorkflowStatus::AlreadyOwned,
        "{}",
        again.message
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_end_to_end_on_postgres() {
    the_seed_end_to_end(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_end_to_end_on_sqlite() {
    the_seed_end_to_end(Backend::Sqlite).await;
}
