//! One Torznab indexer over HTTP: requests, cached caps, the album search with
//! its fallback, and errors that say what went wrong in the user's terms.
//!
//! The API key travels as the `apikey` query parameter (the one form Jackett,
//! Prowlarr and generic Newznab servers all accept). It is never logged: no
//! URL is put into an error or event without passing through [`redact`],
//! and reqwest's errors are stripped of their URL before we read them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use url::Url;

use super::Release;
use super::backoff::Clock;
use super::caps::{Caps, parse_caps};
use super::feed::parse_feed;
use super::query::{SearchKind, SearchRequest, plan};
use super::text::excerpt;
use super::xml::{DocumentError, MAX_BODY_BYTES, TorznabError, error_in, sniff};
use crate::config::IndexerConfig;
use crate::http::{BodyError, client_builder, read_capped};

/// Results asked for per request: Jackett's and Prowlarr's usual maximum.
/// Paging is not attempted: most indexers answer any `offset` with nothing.
const PAGE_SIZE: u32 = 100;

/// Feeds up to this size are parsed on the async worker (a 100-item page is
/// about 120 KiB); larger ones on the blocking pool.
const INLINE_PARSE_BYTES: usize = 512 * 1024;

/// Why one indexer's request failed. Every message is meant for the user and
/// carries no secret.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// Torznab codes 100–199 (Jackett sends them with HTTP 200).
    #[error("bad API key: the indexer answered {0}; check this indexer's api_key")]
    BadApiKey(TorznabError),
    /// 401/403 without an error document (Prowlarr's answer to a wrong key).
    #[error("HTTP {status} with {detail}: the API key was refused, check this indexer's api_key")]
    Unauthorized { status: u16, detail: String },
    /// HTTP 429 or a Torznab "request limit" error.
    #[error("rate limited{}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), retry_after.map(|r| format!("; retry after {} s", r.as_secs())).unwrap_or_default())]
    RateLimited {
        retry_after: Option<Duration>,
        detail: Option<String>,
    },
    /// Any other Torznab error document.
    #[error("the indexer answered {0}")]
    Torznab(TorznabError),
    /// A non-success status without an error document.
    #[error("HTTP {status}: {detail}")]
    Http { status: u16, detail: String },
    /// A body that is not XML: an HTML page from a proxy, JSON, binary.
    #[error("not a Torznab response: {0}")]
    NotXml(String),
    #[error("invalid response: {0}")]
    Malformed(String),
    #[error("response larger than {} MiB: refused", limit / (1024 * 1024))]
    TooLarge { limit: usize },
    #[error("timed out after {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// Connection refused, DNS, TLS and the like.
    #[error("could not reach the indexer: {0}")]
    Transport(String),
}

impl ClientError {
    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A request this indexer does not support (stale caps).
    fn is_unsupported_request(&self) -> bool {
        matches!(self, Self::Torznab(e) if e.is_unsupported_request())
    }

    fn from_document(error: DocumentError) -> Self {
        match error {
            DocumentError::Torznab(e) if e.is_bad_api_key() => Self::BadApiKey(e),
            DocumentError::Torznab(e) if e.is_rate_limit() => Self::RateLimited {
                retry_after: None,
                detail: Some(e.to_string()),
            },
            DocumentError::Torznab(e) => Self::Torznab(e),
            DocumentError::NotXml(what) => Self::NotXml(what),
            DocumentError::Malformed(what) | DocumentError::Unexpected(what) => {
                Self::Malformed(what)
            }
            DocumentError::TooLarge { limit } => Self::TooLarge { limit },
        }
    }
}

/// A configuration that cannot work; the message names the indexer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SetupError {
    #[error("indexer {name:?}: url {url:?} is not an http(s) URL: {reason}")]
    BadUrl {
        name: String,
        url: String,
        reason: String,
    },
    #[error("an indexer has an empty name")]
    EmptyName,
    #[error("two indexers are named {0:?}: names must be unique")]
    DuplicateName(String),
    #[error("indexer {0:?}: timeout must be at least 1 second")]
    ZeroTimeout(String),
    #[error("indexer {name:?}: could not build its HTTP client: {reason}")]
    Client { name: String, reason: String },
}

/// Settings shared by every indexer's client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub user_agent: String,
    /// How long fetched caps are trusted (Lidarr: 7 days; caps change only
    /// when the user reconfigures the indexer).
    pub caps_ttl: Duration,
    pub clock: Arc<dyn Clock>,
}

/// What an album search did.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbumSearch {
    pub releases: Vec<Release>,
    /// Each request sent, described, with its result count.
    pub requests: Vec<String>,
    /// Items dropped for lack of a title or link.
    pub skipped: usize,
}

#[derive(Debug, Clone)]
struct CachedCaps {
    caps: Caps,
    fetched_at: DateTime<Utc>,
}

