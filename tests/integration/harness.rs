//! The shared test harness: a database per test (real PostgreSQL or a SQLite
//! file), the service started through `App::build_with` exactly as `serve`
//! starts it, a real tonic client over TCP, and helpers that make tests read
//! as scenarios.

use std::net::SocketAddr;
use std::time::Duration;

use musicagg::proto::v1 as pb;
use musicagg::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use musicagg::workflow::Workflows;
use musicagg::{App, Config, Providers};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Status, Streaming};

/// Every async step of a test is bounded by this.
pub const STEP: Duration = Duration::from_secs(20);

/// Awaits `f` or fails the test with what was awaited.
pub async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(STEP, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {STEP:?} waiting for {what}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database of its own for one test; a PostgreSQL database is dropped when
/// the test ends.
pub struct TestDb {
    pub url: String,

    pg_cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server the tests use (any database on it; each test creates
/// its own). `scripts/test.sh` sets this when it starts a private server.
fn postgres_admin_url() -> String {
    std::env::var("MUSICAGG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("musicagg.db").display());
                Self {
                    url,
                    pg_cleanup: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {admin}: {e}. Run the tests with \
                         scripts/test.sh (it installs and starts PostgreSQL), or set \
                         MUSICAGG_TEST_DATABASE_URL to a server where this user may create databases."
                    )
                });
                let name = format!("musicagg_test_{}", uuid::Uuid::new_v4().simple());
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("CREATE DATABASE");
                let _ = conn.close().await;
                let base = admin
                    .rsplit_once('/')
                    .map(|(base, _)| base.to_owned())
                    .expect("the URL names a database");
                Self {
                    url: format!("{base}/{name}"),
                    pg_cleanup: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    pub async fn store(&self) -> std::sync::Arc<dyn musicagg::store::Store> {
        musicagg::store::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg_cleanup.take() else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                Ok::<_, sqlx::Error>(())
            })
            .map_err(std::io::Error::other)
        })
        .join();
    }
}

/// A running service with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The web page's address (`http_listen`), unless a test turned it off.
    pub http: Option<SocketAddr>,
    pub workflows: Workflows,
    /// Kept so the database lives as long as the app (taken by
    /// [`TestApp::stop_keeping_db`]).
    db: Option<TestDb>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

