//! Wiring: builds the store, the workflow machinery and the gRPC server from a
//! [`Config`], the same way for `musicagg serve` and for the tests.
//!
//! [`App::build`] binds the listener (port 0 allowed) and recovers what an
//! earlier process left unfinished before anything is served;
//! [`App::run_until_stopped`] serves until the shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;

use crate::api::Api;
use crate::config::Config;
use crate::config::TorrentClientKind;
use crate::downloads::tracker::{Tracker, TrackerOptions};
use crate::events::EventBus;
use crate::indexer::TorznabIndexers;
use crate::library::index::Library;
use crate::magnet::LinkResolver;
use crate::metadata::{MusicBrainzClient, PersistingMetadata};
use crate::proto::v1::music_aggregator_service_server::MusicAggregatorServiceServer;
use crate::release::RankingSelector;
use crate::store::Store;
use crate::torrent_client::{Qbittorrent, Transmission};
use crate::workflow::Workflows;

pub use crate::workflow::Providers;

/// How long open web responses may take to finish once the service stops.
const WEB_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

pub struct App {
    listener: TcpListener,
    /// The web page's listener (`http_listen`), when it is on.
    http_listener: Option<TcpListener>,
    workflows: Workflows,
    tracker: Tracker,
    wanted: crate::wanted::Wanted,
    /// `api_key`, ready to check (none: both listeners open).
    api_key: Option<Arc<crate::auth::ApiKey>>,
    /// What the web listener asks of a browser's `Host` and `Origin`.
    web_origin: crate::auth::origin::OriginPolicy,
    /// `[tls]`, loaded (none: plaintext).
    tls: Option<crate::auth::tls::ServerTls>,
    /// `/metrics` is served on the web listener (`metrics = true`).
    serve_metrics: bool,
    /// What the web page's settings check tests.
    web_checks: crate::web::Checks,
}

