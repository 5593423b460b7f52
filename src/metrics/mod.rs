//! Prometheus metrics: what the service does, counted where it happens and
//! served as text at `/metrics` on the web listener (`http_listen`).
//!
//! # One registry per [`App`](crate::App), passed as a handle
//!
//! [`Metrics`] is a cheap-to-clone handle on one `prometheus-client`
//! registry and its metric families. It travels in
//! [`Providers`](crate::workflow::Providers) — the bundle every part of the
//! service already holds — so the workflow, the download tracker, the API
//! and the adapters built by `providers_from_config` (MusicBrainz, Torznab)
//! report to the same registry without a second path for it. A
//! process-wide registry would be shorter to reach, but tests run several
//! apps in one process (`cargo test`), and each must serve only its own
//! numbers; a handle also keeps a counter's owner visible in the types.
//!
//! Labels carry only bounded values: statuses, modes, states, outcomes,
//! operation names, and names from the configuration (indexers, the torrent
//! client). Never an album or release title, a URL, or a secret.
//!
//! Modules: `run` (a run's step clock), `stream` (the open-stream guard),
//! `torrent` (the metered torrent client), `scrape` (the `/metrics` route and
//! the numbers read from the store when scraped).

mod run;
mod scrape;
mod stream;
mod torrent;

pub use run::RunMeter;
pub use scrape::routes;
pub use stream::OpenStream;
pub use torrent::MeteredTorrentClient;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::import::ImportError;
use crate::model::{MonitorMode, WorkflowStatus};

