//! The real binary: `musicagg serve` with no configuration, the CLI's exit
//! codes and messages, graceful shutdown on SIGTERM.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::harness::STEP;
use crate::stream::ALBUM;

const BIN: &str = env!("CARGO_BIN_EXE_musicagg");

/// A `musicagg serve` child process, killed if the test fails.
pub struct Server {
    pub child: Option<Child>,
    pub url: String,
    /// The web page (`http_listen`), `http://127.0.0.1:PORT`.
    pub http_url: String,
}

impl Server {
    /// SIGKILL: the process gets no chance to clean up (a crash).
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// SIGTERM (a graceful stop), and the exit status it leads to.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("serve is running");
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .expect("kill")
                .success()
        );
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = child.try_wait().expect("serve's status") {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A command with a clean environment: no inherited MUSICAGG_* settings.
pub fn musicagg(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run musicagg")
}

async fn start_server(dir: &Path, musicbrainz: &str) -> Server {
    let mut command = musicagg(dir);
    command.env("MUSICAGG_MUSICBRAINZ__BASE_URL", musicbrainz);
    spawn_serve(dir, command).await
}

/// Starts `command` (a [`musicagg`] command) as `serve` on a free port,
/// logging to `dir/serve.log`, and waits for its health check.
pub async fn spawn_serve(dir: &Path, command: Command) -> Server {
    spawn_serve_with_http(dir, command, free_port()).await
}

/// [`spawn_serve`] with the web page on `http_port` (a restarted `serve`
/// answers the open page at the same address).
pub async fn spawn_serve_with_http(dir: &Path, mut command: Command, http_port: u16) -> Server {
    let port = free_port();
    let child = command
        .env("MUSICAGG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MUSICAGG_HTTP_LISTEN", format!("127.0.0.1:{http_port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("serve.log"))
                .expect("log file"),
        ))
        .spawn()
        .expect("spawn musicagg serve");
    let server = Server {
        child: Some(child),
        url: format!("http://127.0.0.1:{port}"),
        http_url: format!("http://127.0.0.1:{http_port}"),
    };
    // Ready when the standard health check says SERVING.
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(status) =
            crate::harness::health(&server.url, "musicagg.v1.MusicAggregatorService").await
        {
            assert_eq!(
                status,
                tonic_health::pb::health_check_response::ServingStatus::Serving
            );
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "musicagg serve did not answer the health check: {}",
            std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_config_creates_its_database_and_runs_honestly() {
    let dir = tempfile::tempdir().unwrap();
    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let mut server = start_server(dir.path(), &musicbrainz.base_url()).await;
    assert!(
        dir.path().join("data/musicagg/musicagg.db").is_file(),
        "the SQLite database is created under the data directory"
    );

    // The same process serves the web page on http_listen.
    let page = crate::harness::http_client()
        .get(&server.http_url)
        .send()
        .await
        .expect("the web page answers");
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("<title>musicagg"),
        "the web page is served"
    );

    // The stand-ins end the run with the honest reason, and the CLI says so.
    let output = run(musicagg(dir.path()).args([
        "monitor",
        ALBUM,
        "--quality",
        "lossless",
        "--json",
        "--server",
        &server.url,
    ]));
    assert_eq!(output.status.code(), Some(1), "NO_RESULTS is not success");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| {
            l.get("status_update")
                .or_else(|| l.get("result"))
                .and_then(|m| m["status"].as_str())
                .unwrap()
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            "FETCHING_METADATA",
            "CHECKING_OWNED",
            "SEARCHING",
            "PARSING_RESULTS",
            "NO_RESULTS"
        ]
    );
    let result = &lines[4]["result"];
    assert_eq!(result["message"], "no indexers configured");
    assert_eq!(result["album"]["title"], "Album");
    assert_eq!(result["album"]["tracks"], 3);
    let run_id = result["run_id"].as_str().unwrap().to_owned();

    // Plain output when stdout is not a terminal.
    let plain = run(musicagg(dir.path()).args(["monitor", ALBUM, "--server", &server.url]));
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(plain.contains("[1] FETCHING_METADATA"), "{plain}");
    assert!(
        plain.contains("NO_RESULTS: no indexers configured"),
        "{plain}"
    );

    let runs = run(musicagg(dir.path()).args(["runs", "--json", "--server", &server.url]));
    assert!(runs.status.success());
    assert_eq!(String::from_utf8(runs.stdout).unwrap().lines().count(), 2);

    let events = run(musicagg(dir.path()).args(["events", &run_id, "--server", &server.url]));
    assert!(events.status.success());
    let events = String::from_utf8(events.stdout).unwrap();
    assert_eq!(events.lines().count(), 5, "{events}");
    assert!(events.lines().last().unwrap().contains("NO_RESULTS"));

    let album = run(musicagg(dir.path()).args(["album", ALBUM, "--server", &server.url]));
    assert!(album.status.success());
    let album = String::from_utf8(album.stdout).unwrap();
    assert!(album.starts_with("Artist - Album (2020-05-01)"), "{album}");
    assert!(album.contains("3 tracks, 12:00"), "{album}");
    // A release group without a date prints no "()".
    const UNDATED: &str = "2b022e01-4da6-387b-8658-8678046e4cef";
    let mut undated = simple_album(UNDATED, "Artist", "Undated", 1);
    undated.group["first-release-date"] = serde_json::json!("");
    musicbrainz.add(UNDATED, undated);
    let album = run(musicagg(dir.path()).args(["album", UNDATED, "--server", &server.url]));
    let album = String::from_utf8(album.stdout).unwrap();
    assert_eq!(album.lines().next(), Some("Artist - Undated"), "{album}");

    // `monitor` keeps an album not found on the wanted list; `--once` does not
    let once =
        run(musicagg(dir.path()).args(["monitor", UNDATED, "--once", "--server", &server.url]));
    assert_eq!(once.status.code(), Some(1), "NO_RESULTS");
    let mut client = musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient::connect(
        server.url.clone(),
    )
    .await
    .unwrap();
    let wanted: Vec<String> = client
        .list_wanted(musicagg::proto::v1::ListWantedRequest::default())
        .await
        .unwrap()
        .into_inner()
        .albums
        .into_iter()
        .map(|a| a.album_id)
        .collect();
    assert!(
        wanted.contains(&ALBUM.to_owned()),
        "kept by monitor: {wanted:?}"
    );
    assert!(
        !wanted.contains(&UNDATED.to_owned()),
        "not kept with --once: {wanted:?}"
    );

    musicbrainz.set_search(serde_json::json!({"count": 1, "offset": 0, "release-groups": [
        {"id": ALBUM, "score": 100, "title": "Album", "primary-type": "Album",
         "first-release-date": "2020", "artist-credit": [{"artist": {"id": "x", "name": "Artist"}}]}
    ]}));
    let search = run(musicagg(dir.path()).args([
        "search",
        "Artist Album",
        "--json",
        "--server",
        &server.url,
    ]));
    assert!(search.status.success());
    let hit: serde_json::Value = serde_json::from_slice(&search.stdout).expect("one JSON object");
    assert_eq!(
        (hit["id"].as_str(), hit["artist"].as_str()),
        (Some(ALBUM), Some("Artist"))
    );

    let cancel = run(musicagg(dir.path()).args(["cancel", &run_id, "--server", &server.url]));
    assert_eq!(cancel.status.code(), Some(1), "already finished");
    assert!(
        String::from_utf8(cancel.stdout)
            .unwrap()
            .contains("already finished")
    );

    // Bad input: one line on stderr, non-zero exit.
    let bad = run(musicagg(dir.path()).args(["monitor", "not-an-id", "--server", &server.url]));
    assert_eq!(bad.status.code(), Some(3));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("InvalidArgument") && stderr.contains("not-an-id"),
        "{stderr}"
    );

    // SIGTERM: a graceful stop with exit code 0.
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains(&run_id), "workflow log lines carry the run id");
}

#[test]
fn an_invalid_config_is_one_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "listen = \"everywhere\"\n").unwrap();
    let output = run(musicagg(dir.path()).args(["--config", "bad.toml", "serve"]));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("listen"), "{stderr}");

    let output = run(musicagg(dir.path())
        .env("MUSICAGG_LOG_FORMAT", "xml")
        .arg("serve"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .to_lowercase()
            .contains("log_format")
    );

    let output = run(musicagg(dir.path()).args(["--config", "missing.toml", "serve"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn client_commands_say_when_the_server_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = run(musicagg(dir.path()).args(["runs", "--server", &url]));
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot reach the musicagg server"),
        "{stderr}"
    );

    let output = run(musicagg(dir.path()).args(["monitor", ALBUM, "--quality", "flac"]));
    assert_eq!(
        output.status.code(),
        Some(2),
        "clap rejects an unknown quality"
    );
}
