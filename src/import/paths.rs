//! Paths: where the torrent client's files are on this machine, and which of
//! the names it lists are safe to read.
//!
//! The client's file names come from the torrent, i.e. from whoever made it:
//! they are checked as text first (no absolute paths, no `..`, no drive
//! letters or backslashes, no control characters) and then on disk, one
//! component at a time with `symlink_metadata`, so that a symbolic link
//! planted in the download can never make us read (or hard-link) a file
//! outside the save path.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::ImportError;
use crate::config::PathMapping;

/// The local path of the client's `remote` path: the mapping with the
/// longest matching `remote` prefix wins, matched on whole components (a
/// mapping for `/downloads` does not apply to `/downloads2/x`); trailing
/// slashes are tolerated. Without a matching mapping the path is used as is
/// (client and musicagg on one machine).
///
/// A mapping whose `remote` looks like a Windows path (`D:\…`, or any
/// backslash) treats `\` and `/` alike and ignores ASCII case, as Windows
/// does.
pub fn map_path(remote: &str, mappings: &[PathMapping]) -> PathBuf {
    let mut best: Option<(usize, &PathMapping, Vec<&str>)> = None;
    for mapping in mappings {
        let windows = looks_windows(&mapping.remote);
        let Some(prefix) = Split::new(&mapping.remote, windows) else {
            continue;
        };
        let Some(path) = Split::new(remote, windows) else {
            continue;
        };
        if prefix.absolute != path.absolute || path.parts.len() < prefix.parts.len() {
            continue;
        }
        let matches = prefix.parts.iter().zip(&path.parts).all(|(a, b)| {
            if windows {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        });
        let len = prefix.parts.len();
        if matches && best.as_ref().is_none_or(|(best_len, _, _)| len > *best_len) {
            best = Some((len, mapping, path.parts[len..].to_vec()));
        }
    }
    match best {
        Some((_, mapping, rest)) => {
            let mut local = mapping.local.clone();
            local.extend(rest);
            local
        }
        None => PathBuf::from(remote),
    }
}

/// The client's save path that this machine cannot see through `mappings`
/// (the folder itself, or a sample torrent's first file under it), if any:
/// what `client test` and the web page's settings check name as the
/// mapping to add.
pub fn unseen_save_path(
    save_path: &str,
    samples: &[(String, String)],
    mappings: &[PathMapping],
) -> Option<String> {
    if !map_path(save_path, mappings).is_dir() {
        return Some(save_path.to_owned());
    }
    samples
        .iter()
        .find(|(path, file)| !map_path(path, mappings).join(file).exists())
        .map(|(path, _)| path.clone())
}

/// `D:\…`, `D:/…` or any backslash: a path written by a Windows client.
fn looks_windows(path: &str) -> bool {
    let b = path.as_bytes();
    path.contains('\\') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// A path as components, without empty and `.` ones.
struct Split<'a> {
    absolute: bool,
    parts: Vec<&'a str>,
}

impl<'a> Split<'a> {
    /// `None` for an empty path: a mapping of "" would match everything.
    fn new(path: &'a str, windows: bool) -> Option<Self> {
        let path = path.trim();
        if path.is_empty() {
            return None;
        }
        let is_sep = |c: char| c == '/' || (windows && c == '\\');
        let b = path.as_bytes();
        let drive = windows && b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
        let absolute = path.starts_with(is_sep) || drive;
        let parts = path
            .split(is_sep)
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        Some(Self { absolute, parts })
    }
}

/// The components of a client file name, or why the name is refused.
///
/// Refused: empty names and components, absolute paths, `.` and `..`,
/// backslashes (a separator on Windows, an escape trick here), a leading
/// drive letter (`C:…`), and control characters including NUL.
pub fn check_name(name: &str) -> Result<Vec<&str>, String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.chars().any(char::is_control) {
        return Err("it contains a control character".into());
    }
    if name.contains('\\') {
        return Err("it contains a backslash".into());
    }
    if name.starts_with('/') {
        return Err("it is an absolute path".into());
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("it starts with a drive letter".into());
    }
    let parts: Vec<&str> = name.split('/').collect();
    for part in &parts {
        match *part {
            "" => return Err("it has an empty path component".into()),
            "." | ".." => return Err(format!("it has a {part:?} component")),
            _ => {}
        }
    }
    Ok(parts)
}

/// The refusal of an unsafe name, naming it escaped.
pub fn unsafe_name(name: &str, reason: &str) -> ImportError {
    ImportError::Refused(format!("unsafe file name {name:?}: {reason}"))
}

/// The path of a checked name under `save_path`, walking it one component
/// at a time without following symbolic links: a link anywhere on the way
/// refuses the release; a missing component means this machine does not see
/// the file (`NotVisible`); the last component must be a regular file.
pub fn resolve(save_path: &Path, name: &str, parts: &[&str]) -> Result<PathBuf, ImportError> {
    let mut path = save_path.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = fs::symlink_metadata(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ImportError::NotVisible(format!(
                "the client lists {name:?}, but {} does not exist on this machine",
                path.display()
            )),
            _ => ImportError::NotVisible(format!(
                "the client lists {name:?}, but {} cannot be read here: {e}",
                path.display()
            )),
        })?;
        if meta.file_type().is_symlink() {
            return Err(ImportError::Refused(format!(
                "{name:?} goes through a symbolic link ({}): not following it",
                path.display()
            )));
        }
        let last = i + 1 == parts.len();
        if last && !meta.is_file() {
            return Err(ImportError::Refused(format!(
                "{name:?} is not a regular file"
            )));
        }
        if !last && !meta.is_dir() {
            return Err(ImportError::NotVisible(format!(
                "the client lists {name:?}, but {} is not a folder here",
                path.display()
            )));
        }
    }
    Ok(path)
}

