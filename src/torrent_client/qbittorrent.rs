//! qBittorrent through its WebUI API v2 (4.1 to 5.x).
//!
//! Things that break naive clients, handled here (see the qBittorrent
//! reference notes):
//! - login answers 200 `Fails.` (4.x) or 401 (5.2+) for a wrong password, and
//!   after 5 failures the IP is banned for an hour: a refused login is
//!   remembered and never retried in a loop;
//! - an expired session looks like 403 on any call: log in once and replay;
//! - `paused` is ignored by 5.x and `stopped` by 4.x: chosen by WebAPI version;
//! - `torrents/add` answers `Ok.`/`Fails.` (text) before 5.2, JSON after, and
//!   never returns the hash before 5.2: we compute it and confirm the add
//!   with `torrents/info?hashes=`;
//! - a duplicate add is `Fails.` or 409: the torrent being there is success.
//!
//! We send no `Origin`/`Referer`, so CSRF protection lets us through.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::{AddRequest, TorrentClient, TorrentClientError, TorrentStatus, maindata};
use crate::config::QbittorrentConfig;
use crate::http;
use crate::import::ClientFile;

/// How long a refused login stops us from trying again (qBittorrent bans
/// an IP after 5 failures within its own window; we try at most once per
/// this period).
const LOGIN_COOLDOWN: Duration = Duration::from_secs(600);
/// How long an added torrent may take to appear in `torrents/info`.
const CONFIRM_WITHIN: Duration = Duration::from_secs(10);

pub struct Qbittorrent {
    http: reqwest::Client,
    base: Url,
    username: String,
    password: SecretString,
    category: String,
    save_path: Option<String>,
    session: Mutex<Session>,
    /// The merged `sync/maindata` state (one incremental call per poll).
    sync: Mutex<maindata::SyncState>,
}

#[derive(Default)]
struct Session {
    logged_in: bool,
    /// WebAPI version, e.g. (2, 8, 19).
    api: Option<(u32, u32, u32)>,
    category_ready: bool,
    refused: Option<(Instant, String)>,
}

/// What `musicagg client test` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCheck {
    pub version: String,
    pub api_version: String,
    pub category: String,
    pub torrents: usize,
}

/// See [`Qbittorrent::save_locations`].
#[derive(Debug, Clone, PartialEq)]
pub struct SaveLocations {
    /// Where new torrents of our category go, as the client writes it.
    pub save_path: String,
    /// (save path, first file) of some complete torrents.
    pub samples: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct TorrentInfo {
    pub hash: String,
    pub name: String,
    #[serde(default)]
    pub category: String,
    /// Comma-and-space separated.
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub progress: f64,
    #[serde(default)]
    pub save_path: String,
}

impl TorrentInfo {
    pub fn tag_list(&self) -> Vec<&str> {
        self.tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }
}

fn failed(message: impl Into<String>) -> TorrentClientError {
    TorrentClientError::Unavailable(message.into())
}

fn refused(message: impl Into<String>) -> TorrentClientError {
    TorrentClientError::Refused(message.into())
}

impl Qbittorrent {
    pub fn new(config: &QbittorrentConfig) -> Result<Self, TorrentClientError> {
        let mut base = Url::parse(config.url.trim()).map_err(|e| {
            TorrentClientError::Config(format!(
                "qbittorrent.url {:?} is not a URL: {e}",
                config.url
            ))
        })?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = http::client_builder(
            &http::default_user_agent(None),
            Duration::from_secs(30),
            false,
        )
        .cookie_store(true)
        .build()
        .map_err(|e| TorrentClientError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            username: config.username.clone().unwrap_or_else(|| "admin".into()),
            password: config
                .password
                .clone()
                .unwrap_or_else(|| SecretString::from(String::new())),
            category: config.category.clone(),
            save_path: config.save_path.clone(),
            session: Mutex::new(Session::default()),
            sync: Mutex::new(maindata::SyncState::default()),
        })
    }

