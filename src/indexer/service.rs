//! [`TorznabIndexers`]: the [`IndexerService`] over every configured Torznab
//! indexer.
//!
//! A search asks all enabled indexers at once, each under its own timeout, so
//! the slowest or broken one costs at most its timeout and never the others'
//! results. Each indexer's outcome — its result count, or the error in plain
//! words, or that it was skipped while backing off — goes into the
//! [`SearchReport`] the workflow shows the user.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::future::join_all;

use super::backoff::{BackingOff, Backoff, BackoffPolicy, Clock, SystemClock};
use super::caps::Caps;
use super::client::{AlbumSearch, ClientError, ClientOptions, SetupError, TorznabClient};
use super::merge::merge;
use super::query::SearchRequest;
use super::{IndexerError, IndexerOutcome, IndexerService, Release, SearchReport};
use crate::config::IndexerConfig;
use crate::metadata::Album;
use crate::metrics::Metrics;

/// Settings for the whole service; [`Default`] is what `serve` uses.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub backoff: BackoffPolicy,
    pub clock: Arc<dyn Clock>,
    /// How long fetched caps are trusted.
    pub caps_ttl: Duration,
    pub user_agent: String,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            backoff: BackoffPolicy::default(),
            clock: Arc::new(SystemClock),
            caps_ttl: Duration::from_secs(24 * 3600),
            user_agent: crate::http::default_user_agent(None),
        }
    }
}

#[derive(Debug)]
struct Indexer {
    client: TorznabClient,
    enabled: bool,
    priority: i32,
    minimum_seeders: u32,
    timeout: Duration,
    backoff: Mutex<Backoff>,
}

impl Indexer {
    fn backoff(&self) -> std::sync::MutexGuard<'_, Backoff> {
        // The state stays consistent even if a holder panicked: every update
        // is a single assignment.
        self.backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Every configured Torznab indexer, searched together.
#[derive(Debug)]
pub struct TorznabIndexers {
    indexers: Vec<Indexer>,
    policy: BackoffPolicy,
    clock: Arc<dyn Clock>,
    /// Requests by indexer and outcome, and back-off state, when metered.
    metrics: Option<Metrics>,
}

impl TorznabIndexers {
    /// Builds the clients for `[[indexers]]`, with default options.
    pub fn from_config(configs: &[IndexerConfig]) -> Result<Self, SetupError> {
        Self::with_options(configs, ServiceOptions::default())
    }

    /// Builds the clients with explicit options (tests use a manual clock and
    /// short back-off windows).
    pub fn with_options(
        configs: &[IndexerConfig],
        options: ServiceOptions,
    ) -> Result<Self, SetupError> {
        let client_options = ClientOptions {
            user_agent: options.user_agent.clone(),
            caps_ttl: options.caps_ttl,
            clock: options.clock.clone(),
        };
        let mut indexers: Vec<Indexer> = Vec::with_capacity(configs.len());
        for config in configs {
            if config.name.trim().is_empty() {
                return Err(SetupError::EmptyName);
            }
            if indexers
                .iter()
                .any(|i| i.client.name().eq_ignore_ascii_case(&config.name))
            {
                return Err(SetupError::DuplicateName(config.name.clone()));
            }
            indexers.push(Indexer {
                client: TorznabClient::new(config, &client_options)?,
                enabled: config.enabled,
                priority: config.priority,
                minimum_seeders: config.minimum_seeders,
                timeout: Duration::from_secs(config.timeout),
                backoff: Mutex::new(Backoff::default()),
            });
        }
        Ok(Self {
            indexers,
            policy: options.backoff,
            clock: options.clock,
            metrics: None,
        })
    }

    /// Reports every request and each indexer's back-off state to
    /// `metrics` (labelled by the configured name, never the URL).
    pub fn with_metrics(mut self, metrics: &Metrics) -> Self {
        for indexer in &self.indexers {
            metrics.indexer_backoff(indexer.client.name(), 0, None);
        }
        self.metrics = Some(metrics.clone());
        self
    }

    /// Counts one request (`ok`, `error`, `backing_off`) and the back-off
    /// state it left.
    fn meter(&self, indexer: &Indexer, outcome: &'static str, latency: Duration) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        let name = indexer.client.name();
        metrics.indexer_request(name, outcome, latency);
        let backoff = indexer.backoff();
        let until = backoff
            .check(self.clock.now())
            .map(|b| b.until.timestamp_millis() as f64 / 1000.0);
        metrics.indexer_backoff(name, backoff.level(), until);
    }

    /// The configured indexers' names, enabled or not, in configuration order.
    pub fn names(&self) -> Vec<&str> {
        self.indexers.iter().map(|i| i.client.name()).collect()
    }

