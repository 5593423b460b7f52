//! Walks `[library] path` and reads the audio files that are new or changed
//! (by size and mtime) since the last scan.

use std::collections::{HashMap, HashSet};
use std::fs::{self, DirEntry};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::audio::{self, AudioError, AudioFacts};

/// Folders the importer works in before moving an album into place: their
/// files are half-copied or about to move, never library files.
const TEMP_DIR_PREFIX: &str = ".musicagg-";

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
    /// Audio files that could not be read: (relative path, reason). Folders
    /// that could not be listed are here too ("" is the root).
    pub errors: Vec<(String, String)>,
}

/// Walks `root` (blocking). Never follows symbolic links; skips our own
/// temporary import folders (names starting with `.musicagg-`).
///
/// Links are skipped because a link can point outside the library or back
/// into it (a loop, or one album counted twice); `root` itself may be a
/// link, as a library mounted elsewhere often is. A file whose size and
/// mtime match `known` is not opened, so a rescan of an unchanged library
/// costs one `lstat` per file. A folder that cannot be listed is an error
/// and the known files under it are not `removed`: an unmounted disk or a
/// permission slip must not empty the index.
pub fn scan(root: &Path, known: &HashMap<String, Known>) -> ScanOutcome {
    let mut walk = Walk {
        known,
        outcome: ScanOutcome::default(),
        seen: HashSet::new(),
        unlisted: Vec::new(),
    };
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, rel)) = folders.pop() {
        walk.folder(&folder, &rel, &mut folders);
    }
    walk.finish()
}

/// The state of one scan.
struct Walk<'k> {
    known: &'k HashMap<String, Known>,
    outcome: ScanOutcome,
    /// Keys of `known` found on disk (read, unchanged or failing).
    seen: HashSet<&'k str>,
    /// Relative paths of folders that could not be listed (fully).
    unlisted: Vec<String>,
}

impl<'k> Walk<'k> {
    /// Lists one folder: audio files are looked at, sub-folders queued.
    fn folder(&mut self, folder: &Path, rel: &str, queue: &mut Vec<(PathBuf, String)>) {
        let entries = match fs::read_dir(folder) {
            Ok(entries) => entries,
            Err(e) => return self.unlisted(rel, &e),
        };
        for entry in entries {
            match entry {
                Ok(entry) => self.entry(&entry, rel, queue),
                // The listing stopped part-way: what it did not list may be there.
                Err(e) => return self.unlisted(rel, &e),
            }
        }
    }

    fn unlisted(&mut self, rel: &str, error: &std::io::Error) {
        let reason = format!("cannot list the folder: {error}");
        self.outcome.errors.push((rel.to_owned(), reason));
        self.unlisted.push(rel.to_owned());
    }

    fn entry(&mut self, entry: &DirEntry, rel: &str, queue: &mut Vec<(PathBuf, String)>) {
        let name = entry.file_name();
        // `DirEntry::file_type` does not follow links (and usually needs no
        // system call: the listing carries it).
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(e) => {
                let path = join(rel, &name.to_string_lossy());
                self.outcome.errors.push((path, e.to_string()));
                return;
            }
        };
        if file_type.is_symlink() {
            return;
        }
        let wanted =
            file_type.is_dir() || (file_type.is_file() && audio::is_audio_path(Path::new(&name)));
        if !wanted {
            return;
        }
        // Paths are UTF-8 strings in the index; a name that is not cannot
        // be kept, so it is reported rather than silently missing.
        let Some(name) = name.to_str() else {
            let path = join(rel, &name.to_string_lossy());
            let reason = "the name is not valid UTF-8; rename it to index it".to_owned();
            self.outcome.errors.push((path, reason));
            return;
        };
        let path = join(rel, name);
        if file_type.is_dir() {
            if !name.starts_with(TEMP_DIR_PREFIX) {
                queue.push((entry.path(), path));
            }
        } else {
            self.file(entry, path);
        }
    }

    fn file(&mut self, entry: &DirEntry, path: String) {
        let previous = self.known.get_key_value(&path).map(|(key, known)| {
            self.seen.insert(key.as_str());
            *known
        });
        // On Unix `DirEntry::metadata` is an lstat: a link swapped in since
        // the listing is not followed.
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(e) => return self.outcome.errors.push((path, e.to_string())),
        };
        let mtime_ms = match metadata.modified() {
            Ok(time) => millis_since_epoch(time),
            Err(e) => return self.outcome.errors.push((path, e.to_string())),
        };
        let now = Known {
            size: metadata.len(),
            mtime_ms,
        };
        if previous == Some(now) {
            self.outcome.unchanged += 1;
            return;
        }
        match audio::read(&entry.path()) {
            Ok(facts) => self.outcome.changed.push(LibraryFile {
                path,
                size: now.size,
                mtime_ms: now.mtime_ms,
                facts,
            }),
            Err(AudioError::Unreadable { reason, .. }) => self.outcome.errors.push((path, reason)),
        }
    }

    /// Known files not seen are `removed`, unless a folder above them could
    /// not be listed. Lists come out sorted, so results compare and log
    /// the same from one scan to the next.
    fn finish(mut self) -> ScanOutcome {
        let mut removed: Vec<String> = self
            .known
            .keys()
            .filter(|key| !self.seen.contains(key.as_str()))
            .filter(|key| !self.unlisted.iter().any(|folder| is_under(key, folder)))
            .cloned()
            .collect();
        removed.sort_unstable();
        self.outcome.removed = removed;
        self.outcome.changed.sort_by(|a, b| a.path.cmp(&b.path));
        self.outcome.errors.sort();
        self.outcome
    }
}

