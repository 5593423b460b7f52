//! The library index: one row per audio file under `[library] path`, with
//! what identifies its album and its quality.

use std::collections::HashMap;

use async_trait::async_trait;

use super::StoreError;
use crate::library::audio::AudioFacts;
use crate::library::scan::{Known, LibraryFile};

/// An indexed file as the owned check reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedFile {
    /// Relative to the library root.
    pub path: String,
    /// Its folder, relative to the library root.
    pub folder: String,
    pub facts: AudioFacts,
}

#[async_trait]
pub trait LibraryIndex: Send + Sync + 'static {
    /// Size and mtime of every indexed file (what a scan need not read again).
    async fn library_known(&self) -> Result<HashMap<String, Known>, StoreError>;

    /// Writes new and changed files and drops removed ones, in one
    /// transaction. `album_key` of each file is computed by the caller.
    async fn library_apply(
        &self,
        changed: &[(LibraryFile, String)],
        removed: &[String],
    ) -> Result<(), StoreError>;

    /// Files that belong to an album by any of: its release-group id tag, its
    /// album key, or their folder.
    async fn library_album_files(
        &self,
        release_group_id: &str,
        album_key: &str,
        folders: &[String],
    ) -> Result<Vec<IndexedFile>, StoreError>;

    async fn library_file_count(&self) -> Result<i64, StoreError>;

    /// Indexed audio files and the album folders holding them (metrics).
    async fn library_size(&self) -> Result<(i64, i64), StoreError>;
}