    /// Searches every enabled indexer for `artist` `album` (the raw search
    /// behind `musicagg indexers search`).
    pub async fn search_terms(&self, artist: &str, album: &str) -> SearchReport {
        self.search_all(artist, album, None).await
    }

    /// Searches for an album, using its year where it helps (self-titled
    /// albums on indexers that take `year`).
    pub async fn search_album(&self, album: &Album) -> SearchReport {
        let year = album
            .first_release_date
            .get(..4)
            .and_then(|y| y.parse().ok());
        self.search_all(&album.artist, &album.title, year).await
    }

    async fn search_all(&self, artist: &str, album: &str, year: Option<i32>) -> SearchReport {
        let searches = self
            .indexers
            .iter()
            .filter(|indexer| indexer.enabled)
            .map(|indexer| self.search_one(indexer, artist, album, year));
        let results = join_all(searches).await;
        let mut outcomes = Vec::with_capacity(results.len());
        let mut lists = Vec::with_capacity(results.len());
        for (outcome, priority, releases) in results {
            outcomes.push(outcome);
            lists.push((priority, releases));
        }
        SearchReport {
            releases: merge(lists),
            indexers: outcomes,
        }
    }

    async fn search_one(
        &self,
        indexer: &Indexer,
        artist: &str,
        album: &str,
        year: Option<i32>,
    ) -> (IndexerOutcome, i32, Vec<Release>) {
        let name = indexer.client.name().to_owned();
        let skipped = indexer.backoff().check(self.clock.now());
        if let Some(skip) = skipped {
            tracing::info!(indexer = %name, until = %skip.until, "indexer skipped: backing off");
            self.meter(indexer, "backing_off", Duration::ZERO);
            let outcome = IndexerOutcome {
                indexer: name,
                latency: Duration::ZERO,
                result: Err(skip.to_string()),
            };
            return (outcome, indexer.priority, Vec::new());
        }
        let started = Instant::now();
        // Each request is bounded by the indexer's timeout (the HTTP
        // client's); the wait for the indexer's request slot (its gate) is
        // not: a search queued behind others is not a slow indexer, and
        // must not be counted as one nor bench it.
        let result = indexer.client.search_album(artist, album, year).await;
        let latency = started.elapsed();
        match result {
            Ok(AlbumSearch {
                mut releases,
                requests,
                skipped,
            }) => {
                indexer.backoff().succeeded();
                self.meter(indexer, "ok", latency);
                for release in &mut releases {
                    release.indexer_priority = Some(indexer.priority);
                    release.minimum_seeders = Some(indexer.minimum_seeders);
                }
                tracing::info!(
                    indexer = %name,
                    results = releases.len(),
                    skipped_items = skipped,
                    latency_ms = latency.as_millis() as u64,
                    requests = ?requests,
                    "indexer searched"
                );
                let outcome = IndexerOutcome {
                    indexer: name,
                    latency,
                    result: Ok(releases.len()),
                };
                (outcome, indexer.priority, releases)
            }
            Err(error) => {
                // Bodies can echo the request URL back: redact once more.
                let message = indexer.client.redact(&error.to_string());
                indexer.backoff().failed(
                    &self.policy,
                    self.clock.now(),
                    error.retry_after(),
                    message.clone(),
                );
                self.meter(indexer, "error", latency);
                tracing::warn!(indexer = %name, latency_ms = latency.as_millis() as u64, error = %message, "indexer search failed");
                let outcome = IndexerOutcome {
                    indexer: name,
                    latency,
                    result: Err(message),
                };
                (outcome, indexer.priority, Vec::new())
            }
        }
    }

    /// The newest releases of one indexer (the RSS sync), under its timeout
    /// and back-off like a search.
    async fn latest_one(&self, indexer: &Indexer) -> (IndexerOutcome, Vec<Release>) {
        let name = indexer.client.name().to_owned();
        // (the guard is released before `meter` takes it again)
        let skipped = indexer.backoff().check(self.clock.now());
        if let Some(skip) = skipped {
            self.meter(indexer, "backing_off", Duration::ZERO);
            let outcome = IndexerOutcome {
                indexer: name,
                latency: Duration::ZERO,
                result: Err(skip.to_string()),
            };
            return (outcome, Vec::new());
        }
        let started = Instant::now();
        // bounded per request, gate wait excluded (see `search_one`)
        let result = indexer.client.search(&SearchRequest::latest(), None).await;
        let latency = started.elapsed();
        match result {
            Ok(feed) => {
                indexer.backoff().succeeded();
                self.meter(indexer, "ok", latency);
                let mut releases = feed.releases;
                for release in &mut releases {
                    release.indexer_priority = Some(indexer.priority);
                    release.minimum_seeders = Some(indexer.minimum_seeders);
                }
                let outcome = IndexerOutcome {
                    indexer: name,
                    latency,
                    result: Ok(releases.len()),
                };
                (outcome, releases)
            }
            Err(error) => {
                let message = indexer.client.redact(&error.to_string());
                indexer.backoff().failed(
                    &self.policy,
                    self.clock.now(),
                    error.retry_after(),
                    message.clone(),
                );
                self.meter(indexer, "error", latency);
                tracing::warn!(indexer = %name, error = %message, "RSS request failed");
                let outcome = IndexerOutcome {
                    indexer: name,
                    latency,
                    result: Err(message),
                };
                (outcome, Vec::new())
            }
        }
    }

