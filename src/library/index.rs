//! Keeps the library index in step with the disk: at start-up, after each
//! import and on `musicagg library scan`. Incremental: files with the size
//! and mtime the index already has are not read again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Mutex;

use super::owned::tags_album_key;
use super::scan::scan;
use crate::store::{Store, StoreError};

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Audio files in the library after the scan.
    pub files: u64,
    /// Files read (new or changed).
    pub read: u64,
    pub removed: u64,
    /// Audio files that could not be read, with the reason (first few).
    pub errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the library folder {0} does not exist or is not a folder")]
    NoLibrary(String),
    #[error("library scan: {0}")]
    Internal(String),
}

/// The library folder and its index; one scan at a time.
#[derive(Clone)]
pub struct Library {
    root: PathBuf,
    store: Arc<dyn Store>,
    scanning: Arc<Mutex<()>>,
}

impl Library {
    pub fn new(root: PathBuf, store: Arc<dyn Store>) -> Self {
        Self {
            root,
            store,
            scanning: Arc::default(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Walks the library and brings the index up to date.
    pub async fn refresh(&self) -> Result<ScanSummary, IndexError> {
        let _one = self.scanning.lock().await;
        if !tokio::fs::metadata(&self.root)
            .await
            .is_ok_and(|m| m.is_dir())
        {
            return Err(IndexError::NoLibrary(self.root.display().to_string()));
        }
        let known = self.store.library_known().await?;
        let root = self.root.clone();
        let outcome = tokio::task::spawn_blocking(move || scan(&root, &known))
            .await
            .map_err(|e| IndexError::Internal(e.to_string()))?;
        let changed: Vec<_> = outcome
            .changed
            .into_iter()
            .map(|file| {
                let key = tags_album_key(&file.facts.tags);
                (file, key)
            })
            .collect();
        // Big libraries are written in slices, so one transaction stays small.
        for slice in changed.chunks(500) {
            self.store.library_apply(slice, &[]).await?;
        }
        self.store.library_apply(&[], &outcome.removed).await?;
        let read = changed.len() as u64;
        let removed = outcome.removed.len() as u64;
        let files = u64::try_from(self.store.library_file_count().await?).unwrap_or(0);
        Ok(ScanSummary {
            files,
            read,
            removed,
            errors: outcome
                .errors
                .iter()
                .take(20)
                .map(|(path, why)| format!("{path}: {why}"))
                .collect(),
        })
    }
}
