//! [e2e] The seed, end to end, with real binaries: a real album (FLAC files
//! with tags) seeded by one real qbittorrent-nox, the real `musicagg serve`
//! on PostgreSQL and on SQLite, fake MusicBrainz and Jackett servers speaking
//! their exact formats, `musicagg monitor` on the command line, and a second
//! qbittorrent-nox (the service's client) that downloads the album over
//! loopback, byte for byte.

use std::os::unix::fs::MetadataExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use musicagg::model::{AlbumId, DownloadState, RunId, WorkflowStatus};
use musicagg::proto::v1 as pb;

use crate::fake_torznab::{decoys_and_the_right_release, xml};
use crate::harness::{Backend, TestDb, start, start_message, within};
use crate::scene::{ALBUM_NAME, Scene, SceneOptions, TRACKS, folder_size};
use crate::serve::{musicagg, spawn_serve};
use crate::stream::ALBUM;

/// The run status names of `--json` lines (download updates left out).
pub fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .filter_map(|v| {
            v.get("status_update")
                .or_else(|| v.get("result"))
                .and_then(|m| m["status"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// The `download_update` lines of `monitor --follow --json`: (seq, state).
pub fn download_updates(stdout: &str) -> Vec<(i64, String)> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON line"))
        .filter_map(|v| {
            let u = v.get("download_update")?;
            Some((
                u["seq"].as_i64()?,
                u["download"]["state"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// States without repeats (progress updates repeat a state).
pub fn distinct(states: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in states {
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// PENDING, QUEUED, then any of QUEUED/STALLED/DOWNLOADING, then
/// COMPLETED, IMPORTING, IMPORTED.
pub fn assert_download_life(states: &[String]) {
    let n = states.len();
    assert!(n >= 5, "{states:?}");
    assert_eq!(&states[..2], ["PENDING", "QUEUED"], "{states:?}");
    assert_eq!(
        &states[n - 3..],
        ["COMPLETED", "IMPORTING", "IMPORTED"],
        "{states:?}"
    );
    assert!(
        states[2..n - 3]
            .iter()
            .all(|s| ["QUEUED", "STALLED", "DOWNLOADING"].contains(&s.as_str())),
        "{states:?}"
    );
}

/// Every update of a WatchDownloads stream until it ends.
pub async fn watch_all(
    client: &mut pb::music_aggregator_service_client::MusicAggregatorServiceClient<
        tonic::transport::Channel,
    >,
    request: pb::WatchDownloadsRequest,
) -> Vec<pb::DownloadUpdate> {
    let mut stream = client.watch_downloads(request).await.unwrap().into_inner();
    let mut updates = Vec::new();
    while let Some(update) = within("download updates", stream.message()).await.unwrap() {
        updates.push(update);
    }
    updates
}

pub async fn read_all(
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
            Some(pb::monitor_album_stream_response::Response::Offer(o)) => {
                panic!("an offer in an automatic run: {o:?}")
            }
            None => panic!("empty message"),
        }
    }
}

async fn the_seed_end_to_end(backend: Backend) {
    let scene = Scene::start(SceneOptions::default()).await;
    let hash = scene.hash.clone();
    // Jackett offers four candidates; only the right FLAC is acceptable. Its
    // /dl/ link answers 302 to its magnet, as Jackett does.
    let size = folder_size(&scene.album_dir);
    let feed = decoys_and_the_right_release(&scene.indexer.base(), ALBUM_NAME, size);
    // The search takes a moment, so a second client can join midway.
    scene
        .indexer
        .on(
            "search",
            xml(200, feed).set_delay(Duration::from_millis(1500)),
        )
        .await;
    scene
        .indexer
        .download_redirects_to(&scene.magnet(&hash))
        .await;

    // The real service, importing into the library by hard links.
    let db = TestDb::new(backend).await;
    let store = db.store().await;
    let config_file = scene.work.path().join("musicagg.toml");
    std::fs::write(&config_file, scene.config(&db.url, "")).unwrap();
    let mut command = musicagg(scene.work.path());
    command.arg("--config").arg(&config_file);
    let server = spawn_serve(scene.work.path(), command).await;

    // `musicagg monitor --json --follow`, and a second client joining midway.
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

    let output = tokio::time::timeout(Duration::from_secs(180), monitor.wait_with_output())
        .await
        .expect("monitor --follow ends once the album is imported")
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "monitor: {stdout}\n{}\nserve log: {}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(scene.work.path().join("serve.log")).unwrap_or_default()
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
    let result_line = stdout.lines().find(|l| l.contains("\"result\"")).unwrap();
    let last: serde_json::Value = serde_json::from_str(result_line).unwrap();
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
    let download_id = result["download"]["id"].as_str().unwrap().to_owned();

    // --follow printed the download's life, live, to IMPORTED.
    let followed = download_updates(&stdout);
    assert_download_life(&distinct(followed.iter().map(|(_, s)| s.clone())));

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
        (DownloadState::Imported, hash.as_str())
    );

    // The torrent in the leecher, with our category and tags, still seeding.
    let leecher_client = scene.leecher.client();
    let found = leecher_client.torrents(&[&hash]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].category, "music");
    assert!(found[0].progress >= 1.0);
    let tags = found[0].tag_list();
    assert!(
        tags.contains(&"musicagg") && tags.contains(&format!("run-{run_id}").as_str()),
        "{tags:?}"
    );

    // The album is in the library, byte for byte, as hard links of the
    // files the client seeds.
    let folder = scene.library.join("Artist").join("Album (2020)");
    assert_eq!(
        downloads[0].library_path.as_deref(),
        Some(folder.display().to_string().as_str())
    );
    let arrived = scene.leecher_files.join(ALBUM_NAME);
    for n in 1..=TRACKS {
        let original =
            std::fs::read(scene.album_dir.join(format!("0{n} - Song {n}.flac"))).unwrap();
        let placed = folder.join(format!("{n:02} - Song {n}.flac"));
        let copy = std::fs::read(&placed).unwrap_or_else(|e| panic!("{}: {e}", placed.display()));
        assert!(original == copy, "{} differs", placed.display());
        let seeding = arrived.join(format!("0{n} - Song {n}.flac"));
        assert_eq!(
            std::fs::metadata(&placed).unwrap().ino(),
            std::fs::metadata(&seeding).unwrap().ino(),
            "hardlink: the library file is the file the client seeds"
        );
    }
    let entries: Vec<_> = std::fs::read_dir(&scene.library).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "only the artist folder, no temporary folder left"
    );

    // ListDownloads and WatchDownloads (late, resumed) agree with what
    // --follow saw live.
    let listed = client
        .list_downloads(pb::ListDownloadsRequest {
            album_id: ALBUM.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .downloads;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, download_id);
    assert_eq!(listed[0].state(), pb::DownloadState::Imported);
    assert_eq!(listed[0].library_path, folder.display().to_string());
    assert_eq!(listed[0].run_id, run_id.to_string());
    assert_eq!(listed[0].progress, 1.0);
    let late = watch_all(
        &mut client,
        pb::WatchDownloadsRequest {
            download_id: download_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(late.iter().all(|u| u.replayed));
    let late_seqs: Vec<(i64, String)> = late
        .iter()
        .map(|u| {
            (
                u.seq,
                crate::scene::state_name(u.download.as_ref().unwrap().state),
            )
        })
        .collect();
    assert_eq!(late_seqs, followed, "live and late saw the same updates");
    let k = late[1].seq;
    let resumed = watch_all(
        &mut client,
        pb::WatchDownloadsRequest {
            download_id: download_id.clone(),
            after_seq: k,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        resumed.iter().map(|u| u.seq).collect::<Vec<_>>(),
        late[2..].iter().map(|u| u.seq).collect::<Vec<_>>()
    );
    assert_eq!(
        resumed.last().unwrap().download,
        late.last().unwrap().download
    );

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
    assert!(
        again
            .message
            .contains("in your library at Artist/Album (2020)"),
        "{}",
        again.message
    );

    // The command line shows the same.
    let cli = |args: &[&str]| {
        let output = musicagg(scene.work.path())
            .args(args)
            .args(["--server", &server.url])
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let listed = cli(&["downloads", "--album", ALBUM, "--json"]);
    let row: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(row["state"], "IMPORTED");
    assert_eq!(row["library_path"], folder.display().to_string());
    let table = cli(&["downloads"]);
    assert!(table.starts_with("IMPORTED"), "{table}");
    assert!(table.contains(ALBUM_NAME), "{table}");
    let scan: serde_json::Value =
        serde_json::from_str(cli(&["library", "scan", "--json"]).trim()).unwrap();
    assert_eq!(
        (scan["files"].as_u64(), scan["read"].as_u64()),
        (Some(3), Some(0))
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
