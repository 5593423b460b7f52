//! An album (a MusicBrainz release group) and its tracks, as every module
//! sees it.

use serde::{Deserialize, Serialize};

use super::AlbumId;

/// An album (a MusicBrainz release group) with the tracklist of its
/// representative release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub id: AlbumId,
    pub title: String,
    /// The artist credit as printed: names joined by their join phrases.
    pub artist: String,
    /// `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, or empty when unknown.
    #[serde(default)]
    pub first_release_date: String,
    #[serde(default)]
    pub primary_type: Option<String>,
    #[serde(default)]
    pub secondary_types: Vec<String>,
    #[serde(default)]
    pub tracks: Vec<Track>,
}

impl Album {
    /// An album of which only the id is known.
    pub fn unknown(id: AlbumId) -> Self {
        Self {
            id,
            title: String::new(),
            artist: String::new(),
            first_release_date: String::new(),
            primary_type: None,
            secondary_types: Vec::new(),
            tracks: Vec::new(),
        }
    }

    /// "Artist - Title", or the id when neither is known.
    pub fn display_name(&self) -> String {
        match (self.artist.is_empty(), self.title.is_empty()) {
            (true, true) => self.id.to_string(),
            (false, false) => format!("{} - {}", self.artist, self.title),
            (true, false) => self.title.clone(),
            (false, true) => self.artist.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// 1-based medium position.
    pub disc: u32,
    /// 1-based position within the medium.
    pub position: u32,
    /// As printed on the release: "1", "A1", "1-05".
    pub number: String,
    pub title: String,
    pub length_ms: Option<u64>,
}
