//! Downloads: a torrent grabbed for an album, followed through its life
//! (`PENDING → … → IMPORTED | FAILED`), and the events of that life.
//!
//! Every change of a download is written with its event in one transaction;
//! events share one sequence across all downloads, so a watcher filtering on
//! an album (or on nothing) resumes with a single `after_seq`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StoreError;
use crate::model::{AlbumId, DownloadState, Quality, RunId, WorkflowKey};

/// A torrent and the download of it, written together before the torrent
/// client is called.
#[derive(Debug, Clone)]
pub struct NewDownload {
    pub run_id: RunId,
    pub key: WorkflowKey,
    pub info_hash: String,
    pub magnet_uri: String,
    pub torrent_file: Option<Vec<u8>>,
    pub title: String,
    pub size_bytes: Option<u64>,
    pub indexer: String,
    pub parsed_quality: String,
    pub client: String,
}

/// A `downloads` row with its torrent's title, indexer and parsed quality.
/// Serialised as the snapshot of each download event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadRecord {
    pub id: Uuid,
    pub album_id: AlbumId,
    pub quality: Quality,
    pub run_id: Option<RunId>,
    pub info_hash: String,
    /// Not in snapshots: magnets may carry tracker passkeys.
    #[serde(skip)]
    pub magnet_uri: String,
    pub title: String,
    /// The indexer the release came from.
    pub indexer: String,
    /// The release's parsed quality label ("FLAC 16-bit").
    #[serde(default)]
    pub release_quality: String,
    pub client: String,
    pub state: DownloadState,
    pub message: String,
    /// 0..1 of the wanted bytes.
    #[serde(default)]
    pub progress: f64,
    #[serde(default)]
    pub size_bytes: Option<u64>,
    #[serde(default)]
    pub downloaded_bytes: u64,
    /// When bytes (or a magnet's metadata) last arrived.
    #[serde(default)]
    pub progressed_at: Option<DateTime<Utc>>,
    /// The album folder, once imported.
    #[serde(default)]
    pub library_path: Option<String>,
    /// The run started because this download failed.
    #[serde(default)]
    pub retry_run_id: Option<RunId>,
    /// Failed for a reason that speaks against the release: the album's
    /// next runs skip it.
    #[serde(default)]
    pub blocklisted: bool,
    /// Failed, with its retry run still to start (finished at start-up
    /// after a crash).
    #[serde(default)]
    pub retry_pending: bool,
    /// Bumped by every write; a write with an older version is refused
    /// ([`StoreError::StaleDownload`]).
    #[serde(default)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DownloadRecord {
    pub fn key(&self) -> WorkflowKey {
        WorkflowKey {
            album_id: self.album_id.clone(),
            quality: self.quality,
        }
    }
}

/// One stored change of a download.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadEvent {
    /// One sequence for every download's events.
    pub seq: i64,
    /// The download after the change.
    pub download: DownloadRecord,
    pub created_at: DateTime<Utc>,
}

/// Which downloads (or download events) a caller wants; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DownloadFilter {
    pub album_id: Option<AlbumId>,
    pub download_id: Option<Uuid>,
    pub state: Option<DownloadState>,
}

impl DownloadFilter {
    /// Whether an event's download passes the filter.
    pub fn matches(&self, d: &DownloadRecord) -> bool {
        self.album_id.as_ref().is_none_or(|a| a == &d.album_id)
            && self.download_id.is_none_or(|id| id == d.id)
            && self.state.is_none_or(|s| s == d.state)
    }
}

#[async_trait]
pub trait DownloadStore: Send + Sync + 'static {
    /// Writes the torrent (kept if already known), a `pending` download and
    /// its first event in one transaction.
    async fn save_torrent_and_download(
        &self,
        download: &NewDownload,
    ) -> Result<DownloadEvent, StoreError>;

    async fn download(&self, id: Uuid) -> Result<Option<DownloadRecord>, StoreError>;

    /// Writes the download's changeable columns as they are in `download`
    /// and, with `event`, appends its event (snapshot after the change) in
    /// the same transaction. The row must still be at `download.version`
    /// ([`StoreError::StaleDownload`] otherwise); it is then at version + 1.
    async fn save_download(
        &self,
        download: &DownloadRecord,
        event: bool,
    ) -> Result<Option<DownloadEvent>, StoreError>;

    /// Downloads left `pending` (the process stopped between the row and the
    /// torrent client's answer).
    async fn pending_downloads(&self) -> Result<Vec<DownloadRecord>, StoreError>;

    /// Downloads the tracker follows: in the client, not yet terminal.
    async fn active_downloads(&self) -> Result<Vec<DownloadRecord>, StoreError>;

    /// Failed downloads whose retry run was not started (a crash between).
    async fn downloads_pending_retry(&self) -> Result<Vec<DownloadRecord>, StoreError>;

    /// Every download of an album, any quality and state, oldest first.
    async fn album_downloads(&self, album_id: &AlbumId) -> Result<Vec<DownloadRecord>, StoreError>;

    /// How many downloads are in each state (states with none are absent),
    /// by the stored state name (metrics).
    async fn download_state_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Downloads, newest first (`download_id` of the filter ignored).
    async fn list_downloads(
        &self,
        filter: &DownloadFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<DownloadRecord>, StoreError>;

    /// The newest download event's seq (0 when there is none): where a
    /// page rendered now starts its live stream, so it is sent only what
    /// happens after it was rendered.
    async fn latest_download_seq(&self) -> Result<i64, StoreError>;

    /// Events with seq > `after_seq` passing the filter's album and download
    /// (not its state), in seq order.
    async fn download_events_after(
        &self,
        filter: &DownloadFilter,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<DownloadEvent>, StoreError>;
}
