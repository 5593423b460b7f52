//! The API key: every RPC but health and reflection needs it, both header
//! forms carry it, a wrong one is refused without being echoed; the web
//! listener asks for it too (header or login cookie); the real `serve`
//! refuses a public address without one; the CLI sends `--api-key`.

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use musicagg::Providers;
use musicagg::proto::v1 as pb;
use musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use prost::Message;
use secrecy::SecretString;
use tonic::transport::Channel;

use crate::fake_musicbrainz::{FakeMusicBrainz, simple_album};
use crate::harness::{Backend, STEP, TestApp, TestDb, within};
use crate::serve::{free_port, musicagg, spawn_serve};
use crate::stream::ALBUM;

const KEY: &str = "test-key-0123456789-abcdefghij";
const WRONG: &str = "wrong-key-0123456789-zyxwvuts";
const SERVICE: &str = "musicagg.v1.MusicAggregatorService";

async fn app_with_key(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    TestApp::spawn_on(db, Providers::stand_ins(), |config| {
        config.api_key = Some(SecretString::from(KEY));
    })
    .await
}

/// Every method of the musicagg service, read from the descriptor the
/// server registers with reflection: a new RPC is covered without a change
/// here.
fn every_rpc() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(musicagg::proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let methods: Vec<String> = set
        .file
        .iter()
        .filter(|file| file.package() == "musicagg.v1")
        .flat_map(|file| &file.service)
        .filter(|service| service.name() == "MusicAggregatorService")
        .flat_map(|service| &service.method)
        .map(|method| method.name().to_owned())
        .collect();
    assert!(
        methods.len() >= 10 && methods.iter().any(|m| m == "MonitorAlbumStream"),
        "the service's methods were found: {methods:?}"
    );
    methods
}

