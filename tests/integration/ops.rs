//! [ops] Running it as a service: the systemd unit (checked by
//! `systemd-analyze`), readiness over a real `NOTIFY_SOCKET`, a log without
//! colour codes when it goes to a file, reflection listing the health
//! service, and `monitor` when the server dies under it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::fake_torznab::{FakeIndexer, FeedItem, jackett_feed, xml};
use crate::harness::{Backend, STEP, TestApp, within};
use crate::qbt::require;
use crate::serve::{Server, free_port, musicagg, spawn_serve};
use crate::stream::ALBUM;

const BIN: &str = env!("CARGO_BIN_EXE_musicagg");
const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/musicagg.service");

/// The shipped unit with its ExecStart pointed at the binary under test
/// (verify refuses a unit whose program does not exist), in `dir`.
fn unit_for_the_built_binary(dir: &Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(UNIT).expect("contrib/musicagg.service");
    let shipped = "ExecStart=/usr/local/bin/musicagg serve";
    assert_eq!(
        unit.lines().filter(|l| l.starts_with("ExecStart=")).count(),
        1
    );
    assert!(unit.contains(shipped), "the unit runs `musicagg serve`");
    let path = dir.join("musicagg.service");
    std::fs::write(
        &path,
        unit.replace(shipped, &format!("ExecStart={BIN} serve")),
    )
    .unwrap();
    path
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    require("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_the_built_binary(dir.path());
    let text = std::fs::read_to_string(&unit).unwrap();
    for directive in [
        "Type=notify",
        "DynamicUser=yes",
        "StateDirectory=musicagg",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "ReadWritePaths=",
        "Restart=on-failure",
        // a configuration error (exit 2) is not restarted in a loop
        "RestartPreventExitStatus=2",
        "Environment=MUSICAGG_DATA_DIR=/var/lib/musicagg",
        "LoadCredential=musicagg.toml:/etc/musicagg/musicagg.toml",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
    ] {
        assert!(text.contains(directive), "the unit has {directive:?}");
    }

    // verify exits 0 on unknown keys and bad values too (it only warns):
    // a clean unit is a success with nothing said.
    let verify = Command::new("systemd-analyze")
        .args(["verify", unit.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .expect("systemd-analyze");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{said}");
    assert_eq!(said.trim(), "", "systemd-analyze verify warns");

    // Its hardening, as systemd scores it (0 best, 10 worst; the threshold
    // is in tenths): "OK" is below 2.0. Measured: 1.2.
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&unit)
        .current_dir(dir.path())
        .output()
        .expect("systemd-analyze security");
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(
        security.status.success(),
        "exposure above 2.0:\n{report}{}",
        String::from_utf8_lossy(&security.stderr)
    );
    assert!(report.contains("Overall exposure level"), "{report}");
}

/// `serve` on free ports with `NOTIFY_SOCKET` and the log in `dir/serve.log`,
/// not waited for.
fn spawn_notifying_serve(dir: &Path, socket: &Path) -> Server {
    let (port, http_port) = (free_port(), free_port());
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let child = musicagg(dir)
        .env("NOTIFY_SOCKET", socket)
        .env("MUSICAGG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MUSICAGG_HTTP_LISTEN", format!("127.0.0.1:{http_port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn musicagg serve");
    Server {
        child: Some(child),
        url: format!("http://127.0.0.1:{port}"),
        http_url: format!("http://127.0.0.1:{http_port}"),
    }
}

async fn datagram(socket: &tokio::net::UnixDatagram, what: &str) -> String {
    let mut buf = vec![0u8; 4096];
    let n = within(what, socket.recv(&mut buf)).await.expect("recv");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_tells_systemd_when_it_is_ready_and_when_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&path).expect("a notify socket");
    let mut server = spawn_notifying_serve(dir.path(), &path);

    let ready = datagram(&socket, "READY=1 from serve").await;
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready:?}");
    // Ready means ready: the first call after it is served, no retry.
    let health = crate::harness::health(&server.url, "musicagg.v1.MusicAggregatorService")
        .await
        .expect("gRPC answers as soon as READY=1 is sent");
    assert_eq!(
        health,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    let status = server.terminate().await;
    let stopping = datagram(&socket, "STOPPING=1 from serve").await;
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "{stopping:?}");
    assert!(status.success(), "a clean stop on SIGTERM: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_writes_no_colour_codes_into_a_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_serve(dir.path(), musicagg(dir.path())).await;
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains("serving gRPC") && log.contains("stopped"),
        "the log has its lines: {log}"
    );
    assert!(
        !log.contains("\x1b["),
        "no ANSI escape in a log file: {log:?}"
    );
}

async fn reflect(url: String, request: MessageRequest) -> ServerReflectionResponse {
    let channel = within(
        "connecting",
        tonic::transport::Channel::from_shared(url)
            .expect("a URL")
            .connect(),
    )
    .await
    .expect("a connection");
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut answers = within(
        "reflection",
        client.server_reflection_info(tokio_stream::iter([request])),
    )
    .await
    .expect("reflection answers")
    .into_inner();
    within("reflection's answer", answers.message())
        .await
        .expect("a message")
        .expect("one answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_the_health_service() {
    let app = TestApp::spawn(Backend::Sqlite, musicagg::Providers::stand_ins()).await;
    let url = format!("http://{}", app.addr);

    let answer = reflect(url.clone(), MessageRequest::ListServices(String::new())).await;
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "musicagg.v1.MusicAggregatorService",
        ]
    );

    // And it can describe it (what `grpcurl describe` asks).
    let answer = reflect(
        url,
        MessageRequest::FileContainingSymbol("grpc.health.v1.Health".into()),
    )
    .await;
    assert!(
        matches!(
            answer.message_response,
            Some(MessageResponse::FileDescriptorResponse(ref files)) if !files.file_descriptor_proto.is_empty()
        ),
        "{answer:?}"
    );
    app.stop().await;
}

