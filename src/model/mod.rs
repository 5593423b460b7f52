//! Domain vocabulary shared by every module: album ids, qualities, workflow
//! statuses, runs and their events, albums, candidates and downloads. It sits
//! below every other module (it imports none of them), so that `metadata`,
//! `release`, `store` and `workflow` all speak it without depending on each
//! other.
//!
//! Values that come from outside (gRPC, CLI, the database) are parsed into
//! these types once, at the edge; inside the library they are always valid.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod album;
mod candidate;
mod download;
mod offer;

pub use album::{Album, Track};
pub use candidate::CandidateSummary;
pub use download::{DownloadState, DownloadSummary};
pub use offer::{Offer, OfferedCandidate};

/// A MusicBrainz release-group MBID, validated and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AlbumId(String);

/// Why a text is not an [`AlbumId`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "album id {0:?} is not a MusicBrainz id (a UUID such as 1b022e01-4da6-387b-8658-8678046e4cef)"
)]
pub struct InvalidAlbumId(pub String);

impl AlbumId {
    /// Accepts the UUID text form `8-4-4-4-12` in any case; MusicBrainz does not
    /// require the version nibble, so neither do we. The all-zero id is refused
    /// (MusicBrainz answers 400 for it).
    pub fn parse(text: &str) -> Result<Self, InvalidAlbumId> {
        let trimmed = text.trim();
        let shape_ok = trimmed.len() == 36
            && trimmed.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if !shape_ok || trimmed.chars().all(|c| c == '0' || c == '-') {
            return Err(InvalidAlbumId(text.chars().take(64).collect()));
        }
        Ok(Self(trimmed.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AlbumId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AlbumId {
    type Error = InvalidAlbumId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AlbumId> for String {
    fn from(id: AlbumId) -> String {
        id.0
    }
}

/// The quality tier a client asks for. Stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    Any,
    Lossless,
    LosslessHires,
    Mp3_320,
    Mp3V0,
    LossyHigh,
}

impl Quality {
    pub const ALL: [Quality; 6] = [
        Quality::Any,
        Quality::Lossless,
        Quality::LosslessHires,
        Quality::Mp3_320,
        Quality::Mp3V0,
        Quality::LossyHigh,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Any => "any",
            Quality::Lossless => "lossless",
            Quality::LosslessHires => "lossless_hires",
            Quality::Mp3_320 => "mp3_320",
            Quality::Mp3V0 => "mp3_v0",
            Quality::LossyHigh => "lossy_high",
        }
    }
}

impl Quality {
    /// The name users type and read (`musicagg monitor --quality …`).
    pub fn label(self) -> &'static str {
        match self {
            Quality::Any => "any",
            Quality::Lossless => "lossless",
            Quality::LosslessHires => "hires",
            Quality::Mp3_320 => "mp3-320",
            Quality::Mp3V0 => "mp3-v0",
            Quality::LossyHigh => "lossy",
        }
    }
}

/// Shows the user's name ([`Quality::label`]); the database keeps
/// [`Quality::as_str`].
impl fmt::Display for Quality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A name that is not one of ours (a corrupt row, a typo).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for Quality {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quality::ALL
            .into_iter()
            .find(|q| q.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "quality",
                value: s.to_owned(),
            })
    }
}

/// How a run picks its release: the best acceptable one by itself, or the one
/// a client chooses from the offer of every candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorMode {
    #[default]
    Automatic,
    Manual,
}

impl MonitorMode {
    pub const ALL: [MonitorMode; 2] = [MonitorMode::Automatic, MonitorMode::Manual];

    /// The name stored in the database (and shown).
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorMode::Automatic => "automatic",
            MonitorMode::Manual => "manual",
        }
    }
}

impl fmt::Display for MonitorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MonitorMode {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MonitorMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "monitor mode",
                value: s.to_owned(),
            })
    }
}

/// The steps and outcomes of a monitor workflow, in the order a run goes
/// through them. The last six are terminal: a run has exactly one of them, as
/// its last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowStatus {
    FetchingMetadata,
    CheckingOwned,
    Searching,
    ParsingResults,
    /// Manual mode only: the candidates are offered, a choice awaited.
    AwaitingChoice,
    AddingTorrent,
    Complete,
    AlreadyOwned,
    NotFound,
    NoResults,
    Failed,
    Cancelled,
}

