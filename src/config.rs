//! Configuration: a TOML file plus `MUSICAGG_*` environment overrides.
//!
//! The file is `--config PATH`, else `$MUSICAGG_CONFIG`, else `./musicagg.toml`
//! when present, else none (every key has a default). Environment variables
//! override the file: `MUSICAGG_LISTEN=0.0.0.0:50051`, and `__` for nesting:
//! `MUSICAGG_QBITTORRENT__URL=http://127.0.0.1:8080`.
//!
//! Unknown keys are errors (a typo must not be silently ignored), and every
//! error names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;

mod clients;
mod values;

pub use clients::{TorrentClientKind, TransmissionConfig};
pub use values::Seconds;
use values::{optional_addr, secret};

/// The top-level keys; only these are read from `MUSICAGG_*` variables, so
/// unrelated variables with our prefix (`MUSICAGG_CONFIG`, test settings) are
/// not mistaken for configuration.
const TOP_LEVEL_KEYS: &[&str] = &[
    "listen",
    "http_listen",
    "metrics",
    "database_url",
    "data_dir",
    "log_format",
    "event_bus_capacity",
    "musicbrainz",
    "indexers",
    "qbittorrent",
    "transmission",
    "torrent_client",
    "release",
    "library",
    "downloads",
    "manual",
    "wanted",
    "api_key",
    "allow_unauthenticated",
    "tls",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// gRPC listen address.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the web page (and its data) is served; `""` turns it off.
    #[serde(default = "default_http_listen", deserialize_with = "optional_addr")]
    pub http_listen: Option<SocketAddr>,
    /// Prometheus metrics at `/metrics` on `http_listen`; `false` turns
    /// the route off.
    #[serde(default = "default_true")]
    pub metrics: bool,
    /// `postgres://…` or `sqlite:…`; default: SQLite file `musicagg.db` in
    /// `data_dir`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// Where musicagg keeps its files; default `$XDG_DATA_HOME/musicagg`
    /// (`~/.local/share/musicagg`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub log_format: LogFormat,
    /// Events buffered per watched run before a slow subscriber falls back to
    /// reading the database.
    #[serde(default = "default_bus_capacity")]
    pub event_bus_capacity: usize,
    #[serde(default)]
    pub musicbrainz: MusicBrainzConfig,
    #[serde(default)]
    pub indexers: Vec<IndexerConfig>,
    #[serde(default)]
    pub qbittorrent: Option<QbittorrentConfig>,
    #[serde(default)]
    pub transmission: Option<TransmissionConfig>,
    /// Which client grabs when both are configured.
    #[serde(default)]
    pub torrent_client: Option<TorrentClientKind>,
    #[serde(default)]
    pub release: ReleaseConfig,
    #[serde(default)]
    pub library: LibraryConfig,
    #[serde(default)]
    pub downloads: DownloadsConfig,
    #[serde(default)]
    pub manual: ManualConfig,
    #[serde(default)]
    pub wanted: crate::wanted::WantedConfig,
    /// The key every gRPC call (but health and reflection) and the web page
    /// need; none: open to whoever reaches the ports (see `auth`).
    #[serde(default, deserialize_with = "secret")]
    pub api_key: Option<SecretString>,
    /// Serve on a non-loopback address without `api_key` (refused otherwise).
    #[serde(default)]
    pub allow_unauthenticated: bool,
    /// `[tls] cert, key`: both listeners over TLS.
    #[serde(default)]
    pub tls: Option<crate::auth::TlsConfig>,
}

/// `[manual]`: runs started in manual mode, which wait for a client's choice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualConfig {
    /// How long an offer waits for a choice before the run ends CANCELLED.
    /// Long by default: the choice may come days later, from any client.
    #[serde(default = "default_choice_timeout")]
    pub choice_timeout: Seconds,
}

impl Default for ManualConfig {
    fn default() -> Self {
        Self {
            choice_timeout: default_choice_timeout(),
        }
    }
}

/// The longest `[manual] choice_timeout`: a deadline must stay a date
/// (beyond it an offer would in effect never expire).
pub const MAX_CHOICE_TIMEOUT: Seconds = Seconds(365 * 86_400);

fn default_choice_timeout() -> Seconds {
    Seconds(86_400)
}

/// `[library]`: where albums are placed once downloaded.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryConfig {
    /// The music folder; without it downloads are tracked, not imported.
    #[serde(default)]
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub import_mode: ImportMode,
}

/// How files get from the download folder into the library.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// A second name for the same data: no space used, the client keeps
    /// seeding; falls back to a copy across filesystems.
    #[default]
    Hardlink,
    Copy,
    /// The torrent is removed from the client (files kept), then the files
    /// are moved: the client never seeds a file we changed.
    Move,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Hardlink => "hardlink",
            ImportMode::Copy => "copy",
            ImportMode::Move => "move",
        }
    }
}