pub fn test_config(db: &TestDb) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        database_url: Some(db.url.clone()),
        ..Config::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend, providers: Providers) -> Self {
        let db = TestDb::new(backend).await;
        Self::spawn_on(db, providers, |_| {}).await
    }

    /// Starts the service on an existing database, with config tweaks.
    pub async fn spawn_on(
        db: TestDb,
        providers: Providers,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(&db);
        tweak(&mut config);
        let app = App::build_with(&config, providers)
            .await
            .expect("the app builds");
        Self::run(app, db)
    }

    /// Starts the service with the adapters its configuration names, as
    /// `serve` does.
    pub async fn spawn_configured(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new(backend).await;
        let mut config = test_config(&db);
        tweak(&mut config);
        let app = App::build(&config).await.expect("the app builds");
        Self::run(app, db)
    }

    fn run(app: App, db: TestDb) -> Self {
        let addr = app.local_addr();
        let http = app.http_addr();
        let workflows = app.workflows().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            http,
            workflows,
            db: Some(db),
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub async fn client(&self) -> MusicAggregatorServiceClient<Channel> {
        let url = format!("http://{}", self.addr);
        within("connecting", MusicAggregatorServiceClient::connect(url))
            .await
            .expect("connect to the test server")
    }

    /// Opens a MonitorAlbumStream and sends `start`; the returned watcher
    /// can also send more messages.
    pub async fn watch(&self, start: pb::StartMonitorRequest) -> Result<Watcher, Status> {
        let (tx, rx) = mpsc::channel(4);
        tx.send(start_message(start))
            .await
            .expect("queue the start message");
        let mut client = self.client().await;
        let response = within(
            "the stream to open",
            client.monitor_album_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
        )
        .await?;
        Ok(Watcher {
            stream: response.into_inner(),
            sender: Some(tx),
        })
    }

    /// Opens a stream, reads it to its final response, checks it ends OK.
    pub async fn watch_to_end(&self, start: pb::StartMonitorRequest) -> Received {
        self.watch(start)
            .await
            .expect("the stream opens")
            .finish()
            .await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(self) {
        self.stop_keeping_db().await;
    }

    /// [`TestApp::stop`], keeping the database for another start.
    pub async fn stop_keeping_db(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            within("the server to stop", server)
                .await
                .expect("server task")
                .expect("server result");
        }
        self.db.take().expect("the database")
    }

    /// Waits until no workflow is running.
    pub async fn idle(&self) {
        within("the registry to empty", async {
            while !self.workflows.registry.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
    }

    pub async fn run_count(&self) -> usize {
        self.workflows
            .store
            .list_runs(&Default::default(), 0, 10_000)
            .await
            .expect("list runs")
            .len()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn start_message(start: pb::StartMonitorRequest) -> pb::MonitorAlbumStreamRequest {
    pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Start(start)),
    }
}

pub fn start(album_id: &str, quality: pb::Quality) -> pb::StartMonitorRequest {
    pb::StartMonitorRequest {
        album_id: album_id.into(),
        quality: quality.into(),
        mode: pb::MonitorMode::Automatic.into(),
        after_seq: 0,
        run_id: String::new(),
        keep_wanted: false,
    }
}

/// One client's view of a MonitorAlbumStream.
pub struct Watcher {
    pub stream: Streaming<pb::MonitorAlbumStreamResponse>,
    pub sender: Option<mpsc::Sender<pb::MonitorAlbumStreamRequest>>,
}

/// Everything a client received, in order.
#[derive(Debug, Default, Clone)]
pub struct Received {
    pub updates: Vec<pb::StatusUpdate>,
    /// Manual runs: the offers, in order among the updates (by seq).
    pub offers: Vec<pb::CandidateOffer>,
    pub result: Option<pb::MonitorAlbumResponse>,
}

impl Received {
    pub fn seqs(&self) -> Vec<i64> {
        self.updates.iter().map(|u| u.seq).collect()
    }

    pub fn statuses(&self) -> Vec<pb::WorkflowStatus> {
        self.updates.iter().map(|u| u.status()).collect()
    }

    pub fn result(&self) -> &pb::MonitorAlbumResponse {
        self.result.as_ref().expect("a final response")
    }
}

impl Watcher {
    /// The next stream message (None at the end of the stream).
    pub async fn next(&mut self) -> Result<Option<pb::MonitorAlbumStreamResponse>, Status> {
        within("the next stream message", self.stream.message()).await
    }

    /// Reads exactly `n` status updates.
    pub async fn take_updates(&mut self, n: usize) -> Vec<pb::StatusUpdate> {
        let mut updates = Vec::new();
        while updates.len() < n {
            match self.next().await.expect("stream message") {
                Some(pb::MonitorAlbumStreamResponse {
                    response: Some(pb::monitor_album_stream_response::Response::StatusUpdate(u)),
                }) => updates.push(u),
                other => panic!("expected a status update, got {other:?}"),
            }
        }
        updates
    }

    /// Reads to the end: every update, the final response, and checks the
    /// stream then ends with OK.
    pub async fn finish(mut self) -> Received {
        let mut received = Received::default();
        while let Some(pb::MonitorAlbumStreamResponse { response }) =
            self.next().await.expect("stream message")
        {
            match response {
                Some(pb::monitor_album_stream_response::Response::StatusUpdate(u)) => {
                    assert!(
                        received.result.is_none(),
                        "an update after the final response"
                    );
                    received.updates.push(u);
                }
                Some(pb::monitor_album_stream_response::Response::Result(r)) => {
                    assert!(received.result.is_none(), "two final responses");
                    received.result = Some(r);
                }
                Some(pb::monitor_album_stream_response::Response::Offer(o)) => {
                    assert!(
                        received.result.is_none(),
                        "an offer after the final response"
                    );
                    received.offers.push(o);
                }
                None => panic!("an empty stream message"),
            }
        }
        assert!(
            received.result.is_some(),
            "the stream ended without a final response"
        );
        received
    }

    /// Sends another message on the same stream.
    pub async fn send(&self, message: pb::MonitorAlbumStreamRequest) {
        self.sender
            .as_ref()
            .expect("the sending side is open")
            .send(message)
            .await
            .expect("send on the stream");
    }
}

/// The standard gRPC health check of `service` ("" = the whole server).
pub async fn health(
    url: &str,
    service: &str,
) -> Result<tonic_health::pb::health_check_response::ServingStatus, Box<dyn std::error::Error>> {
    let channel = Channel::from_shared(url.to_owned())?.connect().await?;
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let response = client
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}

/// An HTTP client for the web listener (rustls' provider installed the way
/// the service does it).
pub fn http_client() -> reqwest::Client {
    musicagg::http::client_builder("musicagg-tests", Duration::from_secs(30), false)
        .build()
        .expect("an HTTP client")
}