impl App {
    /// Builds the service with the providers the configuration names.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        let providers = providers_from_config(config, Arc::clone(&store))?;
        Self::assemble(config, store, providers).await
    }

    /// Builds the service with the given providers (tests, benchmarks).
    pub async fn build_with(config: &Config, providers: Providers) -> anyhow::Result<Self> {
        let store = open_store(config).await?;
        Self::assemble(config, store, providers).await
    }

    async fn assemble(
        config: &Config,
        store: Arc<dyn Store>,
        mut providers: Providers,
    ) -> anyhow::Result<Self> {
        // The key, TLS and both ports first: a second `serve` started by
        // mistake on the same database fails here, before its recovery
        // could mark the running instance's runs "interrupted by restart".
        let api_key = match &config.api_key {
            Some(key) => {
                use secrecy::ExposeSecret;
                Some(Arc::new(
                    crate::auth::ApiKey::new(key.expose_secret()).context("api_key")?,
                ))
            }
            None => None,
        };
        let tls = config.tls.as_ref().map(|tls| tls.load()).transpose()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let http_listener = match config.http_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr} (http_listen)"))?,
            ),
            None => None,
        };
        // Metered at the trait boundary, whichever client it is.
        providers.torrent_client = crate::metrics::MeteredTorrentClient::wrap(
            providers.torrent_client,
            &providers.metrics,
        );
        let bus = EventBus::new(config.event_bus_capacity);
        let mut workflows = Workflows::new(Arc::clone(&store), bus, providers);
        workflows.options.choice_timeout = config.manual.choice_timeout.duration();
        if let Some(path) = &config.library.path {
            std::fs::create_dir_all(path)
                .with_context(|| format!("creating the library folder {}", path.display()))?;
            workflows.library = Some(Library::new(path.clone(), store));
        }
        let recovered = workflows
            .recover()
            .await
            .context("recovering runs left unfinished by an earlier process")?;
        if recovered != Default::default() {
            tracing::warn!(
                ?recovered,
                "recovered what an earlier process left unfinished"
            );
        }
        // Owned is read from the index: it is brought up to date (only new
        // and changed files are read) before the first request.
        if let Some(library) = &workflows.library {
            match library.refresh().await {
                Ok(summary) => tracing::info!(
                    library = %library.root().display(),
                    files = summary.files,
                    read = summary.read,
                    removed = summary.removed,
                    unreadable = summary.errors.len(),
                    "library indexed"
                ),
                Err(e) => tracing::warn!(error = %e, "library scan failed"),
            }
        }
        // After the index: a retry run's owned check reads it.
        match crate::downloads::failure::finish_interrupted(&workflows).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                downloads = n,
                "finished failed downloads a crash left before their retry"
            ),
            Err(e) => tracing::warn!(error = %e, "could not finish interrupted failures"),
        }
        let tracker = Tracker::new(workflows.clone(), TrackerOptions::from_config(config));
        let wanted = crate::wanted::Wanted::new(workflows.clone(), config.wanted.clone());
        Ok(Self {
            listener,
            http_listener,
            workflows,
            tracker,
            wanted,
            web_origin: crate::auth::origin::OriginPolicy {
                // The loopback-only default: a rebound name must not reach it.
                literal_hosts_only: api_key.is_none() && !config.allow_unauthenticated,
            },
            api_key,
            tls,
            serve_metrics: config.metrics,
            web_checks: crate::web::Checks::from_config(config),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The web page's address, when `http_listen` is on.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The workflow machinery (store, bus, registry), for tests and tools.
    pub fn workflows(&self) -> &Workflows {
        &self.workflows
    }

    /// The wanted list (tests drive single RSS syncs and scheduling steps).
    pub fn wanted(&self) -> &crate::wanted::Wanted {
        &self.wanted
    }

    /// The download tracker (tests and benchmarks drive single polls).
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Serves gRPC (the service, health, reflection) until `shutdown`
    /// resolves; then running workflows record that they were interrupted,
    /// open streams deliver that and end, and the server stops.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        let streams_stop = CancellationToken::new();
        let api =
            Api::new(self.workflows.clone(), streams_stop.clone()).with_wanted(self.wanted.clone());

        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<MusicAggregatorServiceServer<Api>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            // Listed too, so `grpcurl list` shows what health probes call.
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("building the reflection service")?;

        let tracker_stop = CancellationToken::new();
        let tracker = tokio::spawn(self.tracker.clone().run(tracker_stop.clone()));
        let wanted = crate::tasks::spawn("wanted", tracing::info_span!("wanted"), {
            let wanted = self.wanted.clone();
            let stop = tracker_stop.clone();
            async move {
                wanted.run(stop).await;
                Ok::<(), std::convert::Infallible>(())
            }
        });
        let web = match self.http_listener {
            Some(listener) => {
                let state = crate::web::WebState {
                    workflows: self.workflows.clone(),
                    wanted: self.wanted.clone(),
                    shutdown: streams_stop.clone(),
                    checks: self.web_checks.clone(),
                };
                let web_addr = listener.local_addr().ok();
                tracing::info!(addr = ?web_addr, tls = self.tls.is_some(), "serving the web page");
                let stopped = streams_stop.clone();
                // Every route is added before `protect`: it covers them all.
                let mut router = crate::web::router(state);
                if self.serve_metrics {
                    let workflows = &self.workflows;
                    router = router.merge(crate::metrics::routes(
                        workflows.providers.metrics.clone(),
                        Arc::clone(&workflows.store),
                    ));
                }
                let router =
                    crate::auth::web::protect(router, self.api_key.clone(), self.tls.is_some());
                // Outermost: `/login` and `/logout` are covered too.
                let router = crate::auth::origin::guard(router, self.web_origin);
                let web_tls = self.tls.as_ref().map(|tls| tls.web.clone());
                Some(tokio::spawn(async move {
                    let stopped = async move { stopped.cancelled().await };
                    match web_tls {
                        Some(acceptor) => {
                            let listener = crate::auth::tls::TlsListener::new(listener, acceptor)?;
                            axum::serve(listener, router)
                                .with_graceful_shutdown(stopped)
                                .await
                        }
                        None => {
                            axum::serve(listener, router)
                                .with_graceful_shutdown(stopped)
                                .await
                        }
                    }
                }))
            }
            None => None,
        };
        let workflows = self.workflows.clone();
        let stop = async move {
            shutdown.await;
            tracing::info!("shutting down");
            health_reporter
                .set_not_serving::<MusicAggregatorServiceServer<Api>>()
                .await;
            tracker_stop.cancel();
            let _ = tracker.await;
            let _ = wanted.await;
            workflows.shutdown().await;
            // Give the bridges a moment to deliver the interrupted runs'
            // final responses, then end the streams that remain.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            streams_stop.cancel();
        };

        tracing::info!(%addr, tls = self.tls.is_some(), "serving gRPC");
        let mut server = Server::builder();
        if let Some(tls) = &self.tls {
            server = server
                .tls_config(tls.grpc.clone())
                .context("gRPC TLS set-up")?;
        }
        // The key guards the musicagg service only: health and reflection stay open.
        let guard = crate::auth::grpc::RequireKey::new(self.api_key.clone());
        server
            .add_service(health_service)
            .add_service(reflection)
            .add_service(MusicAggregatorServiceServer::with_interceptor(api, guard))
            .serve_with_incoming_shutdown(TcpListenerStream::new(self.listener), stop)
            .await
            .context("gRPC server")?;
        if let Some(mut web) = web {
            // Its streams ended with the stop token; a response stuck on a
            // client that went silent (a phone off Wi-Fi) must not hold the
            // process until TCP gives up.
            match tokio::time::timeout(WEB_SHUTDOWN_GRACE, &mut web).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "web server"),
                Ok(Err(e)) => tracing::warn!(error = %e, "web server task"),
                Err(_) => {
                    tracing::warn!(
                        grace = ?WEB_SHUTDOWN_GRACE,
                        "web connections still open at shutdown: closed"
                    );
                    web.abort();
                }
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Opens the configured database (creating the default SQLite file's folder)
/// and applies its migrations.
async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    if config.uses_default_database() {
        let dir = config.data_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
    }
    let url = config.database_url();
    crate::store::connect(&url)
        .await
        .with_context(|| format!("opening the database {}", redact_url(&url)))
}

/// The real adapters, as configured; honest stand-ins for what is not built
/// yet (see [`Providers::stand_ins`]).
pub fn providers_from_config(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Providers> {
    let metrics = crate::metrics::Metrics::new();
    let client = MusicBrainzClient::new(&config.musicbrainz)
        .context("MusicBrainz client")?
        .with_metrics(&metrics);
    let mut providers = Providers {
        metadata: Arc::new(PersistingMetadata::new(
            client,
            store,
            config.musicbrainz.cache_ttl.duration(),
        )),
        selector: Arc::new(RankingSelector::from_config(config).context("[release]")?),
        resolver: Arc::new(
            LinkResolver::new(std::time::Duration::from_secs(60)).context("download links")?,
        ),
        metrics: metrics.clone(),
        ..Providers::stand_ins()
    };
    if !config.indexers.is_empty() {
        providers.indexers = Arc::new(
            TorznabIndexers::from_config(&config.indexers)
                .context("indexers")?
                .with_metrics(&metrics),
        );
    }
    match (
        config.torrent_client_kind()?,
        &config.qbittorrent,
        &config.transmission,
    ) {
        (Some(TorrentClientKind::Qbittorrent), Some(qbittorrent), _) => {
            providers.torrent_client =
                Arc::new(Qbittorrent::new(qbittorrent).context("qbittorrent")?);
        }
        (Some(TorrentClientKind::Transmission), _, Some(transmission)) => {
            providers.torrent_client =
                Arc::new(Transmission::new(transmission).context("transmission")?);
        }
        // No client, or one the validation already refused.
        _ => {}
    }
    Ok(providers)
}

/// The database URL without its password (in the userinfo, or as a
/// `password=` parameter), for messages and logs.
pub fn redact_url(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{}", crate::redact::key_params(query))),
        None => (url, String::new()),
    };
    let base = redact_userinfo(url);
    format!("{base}{query}")
}

fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:{}{}",
                    &url[..scheme_end + 3],
                    crate::redact::MASK,
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://me:secret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(super::redact_url("sqlite:///a/b.db"), "sqlite:///a/b.db");
        assert_eq!(
            super::redact_url("postgres://me@db/x"),
            "postgres://me@db/x"
        );
        assert_eq!(
            super::redact_url("postgres://db/x?user=me&password=secret&sslmode=off"),
            "postgres://db/x?user=me&password=***&sslmode=off"
        );
    }
}
