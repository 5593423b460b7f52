//! "Owned" is a fact on disk: the library holds the album at a quality in
//! the asked tier, or a download of it in that tier is on its way. An
//! imported album whose folder was deleted is not owned any more.

use std::path::Path;

use crate::metadata::Album;
use crate::model::{DownloadState, Quality};
use crate::release::{match_key, quality_label, tier_rank};
use crate::store::{DownloadRecord, IndexedFile, Store, StoreError};

use super::audio::AudioTags;
use super::quality::guess_from_files;

/// Why an album counts as owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    /// Files in the library: the album folder (relative) and their quality.
    InLibrary { folder: String, quality: String },
    /// A download of it in the tier, not failed, not yet imported (or done,
    /// when no library is configured).
    Downloading(Box<DownloadRecord>),
}

impl Owned {
    /// The ALREADY_OWNED message.
    pub fn message(&self) -> String {
        match self {
            Owned::InLibrary { folder, quality } => {
                format!("in your library at {folder} ({quality})")
            }
            Owned::Downloading(d) => {
                let percent = (d.progress * 100.0).floor();
                match d.state {
                    DownloadState::Pending | DownloadState::Queued => {
                        format!("downloading, queued in {}: {}", d.client, d.title)
                    }
                    DownloadState::Downloading => format!("downloading, {percent} %: {}", d.title),
                    DownloadState::Stalled => {
                        format!("downloading, {percent} % (stalled): {}", d.title)
                    }
                    DownloadState::Completed | DownloadState::Importing => {
                        format!("downloaded, being imported: {}", d.title)
                    }
                    DownloadState::Imported | DownloadState::Failed => {
                        format!("downloaded: {}", d.title)
                    }
                }
            }
        }
    }
}

/// The key that finds an album's files without MusicBrainz tags: its album
/// artist and title compared loosely.
pub fn album_key(album_artist: &str, album: &str) -> String {
    format!("{}/{}", match_key(album_artist), match_key(album))
}

/// The album key of a file's tags (album artist, else artist).
pub fn tags_album_key(tags: &AudioTags) -> String {
    let artist = tags
        .album_artist
        .as_deref()
        .or(tags.artist.as_deref())
        .unwrap_or("");
    album_key(artist, tags.album.as_deref().unwrap_or(""))
}

/// Whether a download of quality `of` serves a request for `asked`.
pub fn serves(of: Quality, asked: Quality) -> bool {
    asked == Quality::Any
        || of == asked
        || (asked == Quality::Lossless && of == Quality::LosslessHires)
}

/// Decides whether `album` is owned at `quality`. `downloads` are the
/// album's (any state). Index rows whose files are gone are dropped.
pub async fn check(
    store: &dyn Store,
    library: Option<&Path>,
    album: &Album,
    quality: Quality,
    downloads: &[DownloadRecord],
) -> Result<Option<Owned>, StoreError> {
    if let Some(root) = library
        && let Some(owned) = in_library(store, root, album, quality, downloads).await?
    {
        return Ok(Some(owned));
    }
    let on_its_way = downloads.iter().rev().find(|d| {
        serves(d.quality, quality)
            && match d.state {
                DownloadState::Failed => false,
                // Imported albums count by their files (checked above).
                DownloadState::Imported => library.is_none(),
                _ => true,
            }
    });
    Ok(on_its_way.map(|d| Owned::Downloading(Box::new(d.clone()))))
}

async fn in_library(
    store: &dyn Store,
    root: &Path,
    album: &Album,
    quality: Quality,
    downloads: &[DownloadRecord],
) -> Result<Option<Owned>, StoreError> {
    let folders: Vec<String> = downloads
        .iter()
        .filter(|d| d.state == DownloadState::Imported)
        .filter_map(|d| d.library_path.as_deref())
        .filter_map(|p| Path::new(p).strip_prefix(root).ok())
        .filter_map(|p| p.to_str().map(str::to_owned))
        .collect();
    let files = store
        .library_album_files(
            album.id.as_str(),
            &album_key(&album.artist, &album.title),
            &folders,
        )
        .await?;
    let mut present: Vec<IndexedFile> = Vec::with_capacity(files.len());
    let mut gone: Vec<String> = Vec::new();
    // Same artist and title but tagged as another release group (Weezer's
    // "Weezer" albums): not this album.
    let files = files.into_iter().filter(|f| {
        f.facts
            .tags
            .release_group_id
            .as_deref()
            .is_none_or(|id| id == album.id.as_str())
    });
    for file in files {
        match tokio::fs::symlink_metadata(root.join(&file.path)).await {
            Ok(meta) if meta.is_file() => present.push(file),
            _ => gone.push(file.path),
        }
    }
    if !gone.is_empty() {
        tracing::info!(
            files = gone.len(),
            album = %album.id,
            "indexed files are gone from the library; forgetting them"
        );
        store.library_apply(&[], &gone).await?;
    }
    let mut by_folder: std::collections::BTreeMap<&str, Vec<&IndexedFile>> = Default::default();
    for file in &present {
        by_folder
            .entry(file.folder.as_str())
            .or_default()
            .push(file);
    }
    for (folder, files) in by_folder {
        // A stray track is not the album: at least as many files as tracks
        // (bonus tracks allowed).
        if files.len() < album.tracks.len() {
            continue;
        }
        let Some(guess) = guess_from_files(files.iter().map(|f| &f.facts)) else {
            continue;
        };
        if tier_rank(&guess, quality).is_some() {
            return Ok(Some(Owned::InLibrary {
                folder: folder.to_owned(),
                quality: quality_label(&guess),
            }));
        }
    }
    Ok(None)
}
