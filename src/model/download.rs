//! The download vocabulary: its states, and what a run's outcome says of it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::UnknownName;

/// A download as reported with a run's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadSummary {
    pub id: Uuid,
    pub info_hash: String,
    pub client: String,
    /// Older payloads said `status` (`added` = queued).
    #[serde(alias = "status")]
    pub state: DownloadState,
}

/// The life of a download after the grab:
/// `PENDING → QUEUED → DOWNLOADING ⇄ STALLED → COMPLETED → IMPORTING →
/// IMPORTED`, or `FAILED`. `Pending` is written before the torrent client is
/// called (start-up reconciliation settles any left behind); the download
/// tracker moves the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    Pending,
    /// In the client, waiting (its queue, hash check, or paused).
    #[serde(alias = "added")]
    Queued,
    Downloading,
    /// Wants data, nobody sends it (or a magnet without metadata yet).
    Stalled,
    /// Every byte is there; waiting for (or without) an import.
    Completed,
    Importing,
    Imported,
    Failed,
}

impl DownloadState {
    pub const ALL: [DownloadState; 8] = [
        DownloadState::Pending,
        DownloadState::Queued,
        DownloadState::Downloading,
        DownloadState::Stalled,
        DownloadState::Completed,
        DownloadState::Importing,
        DownloadState::Imported,
        DownloadState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DownloadState::Pending => "pending",
            DownloadState::Queued => "queued",
            DownloadState::Downloading => "downloading",
            DownloadState::Stalled => "stalled",
            DownloadState::Completed => "completed",
            DownloadState::Importing => "importing",
            DownloadState::Imported => "imported",
            DownloadState::Failed => "failed",
        }
    }

    /// Nothing follows these.
    pub fn is_terminal(self) -> bool {
        matches!(self, DownloadState::Imported | DownloadState::Failed)
    }

    /// In the client and on its way (not failed, not yet in the library).
    pub fn is_in_flight(self) -> bool {
        !self.is_terminal()
    }
}

impl fmt::Display for DownloadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DownloadState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DownloadState::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "download state",
                value: s.to_owned(),
            })
    }
}
