//! Rows as both databases return them, and their checked conversion into the
//! domain types (a corrupt row is an error, never a panic).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{DownloadRecord, StoreError};
use crate::metadata::{Album, Track};
use crate::model::{AlbumId, Event, Run, RunId};

fn album_id(table: &'static str, text: String) -> Result<AlbumId, StoreError> {
    AlbumId::parse(&text).map_err(|e| StoreError::corrupt(table, e))
}

#[derive(sqlx::FromRow)]
pub(super) struct RunRow {
    id: Uuid,
    album_id: String,
    quality: String,
    mode: String,
    status: String,
    message: String,
    last_seq: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<RunRow> for Run {
    type Error = StoreError;
    fn try_from(r: RunRow) -> Result<Self, StoreError> {
        Ok(Run {
            id: RunId(r.id),
            album_id: album_id("workflow_runs", r.album_id)?,
            quality: r.quality.parse()?,
            mode: r.mode.parse()?,
            status: r.status.parse()?,
            message: r.message,
            last_seq: r.last_seq,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    run_id: Uuid,
    seq: i64,
    album_id: String,
    quality: String,
    mode: String,
    status: String,
    message: String,
    payload: Option<Json<serde_json::Value>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(Event {
            run_id: RunId(r.run_id),
            album_id: album_id("album_events", r.album_id)?,
            quality: r.quality.parse()?,
            mode: r.mode.parse()?,
            seq: r.seq,
            status: r.status.parse()?,
            message: r.message,
            payload: r.payload.map(|Json(v)| v),
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AlbumRow {
    id: String,
    title: String,
    artist: String,
    first_release_date: String,
    primary_type: Option<String>,
    secondary_types: Json<Vec<String>>,
    fetched_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct TrackRow {
    disc: i32,
    position: i32,
    number: String,
    title: String,
    length_ms: Option<i64>,
}

impl AlbumRow {
    pub(super) fn into_album(
        self,
        tracks: Vec<TrackRow>,
    ) -> Result<(Album, DateTime<Utc>), StoreError> {
        let tracks = tracks
            .into_iter()
            .map(|t| {
                Ok(Track {
                    disc: u32::try_from(t.disc).map_err(|e| StoreError::corrupt("tracks", e))?,
                    position: u32::try_from(t.position)
                        .map_err(|e| StoreError::corrupt("tracks", e))?,
                    number: t.number,
                    title: t.title,
                    length_ms: t.length_ms.and_then(|l| u64::try_from(l).ok()),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let album = Album {
            id: album_id("albums", self.id)?,
            title: self.title,
            artist: self.artist,
            first_release_date: self.first_release_date,
            primary_type: self.primary_type,
            secondary_types: self.secondary_types.0,
            tracks,
        };
        Ok((album, self.fetched_at))
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DownloadRow {
    id: Uuid,
    album_id: String,
    quality: String,
    run_id: Option<Uuid>,
    info_hash: String,
    magnet_uri: String,
    title: String,
    indexer: String,
    release_quality: String,
    client: String,
    status: String,
    message: String,
    progress: f64,
    size_bytes: Option<i64>,
    downloaded_bytes: i64,
    progressed_at: Option<DateTime<Utc>>,
    library_path: Option<String>,
    retry_run_id: Option<Uuid>,
    blocklisted: bool,
    retry_pending: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<DownloadRow> for DownloadRecord {
    type Error = StoreError;
    fn try_from(r: DownloadRow) -> Result<Self, StoreError> {
        Ok(DownloadRecord {
            id: r.id,
            album_id: album_id("downloads", r.album_id)?,
            quality: r.quality.parse()?,
            run_id: r.run_id.map(RunId),
            info_hash: r.info_hash,
            magnet_uri: r.magnet_uri,
            title: r.title,
            indexer: r.indexer,
            release_quality: r.release_quality,
            client: r.client,
            state: r.status.parse()?,
            message: r.message,
            progress: r.progress.clamp(0.0, 1.0),
            size_bytes: r.size_bytes.and_then(|s| u64::try_from(s).ok()),
            downloaded_bytes: u64::try_from(r.downloaded_bytes).unwrap_or(0),
            progressed_at: r.progressed_at,
            library_path: r.library_path,
            retry_run_id: r.retry_run_id.map(RunId),
            blocklisted: r.blocklisted,
            retry_pending: r.retry_pending,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DownloadEventRow {
    seq: i64,
    snapshot: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl TryFrom<DownloadEventRow> for super::DownloadEvent {
    type Error = StoreError;
    fn try_from(r: DownloadEventRow) -> Result<Self, StoreError> {
        Ok(super::DownloadEvent {
            seq: r.seq,
            download: serde_json::from_value(r.snapshot.0)
                .map_err(|e| StoreError::corrupt("download_events", e))?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct LibraryFileRow {
    path: String,
    folder: String,
    facts: Json<serde_json::Value>,
}

impl TryFrom<LibraryFileRow> for super::IndexedFile {
    type Error = StoreError;
    fn try_from(r: LibraryFileRow) -> Result<Self, StoreError> {
        Ok(super::IndexedFile {
            path: r.path,
            folder: r.folder,
            facts: serde_json::from_value(r.facts.0)
                .map_err(|e| StoreError::corrupt("library_files", e))?,
        })
    }
}

/// Converts every row, failing on the first corrupt one.
pub(super) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct CandidateRow {
    accepted: bool,
    evaluation: Json<serde_json::Value>,
}

impl TryFrom<CandidateRow> for super::StoredCandidate {
    type Error = StoreError;
    fn try_from(r: CandidateRow) -> Result<Self, StoreError> {
        Ok(super::StoredCandidate {
            accepted: r.accepted,
            candidate: serde_json::from_value(r.evaluation.0)
                .map_err(|e| StoreError::corrupt("candidates", e))?,
        })
    }
}
