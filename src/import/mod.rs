//! Import: a completed download's files become an album folder in the
//! library, `{Album Artist}/{Album} ({year})/{track:02} - {Title}.{ext}`.
//!
//! Blocking code, run with `spawn_blocking` by the download tracker.
//!
//! The steps, each in its own module: [`paths`] checks the client's file
//! names and finds them on disk without following links; the audio files
//! are read; [`plan`] (pure) maps them to the album's tracks
//! ([`mapping`]), checks their quality ([`quality`]) and names everything
//! ([`names`]); [`place`] writes the album folder, all or nothing.

pub mod mapping;
pub mod names;
pub mod paths;
pub mod place;
pub mod plan;
pub mod quality;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

use std::path::{Path, PathBuf};

pub use paths::{map_path, unseen_save_path};
pub use plan::{Plan, Source};

use crate::config::ImportMode;
use crate::library::audio::{self, AudioError, AudioFacts};
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
    import_with(
        request,
        &Probe {
            is_audio: audio::is_audio_path,
            read: audio::read,
        },
    )
}

/// How files are recognised and read as audio: the library's reader in
/// [`import`], a stand-in in tests.
pub struct Probe {
    pub is_audio: fn(&Path) -> bool,
    pub read: fn(&Path) -> Result<AudioFacts, AudioError>,
}

/// [`import`] with the given audio reader.
///
/// Every name is checked before anything is read (an unsafe name refuses
/// the release whether or not its file is there); only the files used, the
/// audio and the extras, must be on disk: a client lists the files it was
/// told to skip too.
pub fn import_with(request: &ImportRequest<'_>, probe: &Probe) -> Result<Imported, ImportError> {
    let mut checked = Vec::with_capacity(request.files.len());
    for file in request.files {
        let parts =
            paths::check_name(&file.name).map_err(|r| paths::unsafe_name(&file.name, &r))?;
        checked.push((file, parts));
    }
    paths::check_save_path(request.save_path)?;

    let mut found = Vec::new();
    let mut not_visible = None;
    for (file, parts) in checked {
        let is_audio = (probe.is_audio)(Path::new(&file.name));
        if !is_audio && !names::is_extra(&file.name) {
            continue;
        }
        match paths::resolve(request.save_path, &file.name, &parts) {
            Ok(path) => found.push((file, path, is_audio)),
            Err(e @ ImportError::Refused(_)) => return Err(e),
            Err(e) => not_visible = not_visible.or(Some(e)),
        }
    }
    if let Some(e) = not_visible {
        return Err(e);
    }

    let mut sources = Vec::with_capacity(found.len());
    for (file, path, is_audio) in found {
        let audio = if is_audio {
            let facts = (probe.read)(&path).map_err(|e| {
                ImportError::Refused(format!("{:?} is not readable audio: {e}", file.name))
            })?;
            Some(facts)
        } else {
            None
        };
        sources.push(Source {
            name: file.name.clone(),
            path,
            audio,
        });
    }

    let plan = plan::plan(
        request.album,
        request.quality,
        request.release_quality,
        &sources,
    )?;
    let folder = place::place(&plan, request.library, request.mode, request.download_id)?;
    Ok(Imported {
        folder,
        tracks: plan.tracks.into_iter().map(|e| e.target).collect(),
        extras: plan.extras.into_iter().map(|e| e.target).collect(),
        quality: plan.quality,
    })
}
