//! The `MagnetResolver` for indexer results: a magnet, a .torrent, or a
//! download link that leads to either.
//!
//! Order, and why:
//! 1. a `magneturl` with trackers (or when there is no download link) — no
//!    request needed;
//! 2. the download link: fetched with redirects followed BY HAND (Jackett
//!    answers 302 and Prowlarr 301 with `Location: magnet:…`, which an
//!    automatic redirect policy treats as an error), at most 5 hops, http and
//!    https only. A .torrent brings the trackers, the private flag (a private
//!    torrent must be added as a file: its metadata is not served to magnet
//!    peers) and the file list, which is looked at before grabbing;
//! 3. the feed's info hash as a trackerless magnet, when there is no link.
//!
//! Links carry API keys (Jackett and Prowlarr embed them): error messages
//! show links with their query values redacted.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use url::Url;

use super::torrent_file::parse_torrent;
use super::uri::{build_magnet, normalize_info_hash, parse_magnet};
use super::{MagnetResolver, ResolveError, ResolvedTorrent};
use crate::http;
use crate::indexer::Release;

/// Redirects followed before giving up.
pub const MAX_HOPS: usize = 5;
/// A .torrent larger than this is refused (album torrents are a few hundred KiB).
pub const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;

pub struct LinkResolver {
    http: reqwest::Client,
}

impl LinkResolver {
    pub fn new(timeout: Duration) -> Result<Self, ResolveError> {
        let http = http::client_builder(&http::default_user_agent(None), timeout, false)
            .build()
            .map_err(|e| ResolveError::Unavailable(format!("HTTP client: {e}")))?;
        Ok(Self { http })
    }

    /// Follows `link` to a magnet or a .torrent.
    pub async fn fetch(&self, link: &str, title: &str) -> Result<ResolvedTorrent, ResolveError> {
        let mut url = parse_http_url(link)?;
        let mut seen = HashSet::new();
        for _hop in 0..=MAX_HOPS {
            if !seen.insert(url.clone()) {
                return Err(gone(format!("redirect loop at {}", redact(&url))));
            }
            let response = self
                .http
                .get(url.clone())
                .header(
                    reqwest::header::ACCEPT,
                    "application/x-bittorrent, */*;q=0.5",
                )
                .send()
                .await
                .map_err(|e| gone(format!("fetching {}: {}", redact(&url), transport(&e))))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| gone(format!("HTTP {} without a Location", status.as_u16())))?
                    .trim()
                    .to_owned();
                if location.starts_with("magnet:") {
                    return magnet_torrent(&location, title);
                }
                url = url
                    .join(&location)
                    .map_err(|_| gone("a redirect to an unreadable location".into()))
                    .and_then(check_scheme)?;
                continue;
            }
            if status.is_success() {
                let body = http::read_capped(response, MAX_TORRENT_BYTES)
                    .await
                    .map_err(|e| gone(format!("the download link's answer: {e}")))?;
                return from_body(&body, title);
            }
            return Err(gone(http_error(status, &response, &url)));
        }
        Err(gone(format!(
            "more than {MAX_HOPS} redirects from {}",
            redact(&parse_http_url(link)?)
        )))
    }
}

#[async_trait]
impl MagnetResolver for LinkResolver {
    async fn resolve(&self, release: &Release) -> Result<ResolvedTorrent, ResolveError> {
        let link = release
            .download_url
            .as_deref()
            .filter(|l| !l.trim().is_empty());
        let magnet = release
            .magnet_uri
            .as_deref()
            .and_then(|m| magnet_torrent(m, &release.title).ok());
        if let Some(magnet) = &magnet {
            let has_trackers = magnet.magnet_uri.contains("&tr=");
            if has_trackers || link.is_none() {
                return Ok(magnet.clone());
            }
        }
        if let Some(link) = link {
            if link.trim_start().starts_with("magnet:") {
                return magnet_torrent(link, &release.title);
            }
            return match self.fetch(link, &release.title).await {
                Ok(resolved) => Ok(resolved),
                // A trackerless magnet from the feed is better than nothing.
                Err(e) => magnet.ok_or(e),
            };
        }
        if let Some(hash) = release.info_hash.as_deref().and_then(normalize_info_hash) {
            return Ok(ResolvedTorrent {
                magnet_uri: build_magnet(&hash, Some(&release.title), &[]),
                info_hash: hash,
                ..ResolvedTorrent::default()
            });
        }
        Err(gone(
            "no download link, magnet or info hash in the feed".into(),
        ))
    }
}

