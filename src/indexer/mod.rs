//! Searching the user's torrent indexers (the diagram's `IndexerService`).
//!
//! The workflow sees one [`IndexerService`] that searches every configured
//! indexer and reports, per indexer, what happened. [`TorznabIndexers`] is
//! the real one (Jackett, Prowlarr, any Torznab server); [`NoIndexers`] stands
//! in when none is configured.
//!
//! Modules, one concern each: [`feed`] parses search results, [`caps`] the
//! capabilities, [`query`] decides what to send, [`client`] talks to one
//! indexer, [`backoff`] rests failing ones, [`merge`] de-duplicates, and
//! [`service`] runs them all in parallel.

pub mod backoff;
pub mod caps;
pub mod client;
pub mod feed;
pub mod gate;
pub mod merge;
pub mod query;
pub mod service;
mod text;
pub mod values;
pub mod xml;

#[cfg(test)]
mod fuzz;

pub use backoff::{BackingOff, BackoffPolicy, Clock, ManualClock, SystemClock};
pub use caps::{Caps, parse_caps};
pub use client::{ClientError, SetupError, TorznabClient};
pub use feed::{Feed, parse_feed};
pub use service::{IndexerCheck, ServiceOptions, TorznabIndexers};
pub use xml::{DocumentError, MAX_BODY_BYTES, TorznabError};

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::metadata::Album;

/// One release found by an indexer, normalised across Jackett, Prowlarr and
/// other Torznab servers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub indexer: String,
    pub title: String,
    /// Opaque de-duplication key from the feed; never fetched.
    pub guid: String,
    /// A .torrent URL or a proxied download link (may redirect to a magnet).
    pub download_url: Option<String>,
    pub magnet_uri: Option<String>,
    /// Lower-case hex v1 info hash, when the feed gave one.
    pub info_hash: Option<String>,
    pub size_bytes: Option<u64>,
    /// None when the feed did not say (not the same as 0).
    pub seeders: Option<u32>,
    pub leechers: Option<u32>,
    pub grabs: Option<u32>,
    pub categories: Vec<u32>,
    pub published_at: Option<DateTime<Utc>>,
    /// 0 = freeleech, 1 = normal.
    pub download_volume_factor: Option<f64>,
    pub info_url: Option<String>,
    /// The priority of the indexer that found it (lower wins), for ranking.
    #[serde(default)]
    pub indexer_priority: Option<i32>,
    /// That indexer's `minimum_seeders`: the selector rejects releases below it.
    #[serde(default)]
    pub minimum_seeders: Option<u32>,
}

/// How one indexer's search went.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexerOutcome {
    pub indexer: String,
    pub latency: Duration,
    /// The number of results, or why there are none.
    pub result: Result<usize, String>,
}

/// Everything one search produced: the merged releases and each indexer's
/// outcome (shown to the user in the step events).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchReport {
    pub releases: Vec<Release>,
    pub indexers: Vec<IndexerOutcome>,
}

impl SearchReport {
    /// One line per indexer, e.g. "jackett: 12 results in 0.4 s; prowlarr: timed out after 20.0 s".
    pub fn summary(&self) -> String {
        if self.indexers.is_empty() {
            return "no indexers configured".into();
        }
        self.indexers
            .iter()
            .map(|o| match &o.result {
                Ok(n) => format!(
                    "{}: {n} result{} in {:.1} s",
                    o.indexer,
                    if *n == 1 { "" } else { "s" },
                    o.latency.as_secs_f64()
                ),
                Err(e) => format!("{}: {e}", o.indexer),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// The search could not run at all (every indexer failing is not this:
    /// that is a report with errors in it).
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait]
pub trait IndexerService: Send + Sync + 'static {
    async fn search(&self, album: &Album) -> Result<SearchReport, IndexerError>;

    /// Each indexer's newest audio releases (its categories, no query): the
    /// RSS sync's one request per indexer. Not merged: the sync matches
    /// every item, whichever indexer it came from.
    async fn latest(&self) -> SearchReport {
        SearchReport::default()
    }
}

/// The stand-in until indexers are configured: finds nothing and says why.
#[derive(Debug, Default)]
pub struct NoIndexers;

#[async_trait]
impl IndexerService for NoIndexers {
    async fn search(&self, _album: &Album) -> Result<SearchReport, IndexerError> {
        Ok(SearchReport::default())
    }
}
