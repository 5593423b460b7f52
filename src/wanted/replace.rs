//! An upgrade's old files: moved to `.musicagg-replaced` in the library once
//! the new album is in place (never deleted before), removed after
//! `[wanted] keep_replaced_days`.
//!
//! The folder's name starts with `.musicagg-`, which the library scan skips:
//! files moved there no longer count as owned.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::library::index::Library;
use crate::library::owned::album_key;
use crate::model::AlbumId;
use crate::workflow::Workflows;

pub const REPLACED_DIR: &str = ".musicagg-replaced";

/// Moves every library folder of the album other than `kept` (the one just
/// imported) into `.musicagg-replaced/<UTC time>/`, then refreshes the
/// index. Failures are logged: the new album is in place either way.
pub(super) async fn move_older_copies(
    w: &Workflows,
    library: &Library,
    album_id: &AlbumId,
    kept: &str,
) {
    let album = match w.store.album(album_id).await {
        Ok(Some((album, _))) => album,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "replaced files: the album could not be read");
            return;
        }
    };
    let key = album_key(&album.artist, &album.title);
    let files = match w
        .store
        .library_album_files(album_id.as_str(), &key, &[])
        .await
    {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!(error = %e, "replaced files: the index could not be read");
            return;
        }
    };
    let kept = kept.trim_end_matches('/');
    let mut folders: Vec<String> = files
        .into_iter()
        .map(|f| f.folder)
        .filter(|folder| {
            let root = library.root();
            // The imported folder may be stored absolute or relative.
            folder != kept && root.join(folder) != Path::new(kept) && !folder.is_empty()
        })
        .collect();
    folders.sort();
    folders.dedup();
    if folders.is_empty() {
        return;
    }
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let target = library.root().join(REPLACED_DIR).join(&stamp);
    for folder in &folders {
        let from = library.root().join(folder);
        let to = target.join(folder);
        let moved = to
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&from, &to));
        match moved {
            Ok(()) => {
                tracing::info!(from = %from.display(), to = %to.display(), "replaced album moved aside")
            }
            Err(e) => {
                tracing::warn!(from = %from.display(), error = %e, "could not move a replaced album aside")
            }
        }
    }
    if let Err(e) = library.refresh().await {
        tracing::warn!(error = %e, "library refresh after a replacement failed");
    }
}

/// Removes the replaced folders older than `keep_days`.
pub(super) fn purge(root: &Path, keep_days: u64, now: DateTime<Utc>) {
    let Ok(entries) = std::fs::read_dir(root.join(REPLACED_DIR)) else {
        return;
    };
    let keep = chrono::TimeDelta::days(i64::try_from(keep_days).unwrap_or(i64::MAX / 86_400_000));
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(at) = name
            .to_str()
            .and_then(|n| chrono::NaiveDateTime::parse_from_str(n, "%Y%m%dT%H%M%SZ").ok())
        else {
            continue;
        };
        if now - at.and_utc() > keep
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e, "could not purge replaced files");
        }
    }
}
