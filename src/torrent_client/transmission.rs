//! Transmission (2.x to 4.x) behind the [`TorrentClient`] trait, through
//! its RPC (`transmission_rpc`: the session-id handshake, auth, capped
//! bodies; `transmission_model`: the answers in the tracker's terms).
//!
//! Things that differ from qBittorrent, handled here:
//! - no categories or tags: labels (`[transmission] labels` and
//!   `run-<id>`), set with `torrent-set` after the add, because `torrent-add`
//!   takes labels only from 4.0 while `torrent-set` takes them from RPC 16
//!   (3.00); a duplicate keeps the labels it had;
//! - `torrent-add` answers with the torrent's hash, so no confirmation
//!   poll is needed; a duplicate is success (whatever `result` says);
//! - integer ids change across restarts: every call names hashes, and
//!   never sends an empty or missing `ids` (that means every torrent).

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::transmission_model::{self as model, Added};
use super::transmission_rpc::{Rpc, unavailable};
use super::{AddRequest, SaveLocations, TorrentClient, TorrentClientError, TorrentStatus};
use crate::config::TransmissionConfig;
use crate::import::ClientFile;

/// Labels arrived with RPC version 16 (Transmission 3.00).
const LABELS_SINCE_RPC: i64 = 16;

pub struct Transmission {
    rpc: Rpc,
    download_dir: Option<String>,
    labels: Vec<String>,
    /// `session-get`, asked once.
    session: OnceCell<SessionInfo>,
}

/// What `session-get` tells us.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionInfo {
    pub version: String,
    pub rpc_version: i64,
    /// The daemon's default download folder (its own path).
    pub download_dir: String,
}

/// What `musicagg client test` reports of Transmission.
#[derive(Debug, Clone, PartialEq)]
pub struct TransmissionCheck {
    pub session: SessionInfo,
    pub labels: Vec<String>,
    /// Torrents carrying our first label.
    pub labelled: usize,
}

impl Transmission {
    pub fn new(config: &TransmissionConfig) -> Result<Self, TorrentClientError> {
        Ok(Self {
            rpc: Rpc::new(config)?,
            download_dir: config.download_dir.clone(),
            labels: config.labels.clone(),
            session: OnceCell::new(),
        })
    }

    /// The RPC endpoint (for messages).
    pub fn url(&self) -> &url::Url {
        self.rpc.url()
    }

    pub async fn session(&self) -> Result<&SessionInfo, TorrentClientError> {
        self.session
            .get_or_try_init(|| async {
                let args = self.rpc.call("session-get", json!({})).await?;
                Ok(SessionInfo {
                    version: args["version"].as_str().unwrap_or("unknown").to_owned(),
                    rpc_version: args["rpc-version"].as_i64().unwrap_or(0),
                    download_dir: args["download-dir"].as_str().unwrap_or("").to_owned(),
                })
            })
            .await
    }

    /// `torrent-get` of these hashes (never an empty list: that would mean
    /// every torrent), or of every torrent with `None`.
    async fn get(
        &self,
        hashes: Option<&[&str]>,
        fields: &[&str],
    ) -> Result<Value, TorrentClientError> {
        let mut arguments = json!({ "fields": fields });
        if let Some(hashes) = hashes {
            if hashes.is_empty() {
                return Ok(json!({"torrents": []}));
            }
            arguments["ids"] = json!(hashes);
        }
        self.rpc.call("torrent-get", arguments).await
    }

    /// The torrent with this hash, with `fields`, if the daemon has it.
    async fn one(
        &self,
        hash: &str,
        fields: &[&str],
    ) -> Result<Option<serde_json::Map<String, Value>>, TorrentClientError> {
        let hash = hash.to_ascii_lowercase();
        let answer = self.get(Some(&[hash.as_str()]), fields).await?;
        Ok(model::torrents(&answer)?
            .into_iter()
            .find(|t| model::hash_of(t) == hash)
            .cloned())
    }