fn gone(message: String) -> ResolveError {
    ResolveError::Unavailable(message)
}

fn parse_http_url(link: &str) -> Result<Url, ResolveError> {
    let url = Url::parse(link.trim()).map_err(|_| gone("the download link is not a URL".into()))?;
    check_scheme(url)
}

fn check_scheme(url: Url) -> Result<Url, ResolveError> {
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(gone(format!(
            "the download link uses {other}://, only http and https are followed"
        ))),
    }
}

fn magnet_torrent(uri: &str, title: &str) -> Result<ResolvedTorrent, ResolveError> {
    let parsed = parse_magnet(uri, title)?;
    Ok(ResolvedTorrent {
        info_hash: parsed.info_hash,
        magnet_uri: parsed.uri,
        ..ResolvedTorrent::default()
    })
}

/// A 200 body: a .torrent, or (some servers) a magnet as text.
fn from_body(body: &[u8], title: &str) -> Result<ResolvedTorrent, ResolveError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.starts_with(b"magnet:") {
        let text = String::from_utf8_lossy(trimmed);
        return magnet_torrent(text.trim(), title);
    }
    if !trimmed.starts_with(b"d") {
        let kind = if trimmed.starts_with(b"<") {
            "an HTML or XML page"
        } else {
            "something else"
        };
        return Err(gone(format!(
            "the download link returned {kind}, not a .torrent"
        )));
    }
    let info = parse_torrent(body)?;
    let name = info.name.clone().unwrap_or_else(|| title.to_owned());
    Ok(ResolvedTorrent {
        magnet_uri: build_magnet(&info.info_hash, Some(&name), &info.trackers),
        info_hash: info.info_hash.clone(),
        torrent_file: Some(body.to_vec()),
        private: info.private,
        files: Some(info.files),
    })
}

fn http_error(status: StatusCode, response: &reqwest::Response, url: &Url) -> String {
    let code = status.as_u16();
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            format!(
                "the release is no longer available (HTTP {code} from {})",
                redact(url)
            )
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            format!("the indexer refused the download (HTTP {code}): check its API key")
        }
        StatusCode::TOO_MANY_REQUESTS => {
            let after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(|v| format!(", retry after {v} s"))
                .unwrap_or_default();
            format!("the indexer limits downloads right now (HTTP 429{after})")
        }
        _ => format!("HTTP {code} from {}", redact(url)),
    }
}

fn transport(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    }
}

/// The URL with every query value replaced by [`crate::redact::MASK`] (API
/// keys live there),
/// and every long opaque path segment too (tracker passkeys live there:
/// `/download/<passkey>/123`).
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let segments: Option<Vec<String>> = url.path_segments().map(|segments| {
        segments
            .map(|segment| {
                let opaque = segment.len() >= 20
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if opaque {
                    crate::redact::MASK.to_owned()
                } else {
                    segment.to_owned()
                }
            })
            .collect()
    });
    if let Some(segments) = segments {
        shown.set_path(&segments.join("/"));
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, _)| (k.into_owned(), crate::redact::MASK.to_owned()))
        .collect();
    if pairs.is_empty() {
        shown.set_query(None);
    } else {
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_in_paths_are_redacted() {
        let url =
            Url::parse("https://tracker.example/download/0123456789abcdef0123456789abcdef/123")
                .unwrap();
        assert_eq!(redact(&url), "https://tracker.example/download/***/123");
        let details = Url::parse("https://tracker.example/details/101").unwrap();
        assert_eq!(redact(&details), "https://tracker.example/details/101");
    }

    #[test]
    fn links_are_redacted() {
        let url =
            Url::parse("http://jackett:9117/dl/x/?jackett_apikey=SECRET&path=abc&file=A").unwrap();
        let shown = redact(&url);
        assert!(
            !shown.contains("SECRET") && !shown.contains("abc"),
            "{shown}"
        );
        assert!(shown.contains("jackett_apikey=***"), "{shown}");
    }
}