    fn url(&self, path: &str) -> Url {
        // `path` is one of our constants: joining cannot fail.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    fn unreachable(&self, e: &reqwest::Error) -> TorrentClientError {
        let why = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection refused or no route"
        } else {
            "the connection failed"
        };
        failed(format!("cannot reach qBittorrent at {}: {why}", self.base))
    }

    /// Logs in unless a session exists. A refused login is remembered for
    /// [`LOGIN_COOLDOWN`] and reported without asking qBittorrent again.
    async fn login(&self, session: &mut Session, force: bool) -> Result<(), TorrentClientError> {
        if session.logged_in && !force {
            return Ok(());
        }
        if let Some((at, why)) = &session.refused
            && at.elapsed() < LOGIN_COOLDOWN
        {
            return Err(TorrentClientError::Config(format!(
                "{why} (not retrying for {} min, so that qBittorrent does not ban this address)",
                LOGIN_COOLDOWN.as_secs() / 60
            )));
        }
        let response = self
            .http
            .post(self.url("api/v2/auth/login"))
            .form(&[
                ("username", self.username.as_str()),
                ("password", self.password.expose_secret()),
            ])
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let refused = match (status, body.trim()) {
            (StatusCode::OK, "Ok.") | (StatusCode::NO_CONTENT, _) => None,
            (StatusCode::OK, "Fails.") => Some(format!(
                "qBittorrent refused the login: wrong username or password for user {:?}",
                self.username
            )),
            (StatusCode::UNAUTHORIZED, _) => Some(
                "qBittorrent answered 401: wrong username or password (5.2+), or it rejected \
                 our Host header (reaching it through a port mapping or proxy? see WebUI \
                 'Host header validation')"
                    .to_owned(),
            ),
            (StatusCode::FORBIDDEN, _) => Some(format!(
                "qBittorrent refuses logins from this address ({}): too many failed logins \
                 ban it for an hour by default; fix the password, then restart qBittorrent or wait",
                body.trim()
            )),
            (StatusCode::OK, "") => None,
            (status, other) => {
                return Err(failed(format!(
                    "unexpected login answer: HTTP {} {}",
                    status.as_u16(),
                    other.chars().take(100).collect::<String>()
                )));
            }
        };
        if let Some(why) = refused {
            session.logged_in = false;
            session.refused = Some((Instant::now(), why.clone()));
            return Err(TorrentClientError::Config(why));
        }
        session.logged_in = true;
        session.refused = None;
        Ok(())
    }

    /// Sends a request made by `make`, logging in first if needed; a 403
    /// (expired session) is answered by one fresh login and one replay.
    async fn call(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, TorrentClientError> {
        {
            let mut session = self.session.lock().await;
            self.login(&mut session, false).await?;
        }
        let response = make(&self.http)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if response.status() != StatusCode::FORBIDDEN {
            return Ok(response);
        }
        tracing::info!("qBittorrent session expired; logging in again");
        {
            let mut session = self.session.lock().await;
            self.login(&mut session, true).await?;
        }
        let response = make(&self.http)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if response.status() == StatusCode::FORBIDDEN {
            return Err(TorrentClientError::Config(
                "qBittorrent answers 403 Forbidden even after a fresh login".into(),
            ));
        }
        Ok(response)
    }

    async fn text(&self, path: &'static str) -> Result<String, TorrentClientError> {
        let url = self.url(path);
        let response = self.call(|c| c.get(url.clone())).await?;
        if !response.status().is_success() {
            return Err(failed(format!(
                "{path}: HTTP {}",
                response.status().as_u16()
            )));
        }
        response
            .text()
            .await
            .map(|t| t.trim().to_owned())
            .map_err(|e| failed(format!("{path}: {e}")))
    }

    /// WebAPI version, asked once per session.
    async fn api_version(&self) -> Result<(u32, u32, u32), TorrentClientError> {
        if let Some(api) = self.session.lock().await.api {
            return Ok(api);
        }
        let text = self.text("api/v2/app/webapiVersion").await?;
        let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let api = (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        );
        self.session.lock().await.api = Some(api);
        Ok(api)
    }

    /// Creates our category when missing (409 = it exists: fine).
    async fn ensure_category(&self) -> Result<(), TorrentClientError> {
        if self.session.lock().await.category_ready {
            return Ok(());
        }
        let url = self.url("api/v2/torrents/createCategory");
        let form = [
            ("category", self.category.clone()),
            ("savePath", self.save_path.clone().unwrap_or_default()),
        ];
        let response = self.call(|c| c.post(url.clone()).form(&form)).await?;
        match response.status() {
            s if s.is_success() || s == StatusCode::CONFLICT => {
                self.session.lock().await.category_ready = true;
                Ok(())
            }
            s => Err(TorrentClientError::Config(format!(
                "could not create the category {:?}: HTTP {}",
                self.category,
                s.as_u16()
            ))),
        }
    }

    /// The torrents with these hashes (lower-case hex).
    pub async fn torrents(&self, hashes: &[&str]) -> Result<Vec<TorrentInfo>, TorrentClientError> {
        let url = self.url("api/v2/torrents/info");
        let joined = hashes.join("|");
        let response = self
            .call(|c| c.get(url.clone()).query(&[("hashes", joined.as_str())]))
            .await?;
        if !response.status().is_success() {
            return Err(failed(format!(
                "torrents/info: HTTP {}",
                response.status().as_u16()
            )));
        }
        let body = http::read_capped(response, 32 * 1024 * 1024)
            .await
            .map_err(|e| failed(format!("torrents/info: {e}")))?;
        serde_json::from_slice(&body)
            .map_err(|e| failed(format!("torrents/info: unreadable answer: {e}")))
    }

    async fn add_tags(&self, hash: &str, tags: &str) -> Result<(), TorrentClientError> {
        let url = self.url("api/v2/torrents/addTags");
        let form = [("hashes", hash.to_owned()), ("tags", tags.to_owned())];
        self.call(|c| c.post(url.clone()).form(&form)).await?;
        Ok(())
    }

    /// Ends the session (qBittorrent forgets it; the next call logs in).
    pub async fn logout(&self) -> Result<(), TorrentClientError> {
        let url = self.url("api/v2/auth/logout");
        self.http
            .post(url)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        Ok(())
    }

    /// Where the client saves our torrents (from its own point of view), and
    /// for each complete torrent of our category its save path and first
    /// file: what `musicagg client test` checks is visible here.
    pub async fn save_locations(&self) -> Result<SaveLocations, TorrentClientError> {
        let default = self.text("api/v2/app/defaultSavePath").await?;
        let url = self.url("api/v2/torrents/categories");
        let response = self.call(|c| c.get(url.clone())).await?;
        let categories: HashMap<String, serde_json::Value> =
            response.json().await.unwrap_or_default();
        let category_path = categories
            .get(&self.category)
            .and_then(|c| c["savePath"].as_str())
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        let url = self.url("api/v2/torrents/info");
        let category = self.category.clone();
        let response = self
            .call(|c| {
                c.get(url.clone())
                    .query(&[("category", category.as_str()), ("filter", "completed")])
            })
            .await?;
        let body = http::read_capped(response, 32 * 1024 * 1024)
            .await
            .map_err(|e| failed(format!("torrents/info: {e}")))?;
        let complete: Vec<TorrentInfo> = serde_json::from_slice(&body).unwrap_or_default();
        let mut samples = Vec::new();
        for torrent in complete.iter().take(5) {
            if let Some(first) = self.files(&torrent.hash).await?.into_iter().next() {
                samples.push((torrent.save_path.clone(), first.name));
            }
        }
        Ok(SaveLocations {
            save_path: category_path.or(self.save_path.clone()).unwrap_or(default),
            samples,
        })
    }

    /// A newcomer's first check: login, versions, our category.
    pub async fn check(&self) -> Result<ClientCheck, TorrentClientError> {
        let version = self.text("api/v2/app/version").await?;
        let api = self.api_version().await?;
        self.ensure_category().await?;
        let url = self.url("api/v2/torrents/info");
        let category = self.category.clone();
        let response = self
            .call(|c| c.get(url.clone()).query(&[("category", category.as_str())]))
            .await?;
        let torrents: Vec<serde_json::Value> = response.json().await.unwrap_or_default();
        Ok(ClientCheck {
            version,
            api_version: format!("{}.{}.{}", api.0, api.1, api.2),
            category: self.category.clone(),
            torrents: torrents.len(),
        })
    }
}

