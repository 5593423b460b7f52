//! The wanted list: albums kept monitored until the library holds them at
//! their cutoff.
//!
//! One row per album. The store keeps the row and answers the scheduler's
//! question ("which albums are due, oldest search first") with one indexed
//! query; what a state means and when it changes is the `wanted` module's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::model::{AlbumId, Quality, UnknownName};

/// Where a wanted album stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WantedState {
    /// Searched for (RSS and the schedule).
    Wanted,
    /// A release is on its way; RSS and the schedule leave it alone until
    /// the download is imported (→ satisfied or wanted for an upgrade) or
    /// fails without a retry (→ wanted).
    Grabbed,
    /// In the library at its cutoff: nothing more to do.
    Satisfied,
    /// Kept on the list, not searched (the album does not exist, or the
    /// user said so).
    Paused,
}

impl WantedState {
    pub const ALL: [WantedState; 4] = [
        WantedState::Wanted,
        WantedState::Grabbed,
        WantedState::Satisfied,
        WantedState::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WantedState::Wanted => "wanted",
            WantedState::Grabbed => "grabbed",
            WantedState::Satisfied => "satisfied",
            WantedState::Paused => "paused",
        }
    }
}

impl std::fmt::Display for WantedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str().to_uppercase())
    }
}

impl std::str::FromStr for WantedState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WantedState::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "wanted state",
                value: s.to_owned(),
            })
    }
}

/// One album of the wanted list.
#[derive(Debug, Clone, PartialEq)]
pub struct WantedRecord {
    pub album_id: AlbumId,
    /// The tier wanted: runs of this album use it.
    pub quality: Quality,
    /// The tier at which upgrading stops.
    pub cutoff: Quality,
    pub state: WantedState,
    /// Scheduled searches since the album was added or last grabbed.
    pub attempts: i32,
    /// What happened last, in words.
    pub message: String,
    pub added_at: DateTime<Utc>,
    pub last_searched_at: Option<DateTime<Utc>>,
    pub next_search_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl WantedRecord {
    /// A new entry, due now.
    pub fn new(album_id: AlbumId, quality: Quality, cutoff: Quality, now: DateTime<Utc>) -> Self {
        Self {
            album_id,
            quality,
            cutoff,
            state: WantedState::Wanted,
            attempts: 0,
            message: "added".into(),
            added_at: now,
            last_searched_at: None,
            next_search_at: Some(now),
            updated_at: now,
        }
    }
}

#[async_trait]
pub trait WantedStore: Send + Sync + 'static {
    /// Inserts `record`; an album already listed keeps its row unless
    /// `replace` (then its quality, cutoff, state and schedule are those of
    /// `record`; `added_at` is kept). True when a row was inserted.
    async fn put_wanted(&self, record: &WantedRecord, replace: bool) -> Result<bool, StoreError>;

    async fn wanted(&self, album_id: &AlbumId) -> Result<Option<WantedRecord>, StoreError>;

    /// The list, oldest first; `state` None means every state.
    async fn list_wanted(
        &self,
        state: Option<WantedState>,
    ) -> Result<Vec<WantedRecord>, StoreError>;

    /// The artist and title of every listed album whose metadata is stored,
    /// in one query (a list page shows them all).
    async fn wanted_album_names(&self) -> Result<Vec<(AlbumId, String, String)>, StoreError>;

    /// True when the album was on the list.
    async fn remove_wanted(&self, album_id: &AlbumId) -> Result<bool, StoreError>;

    /// Writes the mutable fields (state, attempts, message, schedule) of an
    /// album still on the list; with `read_at`, only if the row was not
    /// written since it was read (its `updated_at` is still `read_at`).
    /// False when nothing was written.
    async fn update_wanted(
        &self,
        record: &WantedRecord,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool, StoreError>;

    /// [`update_wanted`](Self::update_wanted) unconditionally; false when
    /// the album is no longer listed.
    async fn save_wanted(&self, record: &WantedRecord) -> Result<bool, StoreError> {
        self.update_wanted(record, None).await
    }

    /// Only if the row was not written since it was read: a run that ended
    /// meanwhile wrote a fresher state, which a stale record must not
    /// overwrite.
    async fn save_wanted_if_unchanged(
        &self,
        record: &WantedRecord,
        read_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.update_wanted(record, Some(read_at)).await
    }

    /// WANTED albums whose `next_search_at` has come, never-searched first,
    /// then oldest `last_searched_at` first; at most `limit`.
    async fn due_wanted(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WantedRecord>, StoreError>;
}