/// The `grpc-status` (and message) a raw gRPC call to `method` gets in its
/// response headers, with `headers` added: an empty message, as any client
/// would send it over HTTP/2. `None` when the call was accepted (its status
/// comes later, in the trailers).
async fn raw_call(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    method: &str,
    headers: &[(&str, &str)],
) -> Option<(String, String)> {
    let mut request = client
        .post(format!("http://{addr}/{SERVICE}/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(vec![0u8, 0, 0, 0, 0]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = within(method, request.send())
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    header("grpc-status").map(|status| (status, header("grpc-message").unwrap_or_default()))
}

const UNAUTHENTICATED: &str = "16";

async fn every_rpc_needs_the_key(backend: Backend) {
    let app = app_with_key(backend).await;
    let methods = every_rpc();
    let client = musicagg::http::client_builder("auth-test", STEP, false)
        .http2_prior_knowledge()
        .build()
        .expect("an HTTP/2 client");

    for method in &methods {
        // No key.
        let refused = raw_call(&client, app.addr, method, &[]).await;
        let (status, message) = refused.unwrap_or_else(|| panic!("{method} ran without a key"));
        assert_eq!(status, UNAUTHENTICATED, "{method}: {message}");
        assert!(
            message.contains("x-api-key") && message.contains("Bearer"),
            "{method}: the message says how to send the key: {message}"
        );
        // A wrong key, in either form: refused, and never echoed.
        for header in [
            ("x-api-key", WRONG.to_owned()),
            ("authorization", format!("Bearer {WRONG}")),
        ] {
            let refused = raw_call(&client, app.addr, method, &[(header.0, &header.1)]).await;
            let (status, message) = refused.unwrap_or_else(|| panic!("{method}: wrong key ran"));
            assert_eq!(status, UNAUTHENTICATED, "{method} {}: {message}", header.0);
            assert!(!message.contains(WRONG), "{method}: echoed: {message}");
        }
        // The right key, in either form: past the check (whatever the
        // method then makes of an empty message).
        for header in [
            ("x-api-key", KEY.to_owned()),
            ("authorization", format!("Bearer {KEY}")),
        ] {
            if let Some((status, message)) =
                raw_call(&client, app.addr, method, &[(header.0, &header.1)]).await
            {
                assert_ne!(status, UNAUTHENTICATED, "{method} {}: {message}", header.0);
            }
        }
    }

    // Health and reflection need no key.
    let url = format!("http://{}", app.addr);
    let health = within("health", crate::harness::health(&url, SERVICE))
        .await
        .expect("health answers without a key");
    assert_eq!(
        health,
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    let services = reflection_services(&url).await;
    assert!(services.contains(&SERVICE.to_owned()), "{services:?}");

    // Typed clients with each header form work end to end.
    let channel = within("connecting", Channel::from_shared(url).unwrap().connect())
        .await
        .unwrap();
    let mut bearer = MusicAggregatorServiceClient::with_interceptor(
        channel.clone(),
        |mut request: tonic::Request<()>| {
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
            Ok(request)
        },
    );
    let runs = within(
        "ListWorkflowRuns",
        bearer.list_workflow_runs(pb::ListWorkflowRunsRequest::default()),
    )
    .await;
    assert!(runs.is_ok(), "Bearer: {runs:?}");
    let mut x_api_key = MusicAggregatorServiceClient::with_interceptor(
        channel.clone(),
        |mut request: tonic::Request<()>| {
            request
                .metadata_mut()
                .insert("x-api-key", KEY.parse().unwrap());
            Ok(request)
        },
    );
    let wanted = within(
        "ListWanted",
        x_api_key.list_wanted(pb::ListWantedRequest::default()),
    )
    .await;
    assert!(wanted.is_ok(), "x-api-key: {wanted:?}");
    let mut wrong = MusicAggregatorServiceClient::with_interceptor(
        channel,
        |mut request: tonic::Request<()>| {
            request
                .metadata_mut()
                .insert("x-api-key", WRONG.parse().unwrap());
            Ok(request)
        },
    );
    let refused = within(
        "ListWorkflowRuns",
        wrong.list_workflow_runs(pb::ListWorkflowRunsRequest::default()),
    )
    .await
    .expect_err("a wrong key is refused");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert!(!refused.message().contains(WRONG), "{}", refused.message());
    app.stop().await;
}

#[tokio::test]
async fn every_rpc_but_health_and_reflection_needs_the_key_on_postgres() {
    every_rpc_needs_the_key(Backend::Postgres).await;
}

#[tokio::test]
async fn every_rpc_but_health_and_reflection_needs_the_key_on_sqlite() {
    every_rpc_needs_the_key(Backend::Sqlite).await;
}

/// The services reflection lists (asked without a key).
async fn reflection_services(url: &str) -> Vec<String> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let channel = within(
        "reflection",
        Channel::from_shared(url.to_owned()).unwrap().connect(),
    )
    .await
    .expect("reflection connects");
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = within(
        "reflection",
        client.server_reflection_info(tokio_stream::iter([request])),
    )
    .await
    .expect("reflection answers without a key")
    .into_inner();
    let response = within("reflection", responses.message())
        .await
        .expect("a reflection response")
        .expect("one message");
    match response.message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("not a list of services: {other:?}"),
    }
}

#[tokio::test]
async fn the_web_page_needs_the_key_or_the_login_cookie() {
    let app = app_with_key(Backend::Sqlite).await;
    let base = format!("http://{}", app.http.expect("the web listener"));
    let client = crate::harness::http_client();

    // A browser is sent to the login form; a script gets a 401.
    let page = client
        .get(format!("{base}/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    let script = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(script.status(), 401);
    assert!(script.text().await.unwrap().contains("x-api-key"));
    let wrong = client
        .get(format!("{base}/"))
        .header("x-api-key", WRONG)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    // The same headers as gRPC.
    for (name, value) in [
        ("x-api-key", KEY.to_owned()),
        ("authorization", format!("Bearer {KEY}")),
    ] {
        let page = client
            .get(format!("{base}/"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{name}");
        assert!(page.text().await.unwrap().contains("<title>musicagg"));
    }

    // The login form is open; a wrong key gets no cookie.
    let form = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("name=\"key\""));
    let refused = client
        .post(format!("{base}/login"))
        .form(&[("key", WRONG)])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());

    // The right key: an HttpOnly, SameSite=Strict cookie that is not the key.
    let login = client
        .post(format!("{base}/login"))
        .form(&[("key", KEY)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"SameSite=Strict"), "{cookie}");
    assert!(!attributes.contains(&"Secure"), "no TLS here: {cookie}");
    let pair = attributes[0];
    assert!(pair.starts_with("musicagg_session="), "{cookie}");
    assert!(!cookie.contains(KEY), "the cookie is not the key: {cookie}");
    let page = client
        .get(format!("{base}/"))
        .header("cookie", pair)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the cookie opens the page");
    let forged = client
        .get(format!("{base}/"))
        .header("cookie", format!("musicagg_session={KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        401,
        "the key as a cookie is not the cookie"
    );
    app.stop().await;
}

fn run(command: &mut std::process::Command) -> Output {
    command.output().expect("run musicagg")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_the_api_key_to_the_real_serve() {
    let dir = tempfile::tempdir().unwrap();
    // The key the CLI makes for you: 32 random bytes, URL-safe.
    let generated = run(musicagg(dir.path()).arg("generate-api-key"));
    assert!(generated.status.success());
    let key = text(&generated.stdout).trim().to_owned();
    assert!(key.len() >= 43, "{key}");
    assert!(
        key.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "URL-safe: {key}"
    );
    let again = run(musicagg(dir.path()).arg("generate-api-key"));
    assert_ne!(text(&again.stdout).trim(), key, "a fresh key each time");

    let musicbrainz = FakeMusicBrainz::start().await;
    musicbrainz.add(ALBUM, simple_album(ALBUM, "Artist", "Album", 3));
    let mut command = musicagg(dir.path());
    command
        .env("MUSICAGG_MUSICBRAINZ__BASE_URL", musicbrainz.base_url())
        .env("MUSICAGG_API_KEY", &key);
    // spawn_serve waits for the health check: open without a key.
    let mut server = spawn_serve(dir.path(), command).await;

    let without = run(musicagg(dir.path()).args(["runs", "--server", &server.url]));
    assert_eq!(without.status.code(), Some(3));
    let stderr = text(&without.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Unauthenticated") && stderr.contains("--api-key"),
        "{stderr}"
    );

    let wrong =
        run(musicagg(dir.path()).args(["runs", "--server", &server.url, "--api-key", WRONG]));
    assert_eq!(wrong.status.code(), Some(3));
    assert!(
        !text(&wrong.stderr).contains(WRONG),
        "{}",
        text(&wrong.stderr)
    );

    let with_flag = run(musicagg(dir.path()).args([
        "runs",
        "--json",
        "--server",
        &server.url,
        "--api-key",
        &key,
    ]));
    assert!(with_flag.status.success(), "{}", text(&with_flag.stderr));

    // $MUSICAGG_API_KEY, on a streaming call this time: the run goes through.
    let monitor = run(musicagg(dir.path()).env("MUSICAGG_API_KEY", &key).args([
        "monitor",
        ALBUM,
        "--once",
        "--server",
        &server.url,
    ]));
    assert_eq!(monitor.status.code(), Some(1), "{}", text(&monitor.stderr));
    assert!(
        text(&monitor.stdout).contains("NO_RESULTS: no indexers configured"),
        "{}",
        text(&monitor.stdout)
    );
    let runs = run(musicagg(dir.path()).env("MUSICAGG_API_KEY", &key).args([
        "runs",
        "--json",
        "--server",
        &server.url,
    ]));
    assert_eq!(text(&runs.stdout).lines().count(), 1, "the run is listed");

    assert!(server.terminate().await.success());
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(!log.contains(&key), "the key is never logged");
}

/// Starts `serve` with `env`, expecting it to refuse: its exit code and stderr.
fn refused(env: &[(&str, String)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = musicagg(dir.path());
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let output = run(command.arg("serve").stdout(Stdio::null()));
    (output.status.code(), text(&output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_public_address_without_a_key() {
    let loopback = || format!("127.0.0.1:{}", free_port());
    let public = || format!("0.0.0.0:{}", free_port());

    let (code, stderr) = refused(&[
        ("MUSICAGG_LISTEN", public()),
        ("MUSICAGG_HTTP_LISTEN", loopback()),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for how in [
        "api_key",
        "MUSICAGG_API_KEY",
        "musicagg generate-api-key",
        "allow_unauthenticated",
    ] {
        assert!(stderr.contains(how), "says how ({how}): {stderr}");
    }
    let (code, stderr) = refused(&[
        ("MUSICAGG_LISTEN", loopback()),
        ("MUSICAGG_HTTP_LISTEN", public()),
    ]);
    assert_eq!(code, Some(2), "the web port too: {stderr}");
    assert!(stderr.contains("http_listen"), "{stderr}");
    let (code, stderr) = refused(&[("MUSICAGG_API_KEY", "short".into())]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("short"), "the key is not shown: {stderr}");

    // With a key, or explicitly allowed, it serves there.
    for extra in [
        ("MUSICAGG_API_KEY", KEY.to_owned()),
        ("MUSICAGG_ALLOW_UNAUTHENTICATED", "true".to_owned()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = musicagg(dir.path())
            .env("MUSICAGG_LISTEN", format!("0.0.0.0:{port}"))
            .env("MUSICAGG_HTTP_LISTEN", "")
            .env(extra.0, &extra.1)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + STEP;
        let serving = loop {
            if let Ok(status) = crate::harness::health(&url, SERVICE).await {
                break status;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("serve with {} exited: {status:?}", extra.0);
            }
            assert!(
                Instant::now() < deadline,
                "serve with {} did not start",
                extra.0
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            serving,
            tonic_health::pb::health_check_response::ServingStatus::Serving,
            "{}",
            extra.0
        );
    }
}