#[async_trait]
impl TorrentClient for Qbittorrent {
    fn name(&self) -> &str {
        "qbittorrent"
    }

    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        let torrent = request.torrent;
        let hash = torrent.info_hash.to_ascii_lowercase();
        let api = self.api_version().await?;
        self.ensure_category().await?;
        let tags = format!("musicagg,run-{}", request.run_id);
        // 5.x (WebAPI 2.11+) reads `stopped`, 4.x reads `paused`.
        let start_field = if api >= (2, 11, 0) {
            "stopped"
        } else {
            "paused"
        };
        let url = self.url("api/v2/torrents/add");
        let make = |c: &reqwest::Client| {
            let mut form = Form::new()
                .text("category", self.category.clone())
                .text("tags", tags.clone())
                .text(start_field, "false");
            if let Some(path) = &self.save_path {
                form = form.text("savepath", path.clone());
            }
            form = match &torrent.torrent_file {
                Some(bytes) => form.part(
                    "torrents",
                    Part::bytes(bytes.clone()).file_name(format!("{hash}.torrent")),
                ),
                None => form.text("urls", torrent.magnet_uri.clone()),
            };
            c.post(url.clone()).multipart(form)
        };
        let response = self.call(make).await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                return Err(failed(format!(
                    "qBittorrent says the .torrent is invalid: {}",
                    body.trim()
                )));
            }
            // 409 (5.2+) and `Fails.` (before) mostly mean "already there":
            // the check below decides.
            s if s.is_success() || s == StatusCode::CONFLICT => {}
            s => {
                return Err(failed(format!(
                    "torrents/add: HTTP {} {}",
                    s.as_u16(),
                    body.trim()
                )));
            }
        }
        let duplicate_hint = body.trim() == "Fails." || status == StatusCode::CONFLICT;
        let deadline = Instant::now() + CONFIRM_WITHIN;
        loop {
            if let Some(found) = self.torrents(&[&hash]).await?.into_iter().next() {
                if duplicate_hint && !found.tag_list().contains(&"musicagg") {
                    self.add_tags(&hash, &tags).await?;
                }
                return Ok(());
            }
            if duplicate_hint {
                return Err(refused(
                    "qBittorrent refused the torrent (Fails.) and does not have it",
                ));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "qBittorrent accepted the torrent but does not list {hash} after {} s",
                    CONFIRM_WITHIN.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(!self
            .torrents(&[&info_hash.to_ascii_lowercase()])
            .await?
            .is_empty())
    }

    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        let mut sync = self.sync.lock().await;
        let url = self.url("api/v2/sync/maindata");
        let rid = sync.rid.to_string();
        let response = self
            .call(|c| c.get(url.clone()).query(&[("rid", rid.as_str())]))
            .await?;
        if !response.status().is_success() {
            return Err(failed(format!(
                "sync/maindata: HTTP {}",
                response.status().as_u16()
            )));
        }
        let body = http::read_capped(response, maindata::MAINDATA_CAP)
            .await
            .map_err(|e| failed(format!("sync/maindata: {e}")))?;
        let data: maindata::MainData = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("sync/maindata: unreadable answer: {e}")))?;
        maindata::apply_delta(&mut sync, data);
        Ok(sync
            .torrents
            .iter()
            .map(|(hash, fields)| (hash.clone(), maindata::torrent_status(hash, fields)))
            .collect())
    }

    async fn files(&self, info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        #[derive(Deserialize)]
        struct File {
            name: String,
            #[serde(default)]
            size: u64,
            #[serde(default = "wanted")]
            priority: i64,
        }
        fn wanted() -> i64 {
            1
        }
        let url = self.url("api/v2/torrents/files");
        let hash = info_hash.to_ascii_lowercase();
        let response = self
            .call(|c| c.get(url.clone()).query(&[("hash", hash.as_str())]))
            .await?;
        if !response.status().is_success() {
            return Err(failed(format!(
                "torrents/files: HTTP {}",
                response.status().as_u16()
            )));
        }
        let body = http::read_capped(response, 32 * 1024 * 1024)
            .await
            .map_err(|e| failed(format!("torrents/files: {e}")))?;
        let files: Vec<File> = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("torrents/files: unreadable answer: {e}")))?;
        // Files the user chose not to download (priority 0) are not there.
        Ok(files
            .into_iter()
            .filter(|f| f.priority != 0)
            .map(|f| ClientFile {
                name: f.name,
                size: f.size,
            })
            .collect())
    }

    async fn remove(&self, info_hash: &str, delete_files: bool) -> Result<(), TorrentClientError> {
        let url = self.url("api/v2/torrents/delete");
        let form = [
            ("hashes", info_hash.to_ascii_lowercase()),
            ("deleteFiles", delete_files.to_string()),
        ];
        let response = self.call(|c| c.post(url.clone()).form(&form)).await?;
        if !response.status().is_success() {
            return Err(failed(format!(
                "torrents/delete: HTTP {}",
                response.status().as_u16()
            )));
        }
        Ok(())
    }
}