    /// Puts our labels (and the run's) on the torrent, keeping the ones it
    /// has. Skipped, with a note in the log, on daemons older than 3.00.
    async fn label(&self, hash: &str, run_label: String) -> Result<(), TorrentClientError> {
        let session = self.session().await?;
        if session.rpc_version < LABELS_SINCE_RPC {
            tracing::info!(
                version = %session.version,
                "Transmission before 3.00 has no labels; the torrent is added without them"
            );
            return Ok(());
        }
        let mut labels = match self.one(hash, &["hashString", "labels"]).await? {
            Some(t) => model::labels(&t),
            None => Vec::new(),
        };
        for label in self.labels.iter().cloned().chain([run_label]) {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        self.rpc
            .call("torrent-set", json!({"ids": [hash], "labels": labels}))
            .await?;
        Ok(())
    }

    /// The labels of a torrent (tests, `client test`).
    pub async fn labels_of(&self, hash: &str) -> Result<Option<Vec<String>>, TorrentClientError> {
        Ok(self
            .one(hash, &["hashString", "labels"])
            .await?
            .map(|t| model::labels(&t)))
    }

    /// A newcomer's first check: reachable, credentials, versions, labels.
    pub async fn check(&self) -> Result<TransmissionCheck, TorrentClientError> {
        let session = self.session().await?.clone();
        let answer = self.get(None, &["hashString", "labels"]).await?;
        let first = self.labels.first();
        let labelled = model::torrents(&answer)?
            .into_iter()
            .filter(|t| first.is_some_and(|l| model::labels(t).contains(l)))
            .count();
        Ok(TransmissionCheck {
            session,
            labels: self.labels.clone(),
            labelled,
        })
    }

    /// Where the daemon saves our torrents (its own path) and, for some
    /// complete torrents of ours, their folder and first file: what
    /// `musicagg client test` checks is visible here.
    pub async fn save_locations(&self) -> Result<SaveLocations, TorrentClientError> {
        let session = self.session().await?.clone();
        let answer = self
            .get(
                None,
                &["hashString", "labels", "percentDone", "downloadDir"],
            )
            .await?;
        let first = self.labels.first();
        let ours: Vec<(String, String)> = model::torrents(&answer)?
            .into_iter()
            .filter(|t| first.is_some_and(|l| model::labels(t).contains(l)))
            .filter(|t| t.get("percentDone").and_then(Value::as_f64) == Some(1.0))
            .map(|t| {
                let dir = t.get("downloadDir").and_then(Value::as_str).unwrap_or("");
                (model::hash_of(t), dir.to_owned())
            })
            .take(5)
            .collect();
        let mut samples = Vec::new();
        for (hash, dir) in ours {
            if let Some(first) = self.files(&hash).await?.into_iter().next() {
                samples.push((dir, first.name));
            }
        }
        Ok(SaveLocations {
            save_path: self.download_dir.clone().unwrap_or(session.download_dir),
            samples,
        })
    }
}

#[async_trait]
impl TorrentClient for Transmission {
    fn name(&self) -> &str {
        "transmission"
    }

    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        let torrent = request.torrent;
        let hash = torrent.info_hash.to_ascii_lowercase();
        let mut arguments = json!({ "paused": false });
        match &torrent.torrent_file {
            Some(bytes) => arguments["metainfo"] = json!(STANDARD.encode(bytes)),
            None => arguments["filename"] = json!(torrent.magnet_uri),
        }
        if let Some(dir) = &self.download_dir {
            arguments["download-dir"] = json!(dir);
        }
        let reply = self.rpc.send("torrent-add", arguments).await?;
        let (got, ours) = match model::added(&reply.result, &reply.arguments)? {
            Added::New { hash } => (hash, true),
            Added::Duplicate { hash } => {
                tracing::info!(%hash, "Transmission already has the torrent");
                (hash, false)
            }
        };
        if got != hash {
            // Not what was resolved: take back what we just added (a torrent
            // the user already had stays), so nothing downloads untracked.
            if ours && let Err(e) = self.remove(&got, true).await {
                tracing::warn!(%got, error = %e, "could not remove the mismatched torrent");
            }
            return Err(TorrentClientError::Refused(format!(
                "Transmission added the torrent as {got}, not {hash}"
            )));
        }
        // The torrent is in the daemon now and will be tracked by its hash:
        // labels are a convenience for the user, never a reason to fail it.
        if let Err(e) = self.label(&hash, format!("run-{}", request.run_id)).await {
            tracing::warn!(%hash, error = %e, "could not label the torrent in Transmission");
        }
        Ok(())
    }

    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(self.one(info_hash, &["hashString"]).await?.is_some())
    }

    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        let answer = self.get(None, model::POLL_FIELDS).await?;
        Ok(model::torrents(&answer)?
            .into_iter()
            .map(|t| {
                let status = model::torrent_status(t);
                (status.hash.clone(), status)
            })
            .collect())
    }

    async fn files(&self, info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        match self
            .one(info_hash, &["hashString", "files", "fileStats"])
            .await?
        {
            Some(t) => model::files(&t),
            None => Err(unavailable(format!(
                "Transmission does not have the torrent {info_hash}"
            ))),
        }
    }

    async fn remove(&self, info_hash: &str, delete_files: bool) -> Result<(), TorrentClientError> {
        // Unknown ids are ignored by the daemon: removing twice is fine.
        self.rpc
            .call(
                "torrent-remove",
                json!({"ids": [info_hash.to_ascii_lowercase()], "delete-local-data": delete_files}),
            )
            .await?;
        Ok(())
    }
}