impl WorkflowStatus {
    pub const ALL: [WorkflowStatus; 12] = [
        WorkflowStatus::FetchingMetadata,
        WorkflowStatus::CheckingOwned,
        WorkflowStatus::Searching,
        WorkflowStatus::ParsingResults,
        WorkflowStatus::AwaitingChoice,
        WorkflowStatus::AddingTorrent,
        WorkflowStatus::Complete,
        WorkflowStatus::AlreadyOwned,
        WorkflowStatus::NotFound,
        WorkflowStatus::NoResults,
        WorkflowStatus::Failed,
        WorkflowStatus::Cancelled,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            WorkflowStatus::Complete
                | WorkflowStatus::AlreadyOwned
                | WorkflowStatus::NotFound
                | WorkflowStatus::NoResults
                | WorkflowStatus::Failed
                | WorkflowStatus::Cancelled
        )
    }

    /// The name stored in the database (the protobuf name without its prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::FetchingMetadata => "FETCHING_METADATA",
            WorkflowStatus::CheckingOwned => "CHECKING_OWNED",
            WorkflowStatus::Searching => "SEARCHING",
            WorkflowStatus::ParsingResults => "PARSING_RESULTS",
            WorkflowStatus::AwaitingChoice => "AWAITING_CHOICE",
            WorkflowStatus::AddingTorrent => "ADDING_TORRENT",
            WorkflowStatus::Complete => "COMPLETE",
            WorkflowStatus::AlreadyOwned => "ALREADY_OWNED",
            WorkflowStatus::NotFound => "NOT_FOUND",
            WorkflowStatus::NoResults => "NO_RESULTS",
            WorkflowStatus::Failed => "FAILED",
            WorkflowStatus::Cancelled => "CANCELLED",
        }
    }
}

impl fmt::Display for WorkflowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WorkflowStatus {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkflowStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName {
                kind: "workflow status",
                value: s.to_owned(),
            })
    }
}

/// One workflow run's id. Version 7 UUIDs sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunId(pub Uuid);

impl RunId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(text: &str) -> Result<Self, uuid::Error> {
        Uuid::parse_str(text.trim()).map(Self)
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What makes two requests "the same workflow": at most one runs per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkflowKey {
    pub album_id: AlbumId,
    pub quality: Quality,
}

impl fmt::Display for WorkflowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.album_id, self.quality)
    }
}

/// A workflow run as stored in `workflow_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: RunId,
    pub album_id: AlbumId,
    pub quality: Quality,
    pub mode: MonitorMode,
    /// The status of the latest event.
    pub status: WorkflowStatus,
    pub message: String,
    pub last_seq: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set together with the terminal event, in the same transaction.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Run {
    pub fn key(&self) -> WorkflowKey {
        WorkflowKey {
            album_id: self.album_id.clone(),
            quality: self.quality,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

/// One stored event of a run (`album_events`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub run_id: RunId,
    pub album_id: AlbumId,
    pub quality: Quality,
    /// The run's mode (copied from the run when the event is written).
    pub mode: MonitorMode,
    pub seq: i64,
    pub status: WorkflowStatus,
    pub message: String,
    /// Terminal events carry the run's [`Outcome`]; steps may carry details.
    pub payload: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl Event {
    /// The offer of a manual run, when this event is its offer.
    pub fn offer(&self) -> Option<Offer> {
        Offer::from_payload(self.payload.as_ref())
    }

    /// The outcome stored with a terminal event (empty for other events or an
    /// unreadable payload: the status and message still tell the story).
    pub fn outcome(&self) -> Outcome {
        self.payload
            .as_ref()
            .and_then(|p| serde_json::from_value(p.clone()).ok())
            .unwrap_or_default()
    }
}

/// What a run ended with, beyond its status and message. Stored as the
/// terminal event's payload so that every client, early or late, receives the
/// same final response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<Album>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<CandidateSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<DownloadSummary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<CandidateSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn album_ids_are_validated_and_lowercased() {
        let id = AlbumId::parse(" 1B022E01-4DA6-387B-8658-8678046E4CEF ").unwrap();
        assert_eq!(id.as_str(), "1b022e01-4da6-387b-8658-8678046e4cef");
        for bad in [
            "",
            "not-a-uuid",
            "1b022e01-4da6-387b-8658-8678046e4ce",
            "1b022e01-4da6-387b-8658-8678046e4cefa",
            "1b022e014da6-387b-8658-8678046e4cef0",
            "1b022e01-4da6-387b-8658-8678046e4ceg",
            "00000000-0000-0000-0000-000000000000",
            "é022e01-4da6-387b-8658-8678046e4cef",
        ] {
            assert!(AlbumId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_round_trip() {
        for q in Quality::ALL {
            assert_eq!(q.as_str().parse::<Quality>(), Ok(q));
        }
        for s in WorkflowStatus::ALL {
            assert_eq!(s.as_str().parse::<WorkflowStatus>(), Ok(s));
        }
        for m in MonitorMode::ALL {
            assert_eq!(m.as_str().parse::<MonitorMode>(), Ok(m));
        }
        for d in DownloadState::ALL {
            assert_eq!(d.as_str().parse::<DownloadState>(), Ok(d));
        }
        // Payloads written before the download's life was tracked.
        let old: DownloadSummary = serde_json::from_value(serde_json::json!({
            "id": "0190b8f6-0000-7000-8000-000000000000", "info_hash": "ab",
            "client": "qbittorrent", "status": "added"
        }))
        .unwrap();
        assert_eq!(old.state, DownloadState::Queued);
        assert!("lossless ".parse::<Quality>().is_err());
    }

    #[test]
    fn exactly_six_statuses_are_terminal() {
        let terminal = WorkflowStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .count();
        assert_eq!(terminal, 6);
        assert!(!WorkflowStatus::AddingTorrent.is_terminal());
        assert!(!WorkflowStatus::AwaitingChoice.is_terminal());
    }
}