    /// Checks every indexer (`musicagg indexers test`): fresh caps, then a
    /// query for the latest releases in its categories, each under the
    /// indexer's timeout. Ignores and leaves alone the back-off state (it is
    /// shown, not obeyed: the user asked).
    pub async fn test_all(&self) -> Vec<IndexerCheck> {
        join_all(self.indexers.iter().map(|indexer| self.test_one(indexer))).await
    }

    async fn test_one(&self, indexer: &Indexer) -> IndexerCheck {
        let mut check = IndexerCheck {
            name: indexer.client.name().to_owned(),
            url: indexer.client.display_url(),
            enabled: indexer.enabled,
            caps: None,
            query: None,
            latency: Duration::ZERO,
            backing_off: indexer.backoff().check(self.clock.now()),
        };
        if !indexer.enabled {
            return check;
        }
        let started = Instant::now();
        let client = &indexer.client;
        let run = async {
            client.forget_caps().await;
            let caps = client.caps().await;
            let max = caps.as_ref().ok().and_then(|c| c.max_results);
            let query = match &caps {
                Ok(_) => Some(client.search(&SearchRequest::latest(), max).await),
                Err(_) => None,
            };
            (caps, query)
        };
        match tokio::time::timeout(indexer.timeout, run).await {
            Ok((caps, query)) => {
                let say = |e: ClientError| client.redact(&e.to_string());
                check.caps = Some(caps.map_err(say));
                check.query = query.map(|q| q.map(|feed| feed.releases.len()).map_err(say));
            }
            Err(_) => {
                check.caps = Some(Err(ClientError::Timeout(indexer.timeout).to_string()));
            }
        }
        check.latency = started.elapsed();
        check
    }
}

#[async_trait]
impl IndexerService for TorznabIndexers {
    async fn search(&self, album: &Album) -> Result<SearchReport, IndexerError> {
        if album.artist.trim().is_empty() && album.title.trim().is_empty() {
            // A term-less Torznab query returns the latest uploads, which
            // would look like results; refuse instead.
            return Err(IndexerError::Unavailable(
                "nothing to search for: the album's artist and title are unknown".into(),
            ));
        }
        Ok(self.search_album(album).await)
    }

    async fn latest(&self) -> SearchReport {
        let requests = self
            .indexers
            .iter()
            .filter(|indexer| indexer.enabled)
            .map(|indexer| self.latest_one(indexer));
        let mut report = SearchReport::default();
        for (outcome, releases) in join_all(requests).await {
            report.indexers.push(outcome);
            report.releases.extend(releases);
        }
        report
    }
}

/// One indexer's health, as `musicagg indexers test` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexerCheck {
    pub name: String,
    /// The endpoint with any key blanked.
    pub url: String,
    pub enabled: bool,
    /// `None` when not tried (disabled).
    pub caps: Option<Result<Caps, String>>,
    /// The latest-releases query's result count; `None` when not tried
    /// (disabled, or the caps failed).
    pub query: Option<Result<usize, String>>,
    pub latency: Duration,
    /// Whether searches currently skip this indexer.
    pub backing_off: Option<BackingOff>,
}

impl IndexerCheck {
    /// True when the indexer is enabled and both steps worked.
    pub fn passed(&self) -> bool {
        self.enabled && matches!(self.caps, Some(Ok(_))) && matches!(self.query, Some(Ok(_)))
    }
}

impl fmt::Display for IndexerCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.name)?;
        if !self.enabled {
            return write!(f, "disabled");
        }
        match &self.caps {
            Some(Ok(caps)) => write!(f, "caps ok ({})", caps.describe())?,
            Some(Err(error)) => write!(f, "caps failed: {error}")?,
            None => write!(f, "caps not fetched")?,
        }
        match &self.query {
            Some(Ok(n)) => write!(
                f,
                "; test query: {n} result{}",
                if *n == 1 { "" } else { "s" }
            )?,
            Some(Err(error)) => write!(f, "; test query failed: {error}")?,
            None => {}
        }
        write!(f, " in {:.1} s", self.latency.as_secs_f64())?;
        if let Some(backing_off) = &self.backing_off {
            write!(f, " (searches {backing_off})")?;
        }
        Ok(())
    }
}