/// `[downloads]`: following grabbed torrents until they are in the library.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadsConfig {
    /// How often the torrent client is asked (one request per poll).
    #[serde(default = "default_poll_interval")]
    pub poll_interval: Seconds,
    /// A download without any progress for this long fails.
    #[serde(default = "default_stalled_timeout")]
    pub stalled_timeout: Seconds,
    /// Remove a failed torrent and its data from the client.
    #[serde(default = "default_true")]
    pub remove_failed: bool,
    /// Start a new run of the album when its download fails.
    #[serde(default = "default_true")]
    pub retry_failed: bool,
    /// Failed downloads of one album in a row after which it is left alone.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// The client's paths as this machine sees them (longest prefix wins).
    #[serde(default)]
    pub path_mappings: Vec<PathMapping>,
}

impl Default for DownloadsConfig {
    fn default() -> Self {
        Self {
            poll_interval: default_poll_interval(),
            stalled_timeout: default_stalled_timeout(),
            remove_failed: true,
            retry_failed: true,
            max_retries: default_max_retries(),
            path_mappings: Vec::new(),
        }
    }
}

/// `[[downloads.path_mappings]]`: `remote` as the torrent client writes it,
/// `local` as this machine reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathMapping {
    pub remote: String,
    pub local: PathBuf,
}

fn default_poll_interval() -> Seconds {
    Seconds(5)
}

fn default_stalled_timeout() -> Seconds {
    Seconds(1800)
}

