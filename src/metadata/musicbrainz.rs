//! A MusicBrainz ws/2 JSON client: one process-wide rate limiter, retries
//! with backoff for what is worth retrying, a cap on response size.
//!
//! Facts it relies on (see the MusicBrainz reference notes): JSON only with
//! `fmt=json`; on average 1 request/s per source IP, excess answered with 503;
//! merged MBIDs answer 301 to the canonical one; 404 is a definitive miss;
//! 400 is our bug; 503/502/504/429 and connection errors are retryable.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::mb_json::{self, ReleaseBrowseJson, ReleaseGroupJson, ReleaseJson, SearchJson};
use super::{Album, AlbumSearchHit};
use crate::config::MusicBrainzConfig;
use crate::http;
use crate::metrics::Metrics;
use crate::model::AlbumId;

/// Responses larger than this are refused (a box set's full tracklist is a
/// few hundred KiB).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Releases per browse page (the server's maximum).
const BROWSE_PAGE: u64 = 100;
/// Browse pages at most (10,000 releases).
const MAX_BROWSE_PAGES: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum MusicBrainzError {
    #[error("MusicBrainz has no {0}")]
    NotFound(String),
    /// Retryable trouble that outlasted the retries.
    #[error("MusicBrainz unavailable after {attempts} attempts: {last}")]
    Unavailable { attempts: u32, last: String },
    /// A request MusicBrainz refuses (400 and the like): not worth retrying.
    #[error("MusicBrainz refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("unreadable MusicBrainz answer: {0}")]
    Malformed(String),
}

/// Retry schedule: `base`, doubled each attempt, plus up to 50 % jitter; a
/// `Retry-After` header wins when longer.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct MusicBrainzClient {
    http: reqwest::Client,
    base_url: String,
    limiter: Arc<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    /// Requests by outcome and the limiter's wait, when the app meters them.
    metrics: Option<Metrics>,
}

impl MusicBrainzClient {
    pub fn new(config: &MusicBrainzConfig) -> Result<Self, MusicBrainzError> {
        let user_agent = config
            .user_agent
            .clone()
            .unwrap_or_else(|| http::default_user_agent(config.contact.as_deref()));
        let http = http::client_builder(&user_agent, Duration::from_secs(config.timeout), true)
            .build()
            .map_err(|e| MusicBrainzError::Malformed(format!("HTTP client: {e}")))?;
        let mut base_url = config.base_url.clone();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Ok(Self {
            http,
            base_url,
            limiter: Arc::new(RateLimiter::direct(quota(config.requests_per_second))),
            retry: RetryPolicy {
                attempts: config.max_attempts.max(1),
                base: Duration::from_millis(config.retry_base_ms),
                ..RetryPolicy::default()
            },
            metrics: None,
        })
    }

    /// Reports requests and rate-limiter waits to `metrics`.
    pub fn with_metrics(mut self, metrics: &Metrics) -> Self {
        self.metrics = Some(metrics.clone());
        self
    }

    fn count(&self, outcome: &'static str) {
        if let Some(metrics) = &self.metrics {
            metrics.musicbrainz_request(outcome);
        }
    }

    /// Looks the album up: its release group, every release of it (browsed,
    /// so more than the 25 a lookup embeds), and the tracklist of the
    /// representative release. The returned album's id is the canonical one
    /// (it differs from `id` when MusicBrainz merged the album).
    pub async fn album(&self, id: &AlbumId) -> Result<Album, MusicBrainzError> {
        let group: ReleaseGroupJson = self
            .get_json(
                &format!("release-group/{id}"),
                &[("inc", "artist-credits")],
                "album",
            )
            .await?;
        let canonical =
            AlbumId::parse(&group.id).map_err(|e| MusicBrainzError::Malformed(e.to_string()))?;
        let releases = self.releases_of(&canonical).await?;
        let tracks = match mb_json::representative_release(&releases) {
            Some(chosen) => Some(
                self.get_json::<ReleaseJson>(
                    &format!("release/{}", chosen.id),
                    &[("inc", "recordings media artist-credits")],
                    "release",
                )
                .await?,
            ),
            None => None,
        };
        Ok(mb_json::album(canonical, &group, tracks.as_ref()))
    }

    async fn releases_of(&self, id: &AlbumId) -> Result<Vec<ReleaseJson>, MusicBrainzError> {
        let mut releases = Vec::new();
        for page in 0..MAX_BROWSE_PAGES {
            let offset = (page * BROWSE_PAGE).to_string();
            let limit = BROWSE_PAGE.to_string();
            let browse: ReleaseBrowseJson = self
                .get_json(
                    "release",
                    &[
                        ("release-group", id.as_str()),
                        ("inc", "media"),
                        ("limit", &limit),
                        ("offset", &offset),
                    ],
                    "album",
                )
                .await?;
            let got = browse.releases.len() as u64;
            releases.extend(browse.releases);
            if got == 0 || releases.len() as u64 >= browse.release_count {
                break;
            }
        }
        Ok(releases)
    }

