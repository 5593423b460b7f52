//! `[tls]`: gRPC and the web page over TLS. A client trusting the CA works,
//! a plaintext client and one without the CA fail; the real CLI over
//! `https://` with `--ca-cert`. The certificates are made here, at test time.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use musicagg::Providers;
use musicagg::auth::TlsConfig;
use musicagg::proto::v1 as pb;
use musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use secrecy::SecretString;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::harness::{Backend, STEP, TestApp, TestDb, within};
use crate::serve::{Server, free_port, musicagg};

const KEY: &str = "tls-test-key-0123456789-abcdef";
const SERVICE: &str = "musicagg.v1.MusicAggregatorService";

/// A private CA and a server certificate it signed, for `localhost` and
/// `127.0.0.1`, as PEM files.
pub struct TestCerts {
    _dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCerts {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "musicagg test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a CA key"))
            .expect("the CA certificate");
        let server_key = KeyPair::generate().expect("a server key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = params
            .signed_by(&server_key, &ca)
            .expect("the server certificate");
        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).expect("write a PEM file");
            path
        };
        Self {
            ca: write("ca.pem", ca.pem()),
            cert: write("cert.pem", cert.pem()),
            key: write("key.pem", server_key.serialize_pem()),
            _dir: dir,
        }
    }

    fn config(&self) -> TlsConfig {
        TlsConfig {
            cert: self.cert.clone(),
            key: self.key.clone(),
        }
    }
}

/// A TLS channel trusting only `ca` (PEM).
async fn tls_channel(url: &str, ca: &Path) -> Result<Channel, tonic::transport::Error> {
    let pem = std::fs::read(ca).expect("the CA file");
    Channel::from_shared(url.to_owned())
        .expect("a URL")
        .tls_config(ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)))?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// Adds the key as `x-api-key`.
fn add_key(mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    request
        .metadata_mut()
        .insert("x-api-key", KEY.parse().expect("header text"));
    Ok(request)
}

type KeyedClient = MusicAggregatorServiceClient<
    tonic::service::interceptor::InterceptedService<
        Channel,
        fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
    >,
>;

fn with_key(channel: Channel) -> KeyedClient {
    MusicAggregatorServiceClient::with_interceptor(channel, add_key as _)
}

fn https_client(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).expect("the CA file");
    musicagg::http::client_builder("tls-test", STEP, false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("the CA certificate"))
        .build()
        .expect("an HTTPS client")
}

#[tokio::test]
async fn grpc_and_the_web_page_need_tls_and_the_ca_certificate() {
    let certs = TestCerts::new();
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, Providers::stand_ins(), |config| {
        config.tls = Some(certs.config());
        config.api_key = Some(SecretString::from(KEY));
    })
    .await;
    let port = app.addr.port();

    // gRPC: a client trusting the CA works, by IP and by name.
    for host in ["127.0.0.1", "localhost"] {
        let channel = within(
            "TLS connect",
            tls_channel(&format!("https://{host}:{port}"), &certs.ca),
        )
        .await
        .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        let runs = within(
            "ListWorkflowRuns",
            with_key(channel).list_workflow_runs(pb::ListWorkflowRunsRequest::default()),
        )
        .await;
        assert!(runs.is_ok(), "{host}: {runs:?}");
    }

    // A plaintext client gets nothing.
    let plaintext = async {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await
            .map_err(|e| e.to_string())?;
        with_key(channel)
            .list_workflow_runs(pb::ListWorkflowRunsRequest::default())
            .await
            .map_err(|e| e.to_string())
    };
    let plaintext = within("a plaintext call", plaintext).await;
    assert!(plaintext.is_err(), "plaintext worked: {plaintext:?}");

    // A client that does not trust the CA (the public roots only) fails.
    let untrusted = async {
        Channel::from_shared(format!("https://localhost:{port}"))
            .unwrap()
            .tls_config(ClientTlsConfig::new().with_webpki_roots())?
            .connect()
            .await
    };
    let untrusted = within("an untrusting client", untrusted).await;
    assert!(
        untrusted.is_err(),
        "a certificate from an unknown CA was accepted"
    );

    // The web page: HTTPS with the CA works (the login cookie is Secure);
    // plain HTTP does not.
    let http = app.http.expect("the web listener");
    let client = https_client(&certs.ca);
    let page = client
        .get(format!("https://localhost:{}/", http.port()))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("the page over HTTPS");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<title>musicagg"));
    let login = client
        .post(format!("https://127.0.0.1:{}/login", http.port()))
        .form(&[("key", KEY)])
        .send()
        .await
        .expect("the login over HTTPS");
    assert_eq!(login.status(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
    let plain = crate::harness::http_client()
        .get(format!("http://127.0.0.1:{}/", http.port()))
        .header("x-api-key", KEY)
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "the page was served in plaintext: {plain:?}"
    );
    app.stop().await;
    assert!(
        client
            .get(format!("https://localhost:{}/login", http.port()))
            .send()
            .await
            .is_err(),
        "the TLS web listener stops with the service"
    );
}

