//! Durable state: albums, workflow runs, their events, torrents and
//! downloads.
//!
//! One [`Store`] interface, two implementations that pass one test suite:
//! PostgreSQL (production, the diagram's database) and SQLite (the embedded
//! default, so that `musicagg serve` needs nothing installed). Both run the
//! same SQL (see `sql.rs`); only the schema files under `migrations/` differ
//! in column types.
//!
//! The store is the truth about runs: an event is committed here before it is
//! published on the `EventBus`, and [`Store::append_event`] is the only way a
//! run changes, so a run's row and its events never disagree.

mod downloads;
mod library;
mod offers;
mod postgres;
mod rows;
mod sql;
pub(crate) mod sql_downloads;
mod sql_library;
mod sql_offers;
mod sql_wanted;
mod sqlite;
mod wanted;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::metadata::Album;
use crate::model::{
    AlbumId, Event, MonitorMode, Run, RunId, UnknownName, WorkflowKey, WorkflowStatus,
};

pub use downloads::{DownloadEvent, DownloadFilter, DownloadRecord, DownloadStore, NewDownload};
pub use library::{IndexedFile, LibraryIndex};
pub use offers::{Decision, OfferStore, StoredOffer};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use wanted::{WantedRecord, WantedState, WantedStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row that our code did not write (or a newer version did).
    #[error("unreadable row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("no run with id {0}")]
    RunNotFound(RunId),
    /// The run already has its terminal event: nothing may follow it.
    #[error("run {0} has already finished")]
    RunFinished(RunId),
    /// Another unfinished run holds this album and quality.
    #[error("a run of {0} is already in progress")]
    AlreadyRunning(WorkflowKey),
    /// The download changed since it was read (another writer got there
    /// first): read it again.
    #[error("download {0} changed since it was read")]
    StaleDownload(uuid::Uuid),
    #[error("unsupported database URL {0:?}: use postgres://… or sqlite:…")]
    UnsupportedUrl(String),
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            table,
            reason: e.to_string(),
        }
    }
}

impl From<UnknownName> for StoreError {
    fn from(e: UnknownName) -> Self {
        StoreError::corrupt("a status column", e)
    }
}

/// Filters of [`Store::list_runs`]; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub album_id: Option<AlbumId>,
    pub status: Option<WorkflowStatus>,
}

#[async_trait]
pub trait Store:
    DownloadStore + LibraryIndex + OfferStore + WantedStore + Send + Sync + 'static
{
    /// Writes a new run (status FETCHING_METADATA, no events yet).
    /// [`StoreError::AlreadyRunning`] if an unfinished run holds the key,
    /// whatever its mode.
    async fn create_run_as(
        &self,
        id: RunId,
        key: &WorkflowKey,
        mode: MonitorMode,
    ) -> Result<Run, StoreError>;

    /// [`Store::create_run_as`] an automatic run.
    async fn create_run(&self, id: RunId, key: &WorkflowKey) -> Result<Run, StoreError> {
        self.create_run_as(id, key, MonitorMode::Automatic).await
    }

    /// Appends the run's next event (seq = previous + 1) and updates the run
    /// row in the same transaction; a terminal status also finishes the run.
    /// [`StoreError::RunFinished`] once the run has its terminal event, so a
    /// run has exactly one terminal event whoever races to write it.
    async fn append_event(
        &self,
        run_id: RunId,
        status: WorkflowStatus,
        message: &str,
        payload: Option<&serde_json::Value>,
    ) -> Result<Event, StoreError>;

    async fn run(&self, id: RunId) -> Result<Option<Run>, StoreError>;

    /// The newest run of an album at a quality, finished or not.
    async fn latest_run(&self, key: &WorkflowKey) -> Result<Option<Run>, StoreError>;

    /// Runs, newest first.
    async fn list_runs(
        &self,
        filter: &RunFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Run>, StoreError>;

    /// Runs without a terminal event (at start-up: runs a dead process left).
    async fn unfinished_runs(&self) -> Result<Vec<Run>, StoreError>;

    /// Events of one run with seq > `after_seq`, in seq order.
    async fn events_after(
        &self,
        run_id: RunId,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError>;

    /// Events of every run of an album: runs oldest first, each in seq order.
    async fn album_events(
        &self,
        album_id: &AlbumId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError>;

    /// Inserts or replaces an album and its tracks.
    async fn save_album(&self, album: &Album) -> Result<(), StoreError>;

    async fn album(&self, id: &AlbumId) -> Result<Option<(Album, DateTime<Utc>)>, StoreError>;

    /// Records that MusicBrainz merged `alias` into `canonical` (the album
    /// must be saved first).
    async fn save_album_alias(
        &self,
        alias: &AlbumId,
        canonical: &AlbumId,
    ) -> Result<(), StoreError>;

    /// The canonical id of a merged album id we have seen, if any.
    async fn canonical_album_id(&self, id: &AlbumId) -> Result<Option<AlbumId>, StoreError>;

    /// Stores a run's evaluated candidates (replacing any stored before).
    async fn save_candidates(
        &self,
        run_id: RunId,
        candidates: &[StoredCandidate],
    ) -> Result<(), StoreError>;

    /// A run's candidates in their stored order.
    async fn candidates(&self, run_id: RunId) -> Result<Vec<StoredCandidate>, StoreError>;
}

/// One evaluated release of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCandidate {
    pub accepted: bool,
    pub candidate: crate::release::CandidateSummary,
}

/// Opens the database named by `url` and applies its migrations:
/// `postgres://…` or `postgresql://…` for PostgreSQL, `sqlite:…` for SQLite
/// (the file is created when missing).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