/// Label sets (all bounded; see the module doc).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModeLabels {
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndLabels {
    status: &'static str,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IndexerLabels {
    indexer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IndexerOutcomeLabels {
    indexer: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClientCallLabels {
    client: String,
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Durations from 5 ms to about 6 h (a step may wait for a choice for days:
/// those land in `+Inf`).
fn seconds_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 4.0, 12))
}

/// Requests to remote services: 5 ms to about 80 s.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

/// The service's metrics; clones share one registry. See the module doc.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    runs_started: Family<ModeLabels, Counter>,
    runs_ended: Family<EndLabels, Counter>,
    step_duration: HistogramFamily<StepLabels>,
    events_stored: Family<KindLabels, Counter>,
    open_streams: Family<KindLabels, Gauge>,
    indexer_requests: Family<IndexerOutcomeLabels, Counter>,
    indexer_duration: HistogramFamily<IndexerLabels>,
    indexer_backoff_level: Family<IndexerLabels, Gauge>,
    indexer_backoff_until: Family<IndexerLabels, Gauge<f64, AtomicU64>>,
    musicbrainz_requests: Family<OutcomeLabels, Counter>,
    musicbrainz_wait: Histogram,
    client_calls: Family<ClientCallLabels, Counter>,
    import_duration: HistogramFamily<OutcomeLabels>,
    downloads: Family<StateLabels, Gauge>,
    library_files: Gauge,
    library_albums: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every family registered (empty families are
    /// listed without samples until something happens).
    pub fn new() -> Self {
        // The families first (the registry holds clones of them), then the
        // registry moved into place.
        let mut registry = Registry::with_prefix("musicagg");
        let inner = Inner {
            runs_started: Family::default(),
            runs_ended: Family::default(),
            step_duration: Family::new_with_constructor(seconds_buckets),
            events_stored: Family::default(),
            open_streams: Family::default(),
            indexer_requests: Family::default(),
            indexer_duration: Family::new_with_constructor(request_buckets),
            indexer_backoff_level: Family::default(),
            indexer_backoff_until: Family::default(),
            musicbrainz_requests: Family::default(),
            musicbrainz_wait: Histogram::new(exponential_buckets(0.001, 4.0, 10)),
            client_calls: Family::default(),
            import_duration: Family::new_with_constructor(seconds_buckets),
            downloads: Family::default(),
            library_files: Gauge::default(),
            library_albums: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        let i = &inner;
        r.register(
            "runs_started",
            "Runs started, by mode",
            i.runs_started.clone(),
        );
        r.register(
            "runs_ended",
            "Runs ended, by terminal status and mode",
            i.runs_ended.clone(),
        );
        r.register_with_unit(
            "run_step_duration",
            "Time runs spent in each workflow status (step)",
            Unit::Seconds,
            i.step_duration.clone(),
        );
        r.register(
            "events_stored",
            "Events stored: kind=run (workflow events) or download",
            i.events_stored.clone(),
        );
        r.register(
            "open_streams",
            "Open event streams, by kind (monitor_album, watch_downloads, web pages)",
            i.open_streams.clone(),
        );
        r.register(
            "indexer_requests",
            "Indexer searches by configured indexer name and outcome (ok, error, backing_off)",
            i.indexer_requests.clone(),
        );
        r.register_with_unit(
            "indexer_request_duration",
            "Indexer search latency by configured indexer name",
            Unit::Seconds,
            i.indexer_duration.clone(),
        );
        r.register(
            "indexer_backoff_level",
            "Consecutive-failure level of each indexer's back-off (0 = healthy)",
            i.indexer_backoff_level.clone(),
        );
        r.register(
            "indexer_backoff_until_timestamp_seconds",
            "Unix time until which an indexer is rested (0 = not resting)",
            i.indexer_backoff_until.clone(),
        );
        r.register(
            "musicbrainz_requests",
            "MusicBrainz HTTP requests (retries included) by outcome",
            i.musicbrainz_requests.clone(),
        );
        r.register_with_unit(
            "musicbrainz_rate_limit_wait",
            "Time a MusicBrainz request waited for the rate limiter",
            Unit::Seconds,
            i.musicbrainz_wait.clone(),
        );
        r.register(
            "torrent_client_calls",
            "Torrent client calls by client, operation and outcome",
            i.client_calls.clone(),
        );
        r.register_with_unit(
            "import_duration",
            "Time one import took, by outcome",
            Unit::Seconds,
            i.import_duration.clone(),
        );
        r.register(
            "downloads",
            "Downloads by state (read from the store when scraped)",
            i.downloads.clone(),
        );
        r.register(
            "library_files",
            "Audio files in the library index (read when scraped)",
            i.library_files.clone(),
        );
        r.register(
            "library_albums",
            "Album folders in the library index (read when scraped)",
            i.library_albums.clone(),
        );
        // Series known in advance start at 0, so that rates work from the
        // first scrape.
        for mode in MonitorMode::ALL {
            i.runs_started.get_or_create_owned(&ModeLabels {
                mode: mode.as_str(),
            });
        }
        for kind in ["run", "download"] {
            i.events_stored.get_or_create_owned(&KindLabels { kind });
        }
        for kind in [
            "monitor_album",
            "watch_downloads",
            "web_run",
            "web_downloads",
        ] {
            i.open_streams.get_or_create_owned(&KindLabels { kind });
        }
        let inner = Inner { registry, ..inner };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The OpenMetrics text of every metric, encoded by the crate.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)?;
        Ok(text)
    }

    /// A run started (or was resumed at start-up): its meter times each step.
    pub fn run_started(&self, mode: MonitorMode, first: Option<WorkflowStatus>) -> RunMeter {
        self.inner
            .runs_started
            .get_or_create(&ModeLabels {
                mode: mode.as_str(),
            })
            .inc();
        RunMeter::new(self.clone(), mode, first)
    }

    /// A run ended outside its workflow (start-up recovery, a cancel of a
    /// run nobody supervises, an orphan): its terminal event was stored.
    pub fn run_ended_elsewhere(&self, status: WorkflowStatus, mode: MonitorMode) {
        self.run_event_stored();
        self.count_end(status, mode);
    }

    fn count_end(&self, status: WorkflowStatus, mode: MonitorMode) {
        self.inner
            .runs_ended
            .get_or_create(&EndLabels {
                status: status.as_str(),
                mode: mode.as_str(),
            })
            .inc();
    }

    fn observe_step(&self, step: WorkflowStatus, took: Duration) {
        self.inner
            .step_duration
            .get_or_create(&StepLabels {
                step: step.as_str(),
            })
            .observe(took.as_secs_f64());
    }

    /// A workflow event was stored.
    pub fn run_event_stored(&self) {
        self.events(&KindLabels { kind: "run" }).inc();
    }

    /// A download event was stored.
    pub fn download_event_stored(&self) {
        self.events(&KindLabels { kind: "download" }).inc();
    }

    fn events(&self, labels: &KindLabels) -> Counter {
        self.inner.events_stored.get_or_create_owned(labels)
    }

    /// Counts an open stream of `kind` until the guard is dropped; hold it
    /// in the task that serves the stream. Kinds used: `monitor_album`,
    /// `watch_downloads`; the web page's streams name their own.
    pub fn open_stream(&self, kind: &'static str) -> OpenStream {
        OpenStream::new(
            self.inner
                .open_streams
                .get_or_create_owned(&KindLabels { kind }),
        )
    }

    /// One indexer search (`outcome`: `ok`, `error`, `backing_off`); the
    /// latency is observed except for a search skipped while backing off.
    pub fn indexer_request(&self, indexer: &str, outcome: &'static str, latency: Duration) {
        self.inner
            .indexer_requests
            .get_or_create(&IndexerOutcomeLabels {
                indexer: indexer.to_owned(),
                outcome,
            })
            .inc();
        if outcome != "backing_off" {
            self.inner
                .indexer_duration
                .get_or_create(&IndexerLabels {
                    indexer: indexer.to_owned(),
                })
                .observe(latency.as_secs_f64());
        }
    }

    /// An indexer's back-off state after a search: its level and the end of
    /// its resting window (None: not resting).
    pub fn indexer_backoff(&self, indexer: &str, level: usize, until: Option<f64>) {
        let labels = IndexerLabels {
            indexer: indexer.to_owned(),
        };
        self.inner
            .indexer_backoff_level
            .get_or_create(&labels)
            .set(i64::try_from(level).unwrap_or(i64::MAX));
        self.inner
            .indexer_backoff_until
            .get_or_create(&labels)
            .set(until.unwrap_or(0.0));
    }

    /// One MusicBrainz request attempt and how it went.
    pub fn musicbrainz_request(&self, outcome: &'static str) {
        self.inner
            .musicbrainz_requests
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// How long a MusicBrainz request waited for the shared rate limiter.
    pub fn musicbrainz_waited(&self, waited: Duration) {
        self.inner.musicbrainz_wait.observe(waited.as_secs_f64());
    }

    fn client_call(&self, client: &str, operation: &'static str, outcome: &'static str) {
        self.inner
            .client_calls
            .get_or_create(&ClientCallLabels {
                client: client.to_owned(),
                operation,
                outcome,
            })
            .inc();
    }

    /// One import ended: `outcome` imported, refused, not_visible or io.
    pub fn import_finished<T>(&self, result: &Result<T, ImportError>, took: Duration) {
        let outcome = match result {
            Ok(_) => "imported",
            Err(ImportError::Refused(_)) => "refused",
            Err(ImportError::NotVisible(_)) => "not_visible",
            Err(ImportError::Io(_)) => "io",
        };
        self.inner
            .import_duration
            .get_or_create(&OutcomeLabels { outcome })
            .observe(took.as_secs_f64());
    }
}
