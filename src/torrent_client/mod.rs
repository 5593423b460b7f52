//! The user's torrent client (the diagram's `TorrentClient`).
//!
//! The workflow writes the `torrents` and `downloads` rows before it calls
//! [`TorrentClient::add`], so a torrent never appears in the client without a
//! row. `serve` uses [`Qbittorrent`] or [`Transmission`], whichever the
//! configuration chooses (`torrent_client`), else [`NoTorrentClient`].

mod maindata;
mod qbittorrent;
mod status;
mod transmission;
mod transmission_model;
mod transmission_rpc;

pub use qbittorrent::{ClientCheck, Qbittorrent, SaveLocations, TorrentInfo};
pub use status::{ClientState, TorrentStatus};
pub use transmission::{SessionInfo, Transmission, TransmissionCheck};

use std::collections::HashMap;

use async_trait::async_trait;

use crate::import::ClientFile;

use crate::magnet::ResolvedTorrent;
use crate::model::RunId;

/// How the torrent is labelled in the client, so that users (and the
/// start-up reconciliation) can tell which run added it.
#[derive(Debug, Clone, PartialEq)]
pub struct AddRequest<'a> {
    pub torrent: &'a ResolvedTorrent,
    pub run_id: RunId,
    /// Display name (the release title).
    pub name: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum TorrentClientError {
    /// Configuration or credentials: retrying will not help.
    #[error("{0}")]
    Config(String),
    /// The client cannot be reached or answers nonsense right now.
    #[error("{0}")]
    Unavailable(String),
    /// The client refused this torrent (the release is blocklisted for the
    /// album; another release may work).
    #[error("{0}")]
    Refused(String),
}

#[async_trait]
pub trait TorrentClient: Send + Sync + 'static {
    /// A short name stored with downloads, e.g. "qbittorrent".
    fn name(&self) -> &str;
    /// Adds the torrent; a torrent already present counts as success.
    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError>;
    /// Whether the client has a torrent with this info hash.
    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError>;
    /// Every torrent of the client by lower-case info hash, as of now. One
    /// request whatever the number of torrents (the download tracker calls
    /// this once per poll).
    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError>;
    /// The files of a torrent, relative to its save path.
    async fn files(&self, info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError>;
    /// Removes a torrent (and its data with `delete_files`); an unknown hash
    /// is not an error.
    async fn remove(&self, info_hash: &str, delete_files: bool) -> Result<(), TorrentClientError>;
}

/// The stand-in until a torrent client is configured.
#[derive(Debug, Default)]
pub struct NoTorrentClient;

#[async_trait]
impl TorrentClient for NoTorrentClient {
    fn name(&self) -> &str {
        "no torrent client"
    }

    async fn add(&self, _request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        Err(TorrentClientError::Config(
            "no torrent client configured".into(),
        ))
    }

    async fn contains(&self, _info_hash: &str) -> Result<bool, TorrentClientError> {
        Ok(false)
    }

    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        Err(TorrentClientError::Config(
            "no torrent client configured".into(),
        ))
    }

    async fn files(&self, _info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        Err(TorrentClientError::Config(
            "no torrent client configured".into(),
        ))
    }

    async fn remove(
        &self,
        _info_hash: &str,
        _delete_files: bool,
    ) -> Result<(), TorrentClientError> {
        Ok(())
    }
}