/// `rel/name`, or `name` at the root.
fn join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_owned()
    } else {
        format!("{rel}/{name}")
    }
}

/// Whether `path` lies inside the folder `folder` ("" is the root).
fn is_under(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Milliseconds since the Unix epoch, negative before it (a file can carry
/// any date); saturating rather than wrapping far outside `i64`.
fn millis_since_epoch(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::time::Duration;

    use super::super::audio::testing::{flac, mp3};
    use super::*;
    use crate::release::Codec;

    /// A small library: two albums in nested folders, files that are not
    /// audio, an import in progress, links and files that cannot be read.
    struct Library {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    fn library() -> Library {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("library");
        let outside = dir.path().join("outside");
        let album = root.join("Artist/2020 - Album");
        let single = root.join("Other Artist/Single");
        let temp = root.join(".musicagg-tmp-x");
        for folder in [&album, &single, &temp, &outside] {
            fs::create_dir_all(folder).unwrap();
        }
        flac(
            &album,
            "01 One.flac",
            44_100,
            16,
            &["TITLE=One", "TRACKNUMBER=1"],
        );
        flac(
            &album,
            "02 Two.FLAC",
            44_100,
            16,
            &["TITLE=Two", "TRACKNUMBER=2"],
        );
        mp3(&single, "01 Single.mp3", &["-b", "320", "--tt", "Single"]);
        fs::write(album.join("cover.jpg"), b"not scanned").unwrap();
        fs::write(album.join("album.cue"), b"FILE \"01 One.flac\" WAVE").unwrap();
        fs::write(album.join("03 Three.flac.part"), b"half a download").unwrap();
        flac(&temp, "01 Importing.flac", 44_100, 16, &["TITLE=Importing"]);
        fs::write(root.join("broken.flac"), b"fLaC but nothing after").unwrap();
        let linked = flac(&outside, "elsewhere.flac", 44_100, 16, &["TITLE=Elsewhere"]);
        std::os::unix::fs::symlink(&linked, root.join("link.flac")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("linked folder")).unwrap();
        Library {
            _dir: dir,
            root,
            outside,
        }
    }

    const AUDIO: [&str; 3] = [
        "Artist/2020 - Album/01 One.flac",
        "Artist/2020 - Album/02 Two.FLAC",
        "Other Artist/Single/01 Single.mp3",
    ];

    fn paths(outcome: &ScanOutcome) -> Vec<&str> {
        outcome.changed.iter().map(|f| f.path.as_str()).collect()
    }

    fn known_from(outcome: &ScanOutcome) -> HashMap<String, Known> {
        let known = |f: &LibraryFile| Known {
            size: f.size,
            mtime_ms: f.mtime_ms,
        };
        outcome
            .changed
            .iter()
            .map(|f| (f.path.clone(), known(f)))
            .collect()
    }

    fn set_mtime(path: &Path, time: SystemTime) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(time).unwrap();
    }

    #[test]
    fn first_scan_reads_the_audio_files_only() {
        let lib = library();
        let outcome = scan(&lib.root, &HashMap::new());
        assert_eq!(paths(&outcome), AUDIO);
        assert_eq!(outcome.unchanged, 0);
        assert!(outcome.removed.is_empty());
        assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
        assert_eq!(outcome.errors[0].0, "broken.flac");

        let one = &outcome.changed[0];
        let on_disk = fs::metadata(lib.root.join(&one.path)).unwrap();
        assert_eq!(one.size, on_disk.len());
        assert_eq!(
            one.mtime_ms,
            millis_since_epoch(on_disk.modified().unwrap())
        );
        assert_eq!(one.facts.codec, Codec::Flac);
        assert_eq!(one.facts.tags.title.as_deref(), Some("One"));
        assert_eq!(outcome.changed[2].facts.codec, Codec::Mp3);
        assert!(lib.outside.join("elsewhere.flac").exists());
    }

    #[test]
    fn rescans_read_only_what_changed() {
        let lib = library();
        let first = scan(&lib.root, &HashMap::new());
        let mut known = known_from(&first);

        // Same size and mtime: not opened. The garbage proves it — a read
        // would have turned it into an error.
        let one = lib.root.join(AUDIO[0]);
        let mtime = fs::metadata(&one).unwrap().modified().unwrap();
        let size = fs::metadata(&one).unwrap().len();
        fs::write(&one, vec![0x5a; usize::try_from(size).unwrap()]).unwrap();
        set_mtime(&one, mtime);
        let second = scan(&lib.root, &known);
        assert_eq!(second.unchanged, 3);
        assert!(second.changed.is_empty() && second.removed.is_empty());
        assert_eq!(
            second.errors.len(),
            1,
            "only broken.flac: {:?}",
            second.errors
        );

        // A touched file (same bytes, new mtime) is read again.
        let two = lib.root.join(AUDIO[1]);
        set_mtime(&two, SystemTime::now() + Duration::from_secs(5));
        let third = scan(&lib.root, &known);
        assert_eq!(paths(&third), [AUDIO[1]]);
        assert_eq!(third.unchanged, 2);
        known.extend(known_from(&third));

        // A rewritten file is read again, with its new tags.
        let single = lib.root.join("Other Artist/Single");
        fs::remove_file(single.join("01 Single.mp3")).unwrap();
        mp3(&single, "01 Single.mp3", &["-b", "128", "--tt", "Retagged"]);
        let fourth = scan(&lib.root, &known);
        assert_eq!(paths(&fourth), [AUDIO[2]]);
        assert_eq!(
            fourth.changed[0].facts.tags.title.as_deref(),
            Some("Retagged")
        );
        known.extend(known_from(&fourth));

        // A deleted file is removed; the others stay unchanged.
        fs::remove_file(&two).unwrap();
        let fifth = scan(&lib.root, &known);
        assert!(fifth.changed.is_empty());
        assert_eq!(fifth.removed, [AUDIO[1]]);
        assert_eq!(fifth.unchanged, 2);
    }

    #[test]
    fn an_unreadable_known_file_is_an_error_not_removed() {
        let lib = library();
        let known = known_from(&scan(&lib.root, &HashMap::new()));
        fs::write(lib.root.join(AUDIO[0]), b"no longer audio").unwrap();
        let outcome = scan(&lib.root, &known);
        assert!(outcome.removed.is_empty());
        assert!(outcome.errors.iter().any(|(path, _)| path == AUDIO[0]));
    }

    #[test]
    fn non_utf8_names_are_errors_with_a_lossy_name() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;

        let dir = tempfile::tempdir().unwrap();
        let bad = OsStr::from_bytes(b"caf\xe9.flac");
        fs::write(dir.path().join(bad), b"whatever").unwrap();
        fs::write(dir.path().join(OsStr::from_bytes(b"\xff.jpg")), b"x").unwrap();
        let outcome = scan(dir.path(), &HashMap::new());
        assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
        assert_eq!(outcome.errors[0].0, "caf\u{fffd}.flac");
        assert!(outcome.changed.is_empty());
    }

    #[test]
    fn a_missing_root_removes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let known = HashMap::from([(
            "a/b.flac".to_owned(),
            Known {
                size: 1,
                mtime_ms: 1,
            },
        )]);
        let outcome = scan(&dir.path().join("unmounted"), &known);
        assert!(outcome.removed.is_empty());
        assert_eq!(outcome.errors.len(), 1);
        assert_eq!(outcome.errors[0].0, "");
    }

    #[test]
    fn helpers() {
        assert_eq!(join("", "a.flac"), "a.flac");
        assert_eq!(join("A/B", "a.flac"), "A/B/a.flac");
        assert!(is_under("A/B/c.flac", "A/B") && is_under("x.flac", ""));
        assert!(!is_under("A/Bc/d.flac", "A/B") && !is_under("A/B", "A/B"));
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(millis_since_epoch(before), -1500);
        assert_eq!(millis_since_epoch(UNIX_EPOCH + Duration::from_millis(7)), 7);
    }
}
