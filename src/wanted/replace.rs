//! An upgrade's old files: moved to `.musicagg-replaced` in the library once
//! the new album is in place (never deleted before), removed after
//! `[wanted] keep_replaced_days`.
//!
//! The folder's name starts with `.musicagg-`, which the library scan skips:
//! files moved there no longer count as owned.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::library::index::Library;
use crate::library::owned::album_key;
use crate::library::quality::guess_from_files;
use crate::model::{AlbumId, Quality};
use crate::release::tier_rank;
use crate::store::IndexedFile;
use crate::workflow::Workflows;

pub const REPLACED_DIR: &str = ".musicagg-replaced";

/// Moves the album's older copy aside into `.musicagg-replaced/<UTC time>/`
/// (keeping its paths), then refreshes the index. Failures are logged: the
/// new album is in place either way.
///
/// Only what is surely this album and surely worse goes:
/// - files tagged with this release group, or in a folder an earlier import
///   of this album wrote (an untagged file elsewhere, or one of another
///   release group with the same artist and title — Weezer's self-titled
///   albums — stays);
/// - never anything inside `kept` (the folder just imported);
/// - only when the new files' quality ranks strictly better than the old
///   ones' (a lossy import never moves a lossless copy; unknown qualities
///   move nothing).
///
/// A folder holding nothing but this album's audio goes whole (its cover
/// and log with it), and the new copy, put beside it by the import (`Album
/// (2020) (2)`), takes its name back: the returned path, as `kept` was
/// given (absolute or relative). In a folder shared with other albums only
/// this album's files go, one by one.
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
    let root = library.root();
    // The imported folder may be stored absolute or relative.
    let kept_rel = Path::new(kept.trim_end_matches('/'));
    let kept_rel = kept_rel
        .strip_prefix(root)
        .unwrap_or(kept_rel)
        .to_path_buf();
    // Folders earlier imports of this album wrote (relative to the library).
    let imported: Vec<PathBuf> = match w.store.album_downloads(album_id).await {
        Ok(downloads) => downloads
            .into_iter()
            .filter_map(|d| d.library_path)
            .map(|p| {
                let p = PathBuf::from(p.trim_end_matches('/'));
                p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p)
            })
            .filter(|p| *p != kept_rel && !p.as_os_str().is_empty())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "replaced files: the downloads could not be read");
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
    let (new, old): (Vec<IndexedFile>, Vec<IndexedFile>) = files
        .into_iter()
        .partition(|f| Path::new(&f.path).starts_with(&kept_rel));
    let ours = |f: &IndexedFile| {
        f.facts.tags.release_group_id.as_deref() == Some(album_id.as_str())
            || imported
                .iter()
                .any(|folder| Path::new(&f.path).starts_with(folder))
    };
    let old: Vec<IndexedFile> = old.into_iter().filter(ours).collect();
    if old.is_empty() || !strictly_better(&new, &old) {
        return None;
    }
    // Whole folders: every audio file the index knows in them is ours, no
    // folder inside, and neither the new copy nor above it.
    let mut folders: Vec<String> = old.iter().map(|f| f.folder.clone()).collect();
    folders.sort();
    folders.dedup();
    let mut whole = Vec::new();
    for folder in &folders {
        let in_folder = match w
            .store
            .library_album_files("", "", std::slice::from_ref(folder))
            .await
        {
            Ok(files) => files,
            Err(_) => continue,
        };
        let all_ours = in_folder
            .iter()
            .filter(|f| f.folder == *folder)
            .all(|f| old.iter().any(|o| o.path == f.path));
        // a folder with folders inside may hold other albums: files only
        let has_folders = std::fs::read_dir(root.join(folder))
            .map(|entries| entries.flatten().any(|e| e.path().is_dir()))
            .unwrap_or(true);
        if !folder.is_empty() && all_ours && !has_folders && !kept_rel.starts_with(folder) {
            whole.push(folder.clone());
        }
    }
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let target = root.join(REPLACED_DIR).join(&stamp);
    let move_to = |from: PathBuf, to: PathBuf| {
        let moved = to
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&from, &to));
        match moved {
            Ok(()) => {
                tracing::info!(from = %from.display(), to = %to.display(), "replaced copy moved aside");
                true
            }
            Err(e) => {
                tracing::warn!(from = %from.display(), error = %e, "could not move a replaced copy aside");
                false
            }
        }
    };
    let mut moved_aside = Vec::new();
    for folder in &whole {
        if move_to(root.join(folder), target.join(folder)) {
            moved_aside.push(folder.as_str());
        }
    }
    for file in old.iter().filter(|f| !whole.contains(&f.folder)) {
        move_to(root.join(&file.path), target.join(&file.path));
    }
    let renamed = take_back_the_name(root, kept, &moved_aside);
    if let Err(e) = library.refresh().await {
        tracing::warn!(error = %e, "library refresh after a replacement failed");
    }
    renamed
}

/// The new files' quality ranks strictly better than the old ones' (a lower
/// rank in the `any` tier); false when either cannot be told.
fn strictly_better(new: &[IndexedFile], old: &[IndexedFile]) -> bool {
    let rank = |files: &[IndexedFile]| {
        guess_from_files(files.iter().map(|f| &f.facts)).and_then(|g| tier_rank(&g, Quality::Any))
    };
    match (rank(new), rank(old)) {
        (Some(new), Some(old)) => new < old,
        _ => false,
    }
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
    // bounded: a huge setting keeps everything rather than overflowing
    let keep = chrono::TimeDelta::try_days(i64::try_from(keep_days.min(36_500)).unwrap_or(36_500))
        .unwrap_or(chrono::TimeDelta::MAX);
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
    use super::*;
    use crate::library::audio::AudioFacts;
    use crate::release::Codec;

    fn file(path: &str, codec: Codec, kbps: u32, depth: Option<u8>) -> IndexedFile {
        IndexedFile {
            path: path.into(),
            folder: path.rsplit_once('/').map_or("", |(f, _)| f).into(),
            facts: AudioFacts {
                codec,
                bit_depth: depth,
                sample_rate_hz: Some(44_100),
                bitrate_kbps: Some(kbps),
                duration_ms: 240_000,
                tags: Default::default(),
            },
        }
    }

    #[test]
    fn only_a_strictly_better_copy_replaces() {
        let flac = [
            file("A/B (FLAC)/01.flac", Codec::Flac, 900, Some(16)),
            file("A/B (FLAC)/02.flac", Codec::Flac, 880, Some(16)),
        ];
        let mp3 = [
            file("A/B/01.mp3", Codec::Mp3, 320, None),
            file("A/B/02.mp3", Codec::Mp3, 320, None),
        ];
        assert!(strictly_better(&flac, &mp3), "FLAC over MP3 320");
        assert!(!strictly_better(&mp3, &flac), "never MP3 over FLAC");
        assert!(!strictly_better(&flac, &flac), "not an equal copy");
        assert!(!strictly_better(&[], &mp3), "nothing new read");
    }

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
