//! Walks `[library] path` and reads the audio files that are new or changed
//! (by size and mtime) since the last scan.

use std::collections::HashMap;
use std::path::Path;

use super::audio::AudioFacts;

/// One audio file of the library as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryFile {
    /// Path relative to the library root, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Modification time, milliseconds since the Unix epoch.
    pub mtime_ms: i64,
    pub facts: AudioFacts,
}

/// Size and mtime of a file already in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub size: u64,
    pub mtime_ms: i64,
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// New or changed files, read again.
    pub changed: Vec<LibraryFile>,
    /// Files of `known` that are no longer there (relative paths).
    pub removed: Vec<String>,
    /// Files of `known` with the same size and mtime (not read).
    pub unchanged: usize,
    /// Audio files that could not be read: (relative path, reason).
    pub errors: Vec<(String, String)>,
}

/// Walks `root` (blocking). Never follows symbolic links; skips our own
/// temporary import folders (names starting with `.musicagg-`).
pub fn scan(root: &Path, known: &HashMap<String, Known>) -> ScanOutcome {
    let _ = (root, known);
    todo!("library::scan::scan")
}
