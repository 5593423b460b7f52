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
use crate::library::quality::guess_from_files;
use crate::model::{AlbumId, Quality};
use crate::release::tier_rank;
use crate::store::IndexedFile;
use crate::workflow::Workflows;

pub const REPLACED_DIR: &str = ".musicagg-replaced";

/// Moves the album's older audio files aside into
/// `.musicagg-replaced/<UTC time>/` (keeping their paths), then refreshes
/// the index. Failures are logged: the new album is in place either way.
///
/// Only what is surely this album and surely worse goes:
/// - files tagged with this release group (an untagged file, or one of
///   another release group with the same artist and title — Weezer's
///   self-titled albums — stays);
/// - never anything inside `kept` (the folder just imported), and never a
///   folder: files one by one, so a folder shared with other albums keeps
///   them;
/// - only when the new files' quality ranks strictly better than the old
///   ones' (a lossy import never moves a lossless copy; unknown qualities
///   move nothing).
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
    let root = library.root();
    // The imported folder may be stored absolute or relative.
    let kept = Path::new(kept.trim_end_matches('/'));
    let kept = kept.strip_prefix(root).unwrap_or(kept);
    let (new, old): (Vec<IndexedFile>, Vec<IndexedFile>) = files
        .into_iter()
        .partition(|f| Path::new(&f.path).starts_with(kept));
    let old: Vec<IndexedFile> = old
        .into_iter()
        .filter(|f| f.facts.tags.release_group_id.as_deref() == Some(album_id.as_str()))
        .collect();
    if old.is_empty() || !strictly_better(&new, &old) {
        return;
    }
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let target = root.join(REPLACED_DIR).join(&stamp);
    for file in &old {
        let from = root.join(&file.path);
        let to = target.join(&file.path);
        let moved = to
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(&from, &to));
        match moved {
            Ok(()) => {
                tracing::info!(from = %from.display(), to = %to.display(), "replaced file moved aside")
            }
            Err(e) => {
                tracing::warn!(from = %from.display(), error = %e, "could not move a replaced file aside")
            }
        }
    }
    if let Err(e) = library.refresh().await {
        tracing::warn!(error = %e, "library refresh after a replacement failed");
    }
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
}