    /// Release groups matching free text (escaped: searched as text).
    pub async fn search(
        &self,
        text: &str,
        limit: u32,
    ) -> Result<Vec<AlbumSearchHit>, MusicBrainzError> {
        let query = mb_json::escape_lucene(text.trim());
        let limit = limit.clamp(1, 100).to_string();
        let search: SearchJson = self
            .get_json(
                "release-group",
                &[("query", &query), ("limit", &limit)],
                "search result",
            )
            .await?;
        Ok(mb_json::ranked_hits(search))
    }

    /// One GET with `fmt=json`, rate-limited and retried.
    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        what: &str,
    ) -> Result<T, MusicBrainzError> {
        let url = format!("{}{path}", self.base_url);
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts {
            // Every attempt, retries included, spends the shared budget.
            let waiting = std::time::Instant::now();
            self.limiter.until_ready().await;
            if let Some(metrics) = &self.metrics {
                metrics.musicbrainz_waited(waiting.elapsed());
            }
            let sent = self
                .http
                .get(&url)
                .query(params)
                .query(&[("fmt", "json")])
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let retry_after = match sent {
                Ok(response) if response.status().is_success() => {
                    self.count("ok");
                    let body = http::read_capped(response, MAX_BODY)
                        .await
                        .map_err(|e| MusicBrainzError::Malformed(e.to_string()))?;
                    return serde_json::from_slice(&body)
                        .map_err(|e| MusicBrainzError::Malformed(format!("{what}: {e}")));
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let message = error_message(response).await;
                    self.count(match status {
                        StatusCode::NOT_FOUND => "not_found",
                        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
                        s if s.is_server_error() => "server_error",
                        _ => "refused",
                    });
                    match status {
                        StatusCode::NOT_FOUND => {
                            return Err(MusicBrainzError::NotFound(what.to_owned()));
                        }
                        StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::TOO_MANY_REQUESTS
                        | StatusCode::BAD_GATEWAY
                        | StatusCode::GATEWAY_TIMEOUT
                        | StatusCode::INTERNAL_SERVER_ERROR => {
                            last = format!("HTTP {}: {message}", status.as_u16());
                            retry_after
                        }
                        _ => {
                            return Err(MusicBrainzError::Refused {
                                status: status.as_u16(),
                                message,
                            });
                        }
                    }
                }
                Err(e) => {
                    self.count(if e.is_timeout() {
                        "timeout"
                    } else {
                        "connection_error"
                    });
                    last = if e.is_timeout() {
                        "timed out".to_owned()
                    } else {
                        format!("connection failed: {}", without_url(&e))
                    };
                    None
                }
            };
            if attempt < self.retry.attempts {
                let delay = self.backoff(attempt, retry_after);
                tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, %last, "MusicBrainz request failed; retrying");
                tokio::time::sleep(delay).await;
            }
        }
        Err(MusicBrainzError::Unavailable {
            attempts: self.retry.attempts,
            last,
        })
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.retry.base.saturating_mul(1 << (attempt - 1).min(16));
        let jitter = exp.mul_f64(fastrand_fraction() * 0.5);
        let delay = (exp + jitter).min(self.retry.max_delay);
        // The server's Retry-After wins when it asks for longer (bounded).
        retry_after.map_or(delay, |wait| wait.max(delay).min(Duration::from_secs(120)))
    }
}

/// A rate of `per_second` requests with a burst of one.
fn quota(per_second: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / per_second.max(0.001));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN)
}

/// A number in [0, 1) for jitter; good enough without a random crate.
fn fastrand_fraction() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

/// MusicBrainz errors are `{"error": "…"}` in JSON, but a 503 may be an HTML
/// page from the load balancer: keep the JSON message, else a short excerpt.
async fn error_message(response: reqwest::Response) -> String {
    let body = http::read_capped(response, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Some(error) = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| json.get("error")?.as_str().map(str::to_owned))
    {
        return error;
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    if text.is_empty() {
        "no message".to_owned()
    } else if text.starts_with('<') {
        "an HTML page (a proxy or load balancer answered)".to_owned()
    } else {
        text.chars().take(200).collect()
    }
}

/// reqwest errors print the URL; ours carry no secret, but keep messages
/// short and stable.
fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut text = String::new();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    if text.is_empty() { e.to_string() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_space_requests_evenly_with_a_burst_of_one() {
        let q = quota(1.0);
        assert_eq!(q.replenish_interval(), Duration::from_secs(1));
        assert_eq!(q.burst_size().get(), 1);
        let q = quota(4.0);
        assert_eq!(q.replenish_interval(), Duration::from_millis(250));
    }
}
