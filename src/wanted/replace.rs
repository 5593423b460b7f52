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
///
/// The import put the new copy beside the old one (`Album (2020) (2)`):
/// once the old folder has moved, the new one takes its name back. Returns
/// the kept folder's new path then (as `kept` was given: absolute or
/// relative to the library).
pub(super) async fn move_older_copies(
    w: &Workflows,
    library: &Library,
    album_id: &AlbumId,
    kept: &str,
) -> Option<String> {
    let album = match w.store.album(album_id).await {
        Ok(Some((album, _))) => album,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "replaced files: the album could not be read");
            return None;
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
            return None;
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
        return None;
    }
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let target = library.root().join(REPLACED_DIR).join(&stamp);
    let mut moved_aside = Vec::new();
    for folder in &folders {
        let from = library.root().join(folder);
        let to = target.join(folder);
        let moved = to
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&from, &to));
        match moved {
            Ok(()) => {
                tracing::info!(from = %from.display(), to = %to.display(), "replaced album moved aside");
                moved_aside.push(folder.as_str());
            }
            Err(e) => {
                tracing::warn!(from = %from.display(), error = %e, "could not move a replaced album aside")
            }
        }
    }
    let renamed = take_back_the_name(library.root(), kept, &moved_aside);
    if let Err(e) = library.refresh().await {
        tracing::warn!(error = %e, "library refresh after a replacement failed");
    }
    renamed
}

/// `Artist/Album (2020) (2)` → `Artist/Album (2020)` when the folder moved
/// aside had that name and nothing has taken it since.
fn take_back_the_name(root: &Path, kept: &str, moved: &[&str]) -> Option<String> {
    let kept_path = Path::new(kept);
    let absolute = if kept_path.is_absolute() {
        kept_path.to_path_buf()
    } else {
        root.join(kept_path)
    };
    let name = absolute.file_name()?.to_str()?;
    let (base, counter) = name.strip_suffix(')')?.rsplit_once(" (")?;
    if base.is_empty() || counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let target = absolute.with_file_name(base);
    let relative = target.strip_prefix(root).ok()?;
    if !moved.iter().any(|m| Path::new(m) == relative) || target.symlink_metadata().is_ok() {
        return None;
    }
    match std::fs::rename(&absolute, &target) {
        Ok(()) => {
            tracing::info!(from = %absolute.display(), to = %target.display(), "the upgrade took the replaced album's name");
            let shown = if kept_path.is_absolute() {
                target
            } else {
                relative.to_path_buf()
            };
            Some(shown.display().to_string())
        }
        Err(e) => {
            tracing::warn!(from = %absolute.display(), error = %e, "could not give the upgrade the replaced album's name");
            None
        }
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

#[cfg(test)]
mod tests {
    use super::take_back_the_name;

    #[test]
    fn the_upgrade_takes_back_the_name_of_the_folder_moved_aside() {
        let root = tempfile::tempdir().unwrap();
        let kept = root.path().join("Artist/Album (2020) (2)");
        std::fs::create_dir_all(&kept).unwrap();
        // Not moved aside: the name stays.
        assert_eq!(
            take_back_the_name(root.path(), kept.to_str().unwrap(), &[]),
            None
        );
        // Moved aside, relative form in, relative form out.
        assert_eq!(
            take_back_the_name(
                root.path(),
                "Artist/Album (2020) (2)",
                &["Artist/Album (2020)"]
            )
            .as_deref(),
            Some("Artist/Album (2020)")
        );
        assert!(root.path().join("Artist/Album (2020)").is_dir());
        // A name without a counter, or one taken again, is left alone.
        let plain = root.path().join("Artist/Other");
        std::fs::create_dir_all(&plain).unwrap();
        assert_eq!(
            take_back_the_name(root.path(), plain.to_str().unwrap(), &["Artist"]),
            None
        );
        let again = root.path().join("Artist/Album (2020) (3)");
        std::fs::create_dir_all(&again).unwrap();
        assert_eq!(
            take_back_the_name(
                root.path(),
                again.to_str().unwrap(),
                &["Artist/Album (2020)"]
            ),
            None
        );
    }
}