/// The save path must be a folder this machine sees.
pub fn check_save_path(save_path: &Path) -> Result<(), ImportError> {
    match fs::metadata(save_path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        _ => Err(ImportError::NotVisible(format!(
            "the client saved it at {}, which this machine cannot see: add a path mapping",
            save_path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(remote: &str, local: &str) -> PathMapping {
        PathMapping {
            remote: remote.into(),
            local: local.into(),
        }
    }

    #[test]
    fn map_path_longest_whole_component_prefix() {
        let maps = [
            mapping("/downloads", "/mnt/dl"),
            mapping("/downloads/music/", "/mnt/music"),
            mapping("/data", "/srv/data"),
        ];
        assert_eq!(
            map_path("/downloads/x/Album", &maps),
            PathBuf::from("/mnt/dl/x/Album")
        );
        assert_eq!(
            map_path("/downloads/music/Album", &maps),
            PathBuf::from("/mnt/music/Album")
        );
        assert_eq!(map_path("/downloads/", &maps), PathBuf::from("/mnt/dl"));
        assert_eq!(map_path("/downloads", &maps), PathBuf::from("/mnt/dl"));
        // near misses: no whole-component match
        assert_eq!(
            map_path("/downloads2/x", &maps),
            PathBuf::from("/downloads2/x")
        );
        assert_eq!(
            map_path("/downloads/musicals/y", &maps),
            PathBuf::from("/mnt/dl/musicals/y")
        );
        assert_eq!(map_path("/dat/a", &maps), PathBuf::from("/dat/a"));
        assert_eq!(map_path("data/a", &maps), PathBuf::from("data/a"));
        // double slashes and trailing slashes in the path
        assert_eq!(
            map_path("/data//a/b/", &maps),
            PathBuf::from("/srv/data/a/b")
        );
        assert_eq!(map_path("/other", &[]), PathBuf::from("/other"));
    }

    #[test]
    fn map_path_root_and_empty_mappings() {
        let maps = [mapping("", "/nowhere"), mapping("/", "/mnt/root")];
        assert_eq!(map_path("/a/b", &maps), PathBuf::from("/mnt/root/a/b"));
        assert_eq!(map_path("rel/a", &maps), PathBuf::from("rel/a"));
    }

    #[test]
    fn map_path_windows_client() {
        let maps = [mapping("D:\\Torrents\\", "/mnt/d/torrents")];
        assert_eq!(
            map_path("D:\\Torrents\\Music\\Album", &maps),
            PathBuf::from("/mnt/d/torrents/Music/Album")
        );
        assert_eq!(
            map_path("d:/torrents/Album", &maps),
            PathBuf::from("/mnt/d/torrents/Album")
        );
        assert_eq!(
            map_path("D:\\TorrentsOld\\Album", &maps),
            PathBuf::from("D:\\TorrentsOld\\Album")
        );
    }

    #[test]
    fn check_name_refuses_escapes() {
        assert_eq!(
            check_name("Album/CD1/01 - x.flac"),
            Ok(vec!["Album", "CD1", "01 - x.flac"])
        );
        assert_eq!(check_name("..foo/x..flac").map(|p| p.len()), Ok(2));
        for bad in [
            "",
            "../x",
            "/etc/passwd",
            "a/../../b",
            "a/./b",
            "a//b",
            "a/",
            "..",
            "C:/Windows/x.flac",
            "C:x.flac",
            "a\\..\\..\\b",
            "a/b\0.flac",
            "a/b\n.flac",
            "a/\u{1b}[2Jb.flac",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        let err = unsafe_name("a/b\n", "x").to_string();
        assert!(err.contains("\"a/b\\n\""), "{err}");
    }

    #[test]
    fn resolve_never_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let save = dir.path().join("save");
        let outside = dir.path().join("outside");
        fs::create_dir_all(save.join("Album")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.flac"), b"x").unwrap();
        fs::write(save.join("Album/01.flac"), b"x").unwrap();
        std::os::unix::fs::symlink(&outside, save.join("Album/linkdir")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.flac"), save.join("Album/02.flac"))
            .unwrap();

        let ok = resolve(&save, "Album/01.flac", &["Album", "01.flac"]).unwrap();
        assert_eq!(ok, save.join("Album/01.flac"));
        for (name, parts) in [
            ("Album/02.flac", vec!["Album", "02.flac"]),
            (
                "Album/linkdir/secret.flac",
                vec!["Album", "linkdir", "secret.flac"],
            ),
        ] {
            let err = resolve(&save, name, &parts).unwrap_err();
            assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
        }
        let err = resolve(&save, "Album/03.flac", &["Album", "03.flac"]).unwrap_err();
        assert!(matches!(err, ImportError::NotVisible(_)), "{err:?}");
        let err = resolve(&save, "Album", &["Album"]).unwrap_err();
        assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
    }

    #[test]
    fn save_path_must_be_a_visible_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_save_path(dir.path()).is_ok());
        let missing = dir.path().join("nope");
        let err = check_save_path(&missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the client saved it at {}, which this machine cannot see: add a path mapping",
                missing.display()
            )
        );
        assert!(matches!(err, ImportError::NotVisible(_)));
    }
}