/// `serve` with an indexer offering one FLAC: a manual run stops at its
/// offer and keeps its stream open.
async fn serve_with_an_offer(dir: &Path) -> (Server, FakeMusicBrainz, FakeIndexer) {
    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let indexer = FakeIndexer::jackett("tracker").await;
    indexer.caps("jackett-caps-q-only.xml").await;
    let feed = jackett_feed(
        &indexer.base(),
        &[FeedItem::linked(
            "Artist - Album (2020) [FLAC]",
            90_000_000,
            20,
            3040,
            "/dl/flac/",
        )],
    );
    indexer.on("search", xml(200, feed)).await;
    std::fs::write(
        dir.join("musicagg.toml"),
        format!(
            "[musicbrainz]\nbase_url = \"{}\"\n\n[[indexers]]\nname = \"jackett\"\n\
             url = \"{}\"\napi_key = \"{}\"\nmin_request_interval = 0\n",
            musicbrainz.base_url(),
            indexer.url(),
            indexer.api_key
        ),
    )
    .unwrap();
    let server = spawn_serve(dir, musicagg(dir)).await;
    (server, musicbrainz, indexer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_says_the_server_went_away_and_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _musicbrainz, _indexer) = serve_with_an_offer(dir.path()).await;
    let mut monitor = tokio::process::Command::from({
        let mut c = musicagg(dir.path());
        c.args([
            "monitor",
            ALBUM,
            "--manual",
            "--json",
            "--server",
            &server.url,
        ]);
        c
    });
    let mut child = monitor
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();

    // Read until the offer: the stream stays open, waiting for a choice.
    let mut seen = String::new();
    let deadline = Instant::now() + STEP;
    while !seen.contains("\"offer\"") {
        assert!(Instant::now() < deadline, "no offer came: {seen}");
        let mut buf = [0u8; 4096];
        let n = within("monitor's output", stdout.read(&mut buf))
            .await
            .unwrap();
        assert!(n > 0, "monitor ended before the offer: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let offer: serde_json::Value = seen
        .lines()
        .find(|l| l.contains("\"offer\""))
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("the offer as one JSON line");
    let run_id = offer["offer"]["run_id"].as_str().unwrap().to_owned();
    let seq = offer["offer"]["seq"].as_i64().unwrap();

    server.crash();

    let status = within("monitor to end", child.wait()).await.unwrap();
    let mut said = String::new();
    stderr.read_to_string(&mut said).await.unwrap();
    assert_eq!(status.code(), Some(3), "as when unreachable: {said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(said.contains("the server went away"), "{said}");
    assert!(
        said.contains(&format!(
            "musicagg monitor {ALBUM} --quality lossless --run-id {run_id} --after-seq {seq}"
        )),
        "the resume command: {said}"
    );
    assert!(
        !said.contains("refused") && !said.contains("h2 protocol"),
        "{said}"
    );
}