/// One indexer's Torznab client.
#[derive(Debug)]
pub struct TorznabClient {
    name: String,
    endpoint: Url,
    api_key: Option<SecretString>,
    categories: Vec<u32>,
    timeout: Duration,
    http: reqwest::Client,
    caps: Mutex<Option<CachedCaps>>,
    caps_ttl: Duration,
    clock: Arc<dyn Clock>,
    /// Every request passes it: `min_request_interval` whoever asks.
    gate: super::gate::Gate,
}

impl TorznabClient {
    pub fn new(config: &IndexerConfig, options: &ClientOptions) -> Result<Self, SetupError> {
        let bad_url = |reason: String| SetupError::BadUrl {
            name: config.name.clone(),
            url: redact(
                &config.url,
                config.api_key.as_ref().map(|k| k.expose_secret()),
            ),
            reason,
        };
        let endpoint = Url::parse(config.url.trim()).map_err(|e| bad_url(e.to_string()))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(bad_url(format!("scheme {:?}", endpoint.scheme())));
        }
        if config.timeout == 0 {
            return Err(SetupError::ZeroTimeout(config.name.clone()));
        }
        let timeout = Duration::from_secs(config.timeout);
        let http = client_builder(&options.user_agent, timeout, true)
            .build()
            .map_err(|e| SetupError::Client {
                name: config.name.clone(),
                reason: e.without_url().to_string(),
            })?;
        Ok(Self {
            name: config.name.clone(),
            endpoint,
            api_key: config
                .api_key
                .clone()
                .filter(|k| !k.expose_secret().trim().is_empty()),
            categories: config.categories.clone(),
            timeout,
            http,
            caps: Mutex::new(None),
            caps_ttl: options.caps_ttl,
            clock: options.clock.clone(),
            gate: super::gate::Gate::new(config.min_request_interval.duration()),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The endpoint with any key in it blanked, for display.
    pub fn display_url(&self) -> String {
        self.redact(self.endpoint.as_str())
    }

    /// The caps, from the cache while fresh. A server without a caps endpoint
    /// (Torznab error 200–203, or HTTP 404) is assumed to offer `q` search.
    pub async fn caps(&self) -> Result<Caps, ClientError> {
        let mut cached = self.caps.lock().await;
        let now = self.clock.now();
        if let Some(entry) = cached.as_ref() {
            let age = (now - entry.fetched_at).to_std().unwrap_or_default();
            if age < self.caps_ttl {
                return Ok(entry.caps.clone());
            }
        }
        let caps = match self.get(&[("t", "caps".to_owned())]).await {
            Ok(body) => parse_caps(&body).map_err(ClientError::from_document),
            Err(error) => Err(error),
        };
        let caps = match caps {
            Ok(caps) => caps,
            Err(ClientError::Torznab(e)) if e.is_unsupported_request() => Caps::assumed(),
            Err(ClientError::Http { status: 404, .. }) => Caps::assumed(),
            Err(error) => return Err(error),
        };
        *cached = Some(CachedCaps {
            caps: caps.clone(),
            fetched_at: now,
        });
        Ok(caps)
    }

    /// Forgets the cached caps (after the indexer rejected a request they
    /// allowed).
    pub async fn forget_caps(&self) {
        *self.caps.lock().await = None;
    }

    /// Searches for an album: the music search when the caps allow it, then
    /// the `q` search when that found nothing (or was rejected).
    pub async fn search_album(
        &self,
        artist: &str,
        album: &str,
        year: Option<i32>,
    ) -> Result<AlbumSearch, ClientError> {
        let caps = self.caps().await?;
        let requests = plan(&caps, artist, album, year);
        let mut done = AlbumSearch {
            releases: Vec::new(),
            requests: Vec::new(),
            skipped: 0,
        };
        let last = requests.len().saturating_sub(1);
        for (index, request) in requests.iter().enumerate() {
            match self.search(request, caps.max_results).await {
                Ok(feed) => {
                    done.requests
                        .push(format!("{} → {}", request.describe(), feed.releases.len()));
                    done.skipped += feed.skipped;
                    if !feed.releases.is_empty() || index == last {
                        done.releases = feed.releases;
                        return Ok(done);
                    }
                }
                Err(error)
                    if request.kind == SearchKind::Music && error.is_unsupported_request() =>
                {
                    done.requests
                        .push(format!("{} → {error}", request.describe()));
                    self.forget_caps().await;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(done)
    }

    /// Sends one search request and parses the feed.
    pub async fn search(
        &self,
        request: &SearchRequest,
        max_results: Option<u32>,
    ) -> Result<super::feed::Feed, ClientError> {
        let mut params: Vec<(&str, String)> = request
            .params
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        if !self.categories.is_empty() {
            let cats = self
                .categories
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            params.push(("cat", cats));
        }
        let limit = max_results
            .filter(|m| *m > 0)
            .map_or(PAGE_SIZE, |m| m.min(PAGE_SIZE));
        params.push(("limit", limit.to_string()));
        params.push(("extended", "1".into()));
        let body = self.get(&params).await?;
        if body.len() <= INLINE_PARSE_BYTES {
            return parse_feed(&body, &self.name).map_err(ClientError::from_document);
        }
        // A feed of several megabytes takes long enough to parse (hundreds of
        // milliseconds unoptimised) to stall the other tasks on this worker.
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || parse_feed(&body, &name))
            .await
            .map_err(|e| ClientError::Malformed(format!("the feed parser stopped: {e}")))?
            .map_err(ClientError::from_document)
    }

    fn url(&self, params: &[(&str, String)]) -> Url {
        let mut url = self.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            for (key, value) in params {
                query.append_pair(key, value);
            }
            if let Some(key) = &self.api_key {
                query.append_pair("apikey", key.expose_secret());
            }
        }
        url
    }

    /// One GET: status, `Retry-After`, a capped body, and error documents
    /// turned into [`ClientError`]s. Returns the body of a 2xx answer.
    async fn get(&self, params: &[(&str, String)]) -> Result<Vec<u8>, ClientError> {
        self.gate.wait().await;
        let response = self
            .http
            .get(self.url(params))
            .header(
                ACCEPT,
                "application/rss+xml, application/xml, text/xml;q=0.9, */*;q=0.1",
            )
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock.now()));
        let body = read_capped(response, MAX_BODY_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => ClientError::TooLarge { limit },
                BodyError::Transport(e) => self.transport_error(e),
            })?;
        if status.is_success() {
            return Ok(body);
        }
        let document = error_in(&body);
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ClientError::RateLimited {
                retry_after,
                detail: Some(match &document {
                    Some(e) => format!("HTTP 429, {e}"),
                    None => "HTTP 429".into(),
                }),
            });
        }
        if let Some(error) = document {
            return Err(
                match ClientError::from_document(DocumentError::Torznab(error)) {
                    ClientError::RateLimited { detail, .. } => ClientError::RateLimited {
                        retry_after,
                        detail,
                    },
                    other => other,
                },
            );
        }
        let detail = describe_body(&body);
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(ClientError::Unauthorized {
                status: status.as_u16(),
                detail,
            });
        }
        Err(ClientError::Http {
            status: status.as_u16(),
            detail: format!(
                "{} with {detail}",
                status.canonical_reason().unwrap_or("error")
            ),
        })
    }

    fn transport_error(&self, error: reqwest::Error) -> ClientError {
        if error.is_timeout() {
            return ClientError::Timeout(self.timeout);
        }
        // Walk the source chain: reqwest's own message ("error sending
        // request") says little; the cause ("Connection refused") says what.
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        ClientError::Transport(self.redact(&message))
    }

    /// Blanks this indexer's key (and any key-like parameter) in `text`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, self.api_key.as_ref().map(|k| k.expose_secret()))
    }
}