fn default_max_retries() -> u32 {
    3
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[musicbrainz]`: the metadata source — the public MusicBrainz web service
/// or any mirror speaking ws/2 (`base_url`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MusicBrainzConfig {
    #[serde(default = "default_musicbrainz_url")]
    pub base_url: String,
    /// Sent on every request; default `musicagg/<version> ( <contact> )`.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// A URL or e-mail address MusicBrainz can reach you at.
    #[serde(default)]
    pub contact: Option<String>,
    /// Shared by every workflow of the process (MusicBrainz allows 1/s).
    #[serde(default = "default_requests_per_second")]
    pub requests_per_second: f64,
    /// A stored album younger than this is used without asking MusicBrainz:
    /// seconds, or a number with a unit (`"7d"`, `"12h"`, `"30m"`).
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: Seconds,
    /// Seconds one request may take.
    #[serde(default = "default_musicbrainz_timeout")]
    pub timeout: u64,
    /// Attempts per request on 503/429/5xx/connection errors.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// First retry delay in milliseconds (doubled each attempt, with jitter).
    #[serde(default = "default_retry_base_ms")]
    pub retry_base_ms: u64,
}

impl Default for MusicBrainzConfig {
    fn default() -> Self {
        Self {
            base_url: default_musicbrainz_url(),
            user_agent: None,
            contact: None,
            requests_per_second: default_requests_per_second(),
            cache_ttl: default_cache_ttl(),
            timeout: default_musicbrainz_timeout(),
            max_attempts: default_max_attempts(),
            retry_base_ms: default_retry_base_ms(),
        }
    }
}

/// `[[indexers]]`: one Torznab endpoint each (used from the [indexers] issue on).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexerConfig {
    pub name: String,
    pub url: String,
    #[serde(default, deserialize_with = "secret")]
    pub api_key: Option<SecretString>,
    #[serde(default = "default_categories")]
    pub categories: Vec<u32>,
    #[serde(default = "default_priority")]
    pub priority: i32,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Seconds one search of this indexer may take before it is given up.
    #[serde(default = "default_indexer_timeout")]
    pub timeout: u64,
    /// Releases with fewer seeders are rejected.
    #[serde(default = "default_minimum_seeders")]
    pub minimum_seeders: u32,
    /// The least time between two requests to this indexer, whoever sends
    /// them (runs, RSS sync, the command line): indexers ban clients that
    /// ask too often.
    #[serde(default = "default_min_request_interval")]
    pub min_request_interval: Seconds,
}

fn default_min_request_interval() -> Seconds {
    Seconds(2)
}

/// `[qbittorrent]`: the torrent client (used from the [grab] issue on).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QbittorrentConfig {
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    pub password: Option<SecretString>,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(default)]
    pub save_path: Option<String>,
}

/// `[release]`: release decision rules (used from the [releases] issue on).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    #[serde(default)]
    pub required_terms: Vec<String>,
    #[serde(default)]
    pub ignored_terms: Vec<String>,
    #[serde(default)]
    pub allow_discographies: bool,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 50051))
}
fn default_http_listen() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 8686)))
}

fn default_bus_capacity() -> usize {
    crate::events::DEFAULT_CAPACITY
}
fn default_musicbrainz_url() -> String {
    "https://musicbrainz.org/ws/2/".into()
}
fn default_requests_per_second() -> f64 {
    1.0
}
fn default_cache_ttl() -> Seconds {
    Seconds(7 * 86_400)
}
fn default_musicbrainz_timeout() -> u64 {
    30
}
fn default_max_attempts() -> u32 {
    5
}
fn default_retry_base_ms() -> u64 {
    1000
}
fn default_categories() -> Vec<u32> {
    vec![3000, 3010, 3040]
}
fn default_priority() -> i32 {
    25
}
fn default_indexer_timeout() -> u64 {
    20
}
fn default_minimum_seeders() -> u32 {
    1
}
fn default_true() -> bool {
    true
}
fn default_category() -> String {
    "music".into()
}

/// A configuration that cannot be used; the message names the key or file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Default for Config {
    fn default() -> Self {
        // An empty figment always extracts: every key has a default.
        Figment::new()
            .extract()
            .unwrap_or_else(|e| unreachable!("defaults must deserialize: {e}"))
    }
}

impl Config {
    /// Loads the file (see the module doc for which) and the environment.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match explicit {
            Some(path) => Some(path.to_owned()),
            None => match std::env::var_os("MUSICAGG_CONFIG") {
                Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
                _ => Some(PathBuf::from("musicagg.toml")).filter(|p| p.exists()),
            },
        };
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(
            Env::prefixed("MUSICAGG_")
                .filter(|key| {
                    let top = key.as_str().split("__").next().unwrap_or_default();
                    TOP_LEVEL_KEYS
                        .iter()
                        .any(|known| top.eq_ignore_ascii_case(known))
                })
                .split("__"),
        );
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.validate_clients()?;
        if self.event_bus_capacity == 0 {
            return Err(ConfigError::Invalid(
                "event_bus_capacity must be at least 1".into(),
            ));
        }
        let rate = self.musicbrainz.requests_per_second;
        if rate.is_nan() || rate <= 0.0 {
            return Err(ConfigError::Invalid(
                "musicbrainz.requests_per_second must be greater than 0".into(),
            ));
        }
        if self.downloads.poll_interval.0 == 0 {
            return Err(ConfigError::Invalid(
                "downloads.poll_interval must be at least 1 second".into(),
            ));
        }
        if self.downloads.stalled_timeout.0 == 0 {
            return Err(ConfigError::Invalid(
                "downloads.stalled_timeout must be at least 1 second (0 would fail every \
                 download at its first look)"
                    .into(),
            ));
        }
        if self.manual.choice_timeout.0 == 0 {
            return Err(ConfigError::Invalid(
                "manual.choice_timeout must be at least 1 second".into(),
            ));
        }
        if self.manual.choice_timeout.0 > MAX_CHOICE_TIMEOUT.0 {
            return Err(ConfigError::Invalid(format!(
                "manual.choice_timeout must be at most 365 days ({} s); {} s was given",
                MAX_CHOICE_TIMEOUT.0, self.manual.choice_timeout.0
            )));
        }
        // bounded so that no clock arithmetic can overflow
        if !(1..=7 * 86_400).contains(&self.wanted.rss_interval.0) {
            return Err(ConfigError::Invalid(format!(
                "wanted.rss_interval must be between 1 second and 7 days; {} s was given",
                self.wanted.rss_interval.0
            )));
        }
        if self.wanted.keep_replaced_days > 36_500 {
            return Err(ConfigError::Invalid(
                "wanted.keep_replaced_days must be at most 36500".into(),
            ));
        }
        for indexer in &self.indexers {
            if indexer.min_request_interval.0 > 3_600 {
                return Err(ConfigError::Invalid(format!(
                    "indexer {:?}: min_request_interval must be at most 1 hour",
                    indexer.name
                )));
            }
        }
        for mapping in &self.downloads.path_mappings {
            if mapping.remote.trim().is_empty() || mapping.local.as_os_str().is_empty() {
                return Err(ConfigError::Invalid(
                    "downloads.path_mappings: remote and local must both be set".into(),
                ));
            }
        }
        if let Some(key) = &self.api_key {
            use secrecy::ExposeSecret;
            crate::auth::validate_key_text(key.expose_secret())
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        if let Some(library) = &self.library.path
            && library.is_relative()
        {
            return Err(ConfigError::Invalid(format!(
                "library.path {:?} must be an absolute path",
                library.display().to_string()
            )));
        }
        Ok(())
    }

    /// The data directory, whether configured or the default.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            return PathBuf::from(xdg).join("musicagg");
        }
        match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local/share/musicagg"),
            None => PathBuf::from("musicagg-data"),
        }
    }

    /// The database URL, whether configured or the default SQLite file.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir().join("musicagg.db").display()),
        }
    }

    /// True when the database is the default SQLite file (its folder must
    /// exist before it can be created).
    pub fn uses_default_database(&self) -> bool {
        self.database_url.is_none()
    }
}

#[cfg(test)]
mod tests;
