//! Album metadata: what the first workflow step (FETCHING_METADATA) needs to
//! know about a release group — title, artist credit, dates, types, tracks.
//!
//! The workflow talks to a [`MetadataProvider`]. `serve` uses
//! [`PersistingMetadata`] (getAlbumWithPersist: MusicBrainz, rate-limited and
//! retried, behind the stored copy); tests of the workflow machinery use
//! doubles, and [`AlbumIdOnly`] stands in where no source is wanted.

mod mb_json;
pub mod musicbrainz;
mod persist;

pub use mb_json::escape_lucene;
pub use musicbrainz::{MusicBrainzClient, MusicBrainzError};
pub use persist::PersistingMetadata;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::model::AlbumId;
pub use crate::model::{Album, Track};

/// What the workflow gets back from a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedAlbum {
    pub album: Album,
    /// Said in the event after FETCHING_METADATA (e.g. "served from the cache").
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The album does not exist: the run ends NOT_FOUND.
    #[error("no album with id {0}")]
    NotFound(AlbumId),
    /// Anything else, after the provider's own retries: the run ends FAILED.
    #[error("{0}")]
    Unavailable(String),
}

/// One album found by a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlbumSearchHit {
    pub id: AlbumId,
    pub title: String,
    pub artist: String,
    pub year: Option<String>,
    pub primary_type: Option<String>,
    /// MusicBrainz's relevance, 0–100, relative to this query only.
    pub score: i64,
}

/// Where the workflow gets album metadata from (getAlbumWithPersist in the
/// diagram).
#[async_trait]
pub trait MetadataProvider: Send + Sync + 'static {
    async fn album(&self, id: &AlbumId) -> Result<FetchedAlbum, MetadataError>;

    /// Albums matching free text, best first.
    async fn search(
        &self,
        _query: &str,
        _limit: u32,
    ) -> Result<Vec<AlbumSearchHit>, MetadataError> {
        Err(MetadataError::Unavailable(
            "no metadata source configured".into(),
        ))
    }
}

/// The honest stand-in used until a metadata source is configured: the run
/// goes on with the album id alone, and the event says so.
#[derive(Debug, Default)]
pub struct AlbumIdOnly;

#[async_trait]
impl MetadataProvider for AlbumIdOnly {
    async fn album(&self, id: &AlbumId) -> Result<FetchedAlbum, MetadataError> {
        Ok(FetchedAlbum {
            album: Album::unknown(id.clone()),
            note: Some("no metadata source configured: continuing with the album id only".into()),
        })
    }
}
