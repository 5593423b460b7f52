//! Placing a planned album in the library, all or nothing.
//!
//! The files are gathered in `{library}/.musicagg-tmp-{download id}` and the
//! finished folder is renamed into place, so a library scan (ours or a
//! player's) sees an album folder either complete or not at all. A folder
//! already there is replaced only when it holds nothing but what this import
//! places (our own interrupted import); otherwise it is the user's and the
//! album goes beside it as `{album} (2)`. Every path
//! written is the library joined with names from [`names`](super::names),
//! which cannot contain a separator or be `..`, and nothing is written
//! through a symbolic link.
//!
//! Source files are only ever read, linked or (in move mode) unlinked: a
//! file the client seeds is never opened for writing.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::ImportError;
use super::plan::{Entry, Plan};
use crate::config::ImportMode;

/// Places the album and returns its folder.
///
/// Move mode links (or copies) like hardlink mode and removes the sources
/// only once the album folder is in place: a failure halfway must not leave
/// the files neither in the download nor in the library. The client is
/// expected to have dropped the torrent before a move.
pub fn place(
    plan: &Plan,
    library: &Path,
    mode: ImportMode,
    download_id: Uuid,
) -> Result<PathBuf, ImportError> {
    check_plan(plan)?;
    match fs::metadata(library) {
        Ok(meta) if meta.is_dir() => {}
        // an unmounted disk: writing to its empty mount point would be wrong
        _ => {
            return Err(ImportError::Io(format!(
                "the library folder {} is not there",
                library.display()
            )));
        }
    }
    let tmp = library.join(format!(".musicagg-tmp-{download_id}"));
    remove_any(&tmp).map_err(|e| io_error("removing the leftover", &tmp, e))?;
    fs::create_dir(&tmp).map_err(|e| io_error("creating", &tmp, e))?;

    let placed = fill(&tmp, plan, mode).and_then(|()| commit(&tmp, library, plan, download_id));
    let folder = match placed {
        Ok(folder) => folder,
        Err(e) => {
            if let Err(cleanup) = remove_any(&tmp) {
                tracing::warn!(path = %tmp.display(), error = %cleanup, "could not remove the temporary folder");
            }
            return Err(e);
        }
    };
    if mode == ImportMode::Move {
        for entry in plan.tracks.iter().chain(&plan.extras) {
            if let Err(e) = fs::remove_file(&entry.source) {
                tracing::warn!(path = %entry.source.display(), error = %e, "imported, but the source could not be removed");
            }
        }
    }
    Ok(folder)
}

/// A plan is built by [`plan`](super::plan::plan); this re-checks that its
/// names stay inside the library whoever built it.
fn check_plan(plan: &Plan) -> Result<(), ImportError> {
    let safe = |c: &str| {
        !c.is_empty()
            && !c.starts_with('.')
            && !c.contains(['/', '\\', '\0'])
            && !c.chars().any(char::is_control)
    };
    let entries = plan.tracks.iter().chain(&plan.extras);
    let bad = [plan.artist.as_str(), plan.album.as_str()]
        .into_iter()
        .find(|c| !safe(c))
        .or_else(|| {
            entries
                .map(|e| e.target.as_str())
                .find(|t| !t.split('/').all(safe))
        });
    match bad {
        Some(name) => Err(ImportError::Io(format!(
            "refusing to write {name:?} into the library: not a safe name"
        ))),
        None => Ok(()),
    }
}

/// Puts every file of the plan into the temporary folder.
fn fill(tmp: &Path, plan: &Plan, mode: ImportMode) -> Result<(), ImportError> {
    for entry in plan.tracks.iter().chain(&plan.extras) {
        let target = tmp.join(&entry.target);
        if let Some(parent) = target.parent().filter(|p| *p != tmp) {
            fs::create_dir_all(parent).map_err(|e| io_error("creating", parent, e))?;
        }
        transfer(entry, &target, mode)?;
    }
    Ok(())
}

/// Links or copies one file. The source is checked again (a regular file,
/// not a link) right before, as the download folder is not ours.
fn transfer(entry: &Entry, target: &Path, mode: ImportMode) -> Result<(), ImportError> {
    let source = &entry.source;
    let meta = fs::symlink_metadata(source).map_err(|e| io_error("reading", source, e))?;
    if !meta.file_type().is_file() {
        return Err(ImportError::Io(format!(
            "{} is no longer a regular file",
            source.display()
        )));
    }
    if matches!(mode, ImportMode::Hardlink | ImportMode::Move) {
        match fs::hard_link(source, target) {
            Ok(()) => return Ok(()),
            // Two names that one filesystem takes as the same: never copy
            // over it (it may be a link to a file the client seeds).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(io_error("linking to the name already taken", target, e));
            }
            // across filesystems (EXDEV), or no hard links there: a copy
            Err(_) => {}
        }
    }
    copy_new(source, target).map_err(|e| {
        ImportError::Io(format!(
            "could not copy {} to {}: {e}",
            source.display(),
            target.display()
        ))
    })
}