fn run(command: &mut std::process::Command) -> Output {
    command.output().expect("run musicagg")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The real `serve` with `[tls]` (from the environment), ready when its
/// health check answers over TLS.
async fn spawn_tls_serve(dir: &Path, certs: &TestCerts) -> Server {
    let port = free_port();
    let http_port = free_port();
    let child = musicagg(dir)
        .env("MUSICAGG_LISTEN", format!("127.0.0.1:{port}"))
        .env("MUSICAGG_HTTP_LISTEN", format!("127.0.0.1:{http_port}"))
        .env("MUSICAGG_TLS__CERT", &certs.cert)
        .env("MUSICAGG_TLS__KEY", &certs.key)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("serve.log")).expect("log file"),
        ))
        .spawn()
        .expect("spawn musicagg serve");
    let server = Server {
        child: Some(child),
        url: format!("https://localhost:{port}"),
        http_url: format!("https://localhost:{http_port}"),
    };
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(channel) = tls_channel(&server.url, &certs.ca).await {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest {
                service: SERVICE.to_owned(),
            };
            if health.check(request).await.is_ok() {
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "serve over TLS did not answer: {}",
            std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_talks_to_the_real_serve_over_https_with_the_ca_certificate() {
    let certs = TestCerts::new();
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_tls_serve(dir.path(), &certs).await;
    let ca = certs.ca.to_str().expect("a UTF-8 path");

    let runs = run(musicagg(dir.path()).args([
        "runs",
        "--json",
        "--server",
        &server.url,
        "--ca-cert",
        ca,
    ]));
    assert!(runs.status.success(), "{}", text(&runs.stderr));
    let wanted = run(musicagg(dir.path()).env("MUSICAGG_CA_CERT", ca).args([
        "wanted",
        "list",
        "--server",
        &server.url,
    ]));
    assert!(
        wanted.status.success(),
        "$MUSICAGG_CA_CERT: {}",
        text(&wanted.stderr)
    );

    // Without the CA the certificate is refused; plaintext gets nothing.
    let untrusted = run(musicagg(dir.path()).args(["runs", "--server", &server.url]));
    assert_eq!(untrusted.status.code(), Some(3));
    let stderr = text(&untrusted.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    let plaintext_url = server.url.replace("https://", "http://");
    let plaintext = run(musicagg(dir.path()).args(["runs", "--server", &plaintext_url]));
    assert_eq!(
        plaintext.status.code(),
        Some(3),
        "{}",
        text(&plaintext.stderr)
    );
    let misused =
        run(musicagg(dir.path()).args(["runs", "--server", &plaintext_url, "--ca-cert", ca]));
    assert_eq!(misused.status.code(), Some(2), "--ca-cert needs https://");

    // The web page of the real serve over HTTPS.
    let page = https_client(&certs.ca)
        .get(&server.http_url)
        .send()
        .await
        .expect("the page over HTTPS");
    assert_eq!(page.status(), 200);

    assert!(server.terminate().await.success());
}

#[test]
fn a_bad_certificate_file_is_a_configuration_error() {
    let certs = TestCerts::new();
    let dir = tempfile::tempdir().unwrap();
    let missing = run(musicagg(dir.path())
        .env("MUSICAGG_TLS__CERT", dir.path().join("nowhere.pem"))
        .env("MUSICAGG_TLS__KEY", &certs.key)
        .arg("serve"));
    assert_eq!(missing.status.code(), Some(2));
    let stderr = text(&missing.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("tls") && stderr.contains("nowhere.pem"),
        "{stderr}"
    );
    // The key where the certificate should be.
    let swapped = run(musicagg(dir.path())
        .env("MUSICAGG_TLS__CERT", &certs.key)
        .env("MUSICAGG_TLS__KEY", &certs.key)
        .arg("serve"));
    assert_eq!(swapped.status.code(), Some(2), "{}", text(&swapped.stderr));
}
