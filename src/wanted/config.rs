//! `[wanted]`: how the wanted list is kept (RSS sync, scheduled searches,
//! replaced files).

use serde::Deserialize;

use crate::config::Seconds;

/// `[wanted]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WantedConfig {
    /// Between two RSS syncs (one request per indexer each).
    #[serde(default = "default_rss_interval")]
    pub rss_interval: Seconds,
    /// Scheduled searches across the whole list, spread evenly over the
    /// hour; 0 turns them off (RSS still runs).
    #[serde(default = "default_searches_per_hour")]
    pub searches_per_hour: u32,
    /// Days the files an upgrade replaced stay in `.musicagg-replaced`.
    #[serde(default = "default_keep_replaced_days")]
    pub keep_replaced_days: u64,
}

impl Default for WantedConfig {
    fn default() -> Self {
        Self {
            rss_interval: default_rss_interval(),
            searches_per_hour: default_searches_per_hour(),
            keep_replaced_days: default_keep_replaced_days(),
        }
    }
}

fn default_rss_interval() -> Seconds {
    Seconds(15 * 60)
}

fn default_searches_per_hour() -> u32 {
    30
}

fn default_keep_replaced_days() -> u64 {
    7
}