/// Copies into a file that must not exist yet (`O_EXCL`): a copy never
/// truncates anything, least of all a hard link to a seeded file.
fn copy_new(source: &Path, target: &Path) -> io::Result<()> {
    let mut from = fs::File::open(source)?;
    let mut to = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)?;
    io::copy(&mut from, &mut to)?;
    to.sync_all()
}

/// Renames the finished temporary folder to `{library}/{artist}/{album}`,
/// replacing an album folder already there.
fn commit(
    tmp: &Path,
    library: &Path,
    plan: &Plan,
    download_id: Uuid,
) -> Result<PathBuf, ImportError> {
    let artist_dir = library.join(&plan.artist);
    let created_artist = match fs::symlink_metadata(&artist_dir) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(ImportError::Io(format!(
                "{} is a symbolic link: not writing through it",
                artist_dir.display()
            )));
        }
        Ok(meta) if meta.is_dir() => false,
        Ok(_) => {
            return Err(ImportError::Io(format!(
                "{} is in the way: it is not a folder",
                artist_dir.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir(&artist_dir).map_err(|e| io_error("creating", &artist_dir, e))?;
            true
        }
        Err(e) => return Err(io_error("reading", &artist_dir, e)),
    };
    let target = free_folder(&artist_dir, plan)?;
    let result = swap_in(
        tmp,
        &target,
        &library.join(format!(".musicagg-old-{download_id}")),
    );
    if result.is_err() && created_artist {
        // only removes it when empty, i.e. when we made it for nothing
        let _ = fs::remove_dir(&artist_dir);
    }
    result.map(|()| target)
}

/// Where the album goes: `{artist}/{album}`, replacing a folder there only
/// when every file in it is one this plan places (our own earlier import of
/// the same album, e.g. before a crash); a folder holding anything else is
/// the user's and is kept: the album goes to `{album} (2)`, `(3)`, ….
fn free_folder(artist_dir: &Path, plan: &Plan) -> Result<PathBuf, ImportError> {
    let planned: std::collections::HashSet<&str> = plan
        .tracks
        .iter()
        .chain(&plan.extras)
        .map(|e| e.target.as_str())
        .collect();
    for n in 1..100 {
        let name = if n == 1 {
            plan.album.clone()
        } else {
            format!("{} ({n})", plan.album)
        };
        let candidate = artist_dir.join(&name);
        match fs::symlink_metadata(&candidate) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(candidate),
            Ok(meta) if meta.is_dir() && only_planned(&candidate, &planned) => {
                return Ok(candidate);
            }
            Ok(_) => {}
            Err(e) => return Err(io_error("reading", &candidate, e)),
        }
    }
    Err(ImportError::Io(format!(
        "{} has 99 folders named {:?} already",
        artist_dir.display(),
        plan.album
    )))
}

/// Whether every file under `folder` (relative, `/`-separated) is planned.
fn only_planned(folder: &Path, planned: &std::collections::HashSet<&str>) -> bool {
    let mut stack = vec![(folder.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            return false;
        };
        for entry in entries {
            let Ok(entry) = entry else { return false };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return false;
            };
            let relative = format!("{prefix}{name}");
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push((entry.path(), format!("{relative}/"))),
                Ok(t) if t.is_file() && planned.contains(relative.as_str()) => {}
                _ => return false,
            }
        }
    }
    true
}

/// `tmp` becomes `target`; an existing `target` is moved to `old` first and
/// removed after, or moved back when the rename fails.
fn swap_in(tmp: &Path, target: &Path, old: &Path) -> Result<(), ImportError> {
    remove_any(old).map_err(|e| io_error("removing the leftover", old, e))?;
    let replacing = match fs::symlink_metadata(target) {
        Ok(_) => {
            fs::rename(target, old)
                .map_err(|e| io_error("moving aside the old album", target, e))?;
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error("reading", target, e)),
    };
    if let Err(e) = fs::rename(tmp, target) {
        if replacing && let Err(back) = fs::rename(old, target) {
            tracing::error!(old = %old.display(), error = %back, "could not put the old album back");
        }
        return Err(io_error("renaming the new album to", target, e));
    }
    if replacing && let Err(e) = remove_any(old) {
        tracing::warn!(path = %old.display(), error = %e, "could not remove the replaced album");
    }
    Ok(())
}

/// Removes a file, a link or a folder tree, without following links;
/// nothing there is fine.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn io_error(doing: &str, path: &Path, e: io::Error) -> ImportError {
    ImportError::Io(format!("{doing} {}: {e}", path.display()))
}