/// What a non-success body was, for the error message.
fn describe_body(body: &[u8]) -> String {
    match sniff(body) {
        Err(DocumentError::NotXml(what)) => what,
        Err(other) => other.to_string(),
        Ok(()) => format!("an XML body: {}", excerpt(body, 80)),
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (when.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or_default(),
    )
}

/// Blanks secrets in text meant for people: the key where it stands as a
/// whole token, and the value of every key-like query parameter (`apikey`,
/// `api_key`, `passkey`, `jackett_apikey`, …) in any URL ([`crate::redact`]).
pub fn redact(text: &str, secret: Option<&str>) -> String {
    crate::redact::text(text, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted_from_urls_and_text() {
        let url =
            "http://j:9117/api?t=search&apikey=abc123&q=x and /dl/x?jackett_apikey=abc123&path=y";
        assert_eq!(
            redact(url, Some("abc123")),
            "http://j:9117/api?t=search&apikey=***&q=x and /dl/x?jackett_apikey=***&path=y"
        );
        // A one-letter key leaves ordinary words alone.
        assert_eq!(
            redact("bad API key (HTTP 401) for /api?apikey=k", Some("k")),
            "bad API key (HTTP 401) for /api?apikey=***"
        );
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 01 May 2024 12:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let key = ClientError::BadApiKey(TorznabError {
            code: Some(100),
            description: "Invalid API Key".into(),
        });
        assert_eq!(
            key.to_string(),
            "bad API key: the indexer answered Torznab error 100 \"Invalid API Key\"; check this indexer's api_key"
        );
        let limited = ClientError::RateLimited {
            retry_after: Some(Duration::from_secs(60)),
            detail: Some("HTTP 429".into()),
        };
        assert_eq!(
            limited.to_string(),
            "rate limited (HTTP 429); retry after 60 s"
        );
        assert_eq!(
            ClientError::Timeout(Duration::from_secs(20)).to_string(),
            "timed out after 20.0 s"
        );
        assert_eq!(
            ClientError::TooLarge {
                limit: MAX_BODY_BYTES
            }
            .to_string(),
            "response larger than 10 MiB: refused"
        );
    }
}
