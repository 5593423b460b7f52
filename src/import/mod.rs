//! Import: a completed download's files become an album folder in the
//! library, `{Album Artist}/{Album} ({year})/{track:02} - {Title}.{ext}`.
//!
//! Blocking code, run with `spawn_blocking` by the download tracker.

use std::path::{Path, PathBuf};

use crate::config::ImportMode;
use crate::metadata::Album;
use crate::model::Quality;

/// One file of a torrent as the client lists it: the path relative to the
/// torrent's save path (`/`-separated, with the torrent's root folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFile {
    pub name: String,
    pub size: u64,
}

/// Everything an import needs.
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    pub album: &'a Album,
    /// The tier the album was asked for.
    pub quality: Quality,
    /// The grabbed release's title and its parsed quality label (as stored
    /// with the torrent, e.g. "FLAC 16-bit").
    pub release_title: &'a str,
    pub release_quality: &'a str,
    /// The torrent's save path, already mapped to this machine.
    pub save_path: &'a Path,
    pub files: &'a [ClientFile],
    /// `[library] path`.
    pub library: &'a Path,
    pub mode: ImportMode,
    /// Names the temporary folder, so that a crash leaves a recognisable one.
    pub download_id: uuid::Uuid,
}

/// A finished import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The album folder, inside the library.
    pub folder: PathBuf,
    /// Audio files placed (relative to `folder`).
    pub tracks: Vec<String>,
    /// Other files placed beside them (cover, cue, log).
    pub extras: Vec<String>,
    /// "FLAC 16-bit 44.1 kHz" — what the files are.
    pub quality: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The save path (or a file in it) is not visible here: our
    /// configuration, not the release (wait, do not blocklist).
    #[error("{0}")]
    NotVisible(String),
    /// Not this album, not the grabbed quality, or unsafe file names: the
    /// release is refused (FAILED, blocklisted, retried).
    #[error("{0}")]
    Refused(String),
    /// Writing to the library failed (disk full, permissions): retried later.
    #[error("{0}")]
    Io(String),
}

/// Checks the files and places the album (blocking).
pub fn import(request: &ImportRequest<'_>) -> Result<Imported, ImportError> {
    let _ = request;
    todo!("import::import")
}

/// The client's path as this machine sees it (longest mapping prefix wins).
pub fn map_path(remote: &str, mappings: &[crate::config::PathMapping]) -> PathBuf {
    let _ = mappings;
    PathBuf::from(remote)
}
