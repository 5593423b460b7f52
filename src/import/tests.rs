//! End-to-end imports in temporary folders, with a stand-in audio reader:
//! a test file's bytes say what it is ("FLAC;3;Title").

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::*;
use crate::import::testutil::{album, facts};
use crate::library::audio::AudioError;
use crate::release::Codec;

const PROBE: Probe = Probe {
    is_audio: fake_is_audio,
    read: fake_read,
};

fn fake_is_audio(path: &Path) -> bool {
    names::extension(&path.to_string_lossy()).is_some_and(|e| e == "flac" || e == "mp3")
}

/// `CODEC;track;title`; anything else is unreadable.
fn fake_read(path: &Path) -> Result<AudioFacts, AudioError> {
    let unreadable = |reason: &str| AudioError::Unreadable {
        path: path.display().to_string(),
        reason: reason.into(),
    };
    let text = fs::read_to_string(path).map_err(|e| unreadable(&e.to_string()))?;
    let mut fields = text.split(';');
    let codec = crate::library::audio::codec_from_name(fields.next().unwrap_or_default());
    if codec == Codec::Unknown {
        return Err(unreadable("not audio"));
    }
    let track = fields.next().and_then(|t| t.parse().ok());
    let mut f = facts(codec, None, track, fields.next());
    if codec == Codec::Mp3 {
        f.bitrate_kbps = Some(320);
    }
    Ok(f)
}

struct Fixture {
    _dir: tempfile::TempDir,
    save: PathBuf,
    library: PathBuf,
    files: Vec<ClientFile>,
    album: Album,
}

impl Fixture {
    /// A download of the three-track "Artist - Album" in FLAC, with a cover
    /// and an NFO.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let save = dir.path().join("downloads");
        let library = dir.path().join("library");
        fs::create_dir_all(&save).expect("mkdir");
        fs::create_dir_all(&library).expect("mkdir");
        let mut fx = Self {
            _dir: dir,
            save,
            library,
            files: Vec::new(),
            album: album(&[(1, "One"), (1, "Two"), (1, "Three")]),
        };
        fx.write("Artist - Album [FLAC]/01 - one.flac", "FLAC;1;One");
        fx.write("Artist - Album [FLAC]/02 - two.flac", "FLAC;2;Two");
        fx.write("Artist - Album [FLAC]/03 - three.flac", "FLAC;3;Three");
        fx.write("Artist - Album [FLAC]/cover.jpg", "JPEG");
        fx.write("Artist - Album [FLAC]/info.nfo", "NFO");
        fx
    }

    fn write(&mut self, name: &str, content: &str) {
        let path = self.save.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, content).expect("write");
        self.list(name);
    }

    fn list(&mut self, name: &str) {
        self.files.push(ClientFile {
            name: name.into(),
            size: 10,
        });
    }

    fn request(&self, mode: ImportMode) -> ImportRequest<'_> {
        ImportRequest {
            album: &self.album,
            quality: Quality::Lossless,
            release_title: "Artist - Album [FLAC]",
            release_quality: "FLAC 16-bit",
            save_path: &self.save,
            files: &self.files,
            library: &self.library,
            mode,
            download_id: uuid::Uuid::nil(),
        }
    }

    fn import(&self, mode: ImportMode) -> Result<Imported, ImportError> {
        import_with(&self.request(mode), &PROBE)
    }

    fn source(&self, name: &str) -> PathBuf {
        self.save.join("Artist - Album [FLAC]").join(name)
    }

    fn album_folder(&self) -> PathBuf {
        self.library.join("Artist/Album (1999)")
    }

    /// What the library holds at its top.
    fn library_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.library)
            .expect("read library")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn ino(path: &Path) -> u64 {
    fs::metadata(path).expect("metadata").ino()
}

#[test]
fn hardlink_keeps_the_inode_and_the_source() {
    let fx = Fixture::new();
    // a crash left a temporary folder behind
    fs::create_dir_all(
        fx.library
            .join(format!(".musicagg-tmp-{}", uuid::Uuid::nil())),
    )
    .unwrap();
    let imported = fx.import(ImportMode::Hardlink).unwrap();
    assert_eq!(
        imported,
        Imported {
            folder: fx.album_folder(),
            tracks: vec![
                "01 - One.flac".into(),
                "02 - Two.flac".into(),
                "03 - Three.flac".into()
            ],
            extras: vec!["cover.jpg".into()],
            quality: "FLAC 16-bit 44.1 kHz".into(),
        }
    );
    let placed = fx.album_folder().join("01 - One.flac");
    assert_eq!(ino(&placed), ino(&fx.source("01 - one.flac")));
    assert_eq!(
        fs::read_to_string(fx.source("01 - one.flac")).unwrap(),
        "FLAC;1;One"
    );
    assert!(fx.album_folder().join("cover.jpg").is_file());
    assert!(!fx.album_folder().join("info.nfo").exists());
    assert_eq!(fx.library_entries(), ["Artist"]);
}

#[test]
fn copy_makes_new_files_with_the_same_bytes() {
    let fx = Fixture::new();
    fx.import(ImportMode::Copy).unwrap();
    let placed = fx.album_folder().join("02 - Two.flac");
    let source = fx.source("02 - two.flac");
    assert_ne!(ino(&placed), ino(&source));
    assert_eq!(fs::read(&placed).unwrap(), fs::read(&source).unwrap());
    assert!(source.is_file());
}

#[test]
fn move_removes_the_sources() {
    let fx = Fixture::new();
    fx.import(ImportMode::Move).unwrap();
    assert!(fx.album_folder().join("03 - Three.flac").is_file());
    assert!(fx.album_folder().join("cover.jpg").is_file());
    assert!(!fx.source("03 - three.flac").exists());
    assert!(!fx.source("cover.jpg").exists());
    // what was not imported stays
    assert!(fx.source("info.nfo").exists());
}

#[test]
fn our_own_earlier_import_is_replaced_a_users_folder_is_kept() {
    // A folder holding only what this import places (an import interrupted
    // after its rename) is replaced: the album is there once.
    let fx = Fixture::new();
    fs::create_dir_all(fx.album_folder()).unwrap();
    fs::write(fx.album_folder().join("01 - One.flac"), "half").unwrap();
    fx.import(ImportMode::Copy).unwrap();
    assert_ne!(
        fs::read(fx.album_folder().join("01 - One.flac")).unwrap(),
        b"half"
    );
    assert_eq!(fx.library_entries(), ["Artist"]);
    let siblings = fs::read_dir(fx.library.join("Artist")).unwrap().count();
    assert_eq!(siblings, 1);

    // A folder with anything else in it is the user's: never touched; the
    // album goes beside it.
    let fx = Fixture::new();
    fs::create_dir_all(fx.album_folder()).unwrap();
    fs::write(fx.album_folder().join("old.mp3"), "old").unwrap();
    fs::write(fx.library.join("Artist/other.txt"), "kept").unwrap();
    let imported = fx.import(ImportMode::Copy).unwrap();
    assert_eq!(fs::read(fx.album_folder().join("old.mp3")).unwrap(), b"old");
    let beside = fx.album_folder().with_file_name(format!(
        "{} (2)",
        fx.album_folder().file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(imported.folder, beside);
    assert!(beside.join("01 - One.flac").is_file());
    assert!(fx.library.join("Artist/other.txt").is_file());
    assert_eq!(fx.library_entries(), ["Artist"]);
}

#[test]
fn a_failure_leaves_no_temporary_folder_and_no_half_album() {
    // the artist folder cannot be made: a file is in the way
    let fx = Fixture::new();
    fs::write(fx.library.join("Artist"), "in the way").unwrap();
    let err = fx.import(ImportMode::Copy).unwrap_err();
    assert!(matches!(err, ImportError::Io(_)), "{err:?}");
    assert_eq!(fx.library_entries(), ["Artist"]);

    // a source vanishes between the check and the copy
    let fx = Fixture::new();
    let sources: Vec<Source> = ["01 - one.flac", "02 - two.flac", "03 - three.flac"]
        .iter()
        .map(|n| Source {
            name: format!("R/{n}"),
            path: fx.source(n),
            audio: Some(fake_read(&fx.source(n)).unwrap()),
        })
        .collect();
    let plan = plan::plan(&fx.album, Quality::Lossless, "", &sources).unwrap();
    fs::remove_file(fx.source("03 - three.flac")).unwrap();
    for mode in [ImportMode::Hardlink, ImportMode::Copy, ImportMode::Move] {
        let err = place::place(&plan, &fx.library, mode, uuid::Uuid::nil()).unwrap_err();
        assert!(matches!(err, ImportError::Io(_)), "{err:?}");
        assert!(
            fx.library_entries().is_empty(),
            "{:?}",
            fx.library_entries()
        );
        assert!(fx.source("01 - one.flac").is_file());
    }
}

#[test]
fn path_escapes_are_refused_and_nothing_is_written() {
    for bad in [
        "../x.flac",
        "/etc/passwd",
        "a/../../b.flac",
        "C:\\x.flac",
        "a/b\0.flac",
    ] {
        let mut fx = Fixture::new();
        fx.list(bad);
        let err = fx.import(ImportMode::Copy).unwrap_err();
        assert!(matches!(err, ImportError::Refused(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        assert!(fx.library_entries().is_empty());
    }
}

#[test]
fn a_symlink_out_of_the_save_path_is_refused() {
    let mut fx = Fixture::new();
    let outside = fx.save.parent().unwrap().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.flac"), "FLAC;3;Three").unwrap();
    fs::remove_file(fx.source("03 - three.flac")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.flac"), fx.source("03 - three.flac")).unwrap();
    let err = fx.import(ImportMode::Hardlink).unwrap_err();
    assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
    assert!(fx.library_entries().is_empty());

    // a linked folder
    std::os::unix::fs::symlink(&outside, fx.save.join("Artist - Album [FLAC]/Scans")).unwrap();
    fx.files.retain(|f| !f.name.ends_with("three.flac"));
    fx.list("Artist - Album [FLAC]/Scans/secret.flac");
    let err = fx.import(ImportMode::Hardlink).unwrap_err();
    assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
    assert!(fx.library_entries().is_empty());
}

#[test]
fn what_this_machine_cannot_see() {
    let mut fx = Fixture::new();
    fx.save = fx.save.join("elsewhere");
    let err = fx.import(ImportMode::Copy).unwrap_err();
    assert!(matches!(err, ImportError::NotVisible(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "the client saved it at {}, which this machine cannot see: add a path mapping",
            fx.save.display()
        )
    );

    let mut fx = Fixture::new();
    fx.list("Artist - Album [FLAC]/04 - four.flac");
    fx.list("Artist - Album [FLAC]/skipped.nfo");
    let err = fx.import(ImportMode::Copy).unwrap_err();
    assert!(matches!(err, ImportError::NotVisible(_)), "{err:?}");
    assert!(err.to_string().contains("04 - four.flac"), "{err}");
    assert!(fx.library_entries().is_empty());
}

#[test]
fn unreadable_or_missing_audio_is_refused() {
    let mut fx = Fixture::new();
    fx.write("Artist - Album [FLAC]/bad.flac", "garbage");
    let err = fx.import(ImportMode::Copy).unwrap_err();
    assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
    assert!(err.to_string().contains("bad.flac"), "{err}");

    let mut fx = Fixture::new();
    fx.files.retain(|f| !f.name.ends_with(".flac"));
    let err = fx.import(ImportMode::Copy).unwrap_err();
    assert_eq!(err.to_string(), "no audio files in the download");
    assert!(fx.library_entries().is_empty());
}

/// Real files made with flac and lame, read by the library's reader.
mod real {
    use super::*;
    use crate::library::audio::testing::{flac, mp3};

    struct Download {
        _dir: tempfile::TempDir,
        save: PathBuf,
        folder: PathBuf,
        library: PathBuf,
    }

    impl Download {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let save = dir.path().join("downloads");
            let folder = save.join("Artist - Album (1999) [X]");
            let library = dir.path().join("library");
            fs::create_dir_all(&folder).expect("mkdir");
            fs::create_dir_all(&library).expect("mkdir");
            Self {
                _dir: dir,
                save,
                folder,
                library,
            }
        }

        fn files(&self) -> Vec<ClientFile> {
            let mut files: Vec<ClientFile> = fs::read_dir(&self.folder)
                .expect("read")
                .map(|e| {
                    let e = e.expect("entry");
                    ClientFile {
                        name: format!(
                            "Artist - Album (1999) [X]/{}",
                            e.file_name().to_string_lossy()
                        ),
                        size: e.metadata().expect("metadata").len(),
                    }
                })
                .collect();
            files.sort_by(|a, b| a.name.cmp(&b.name));
            files
        }

        fn import(
            &self,
            album: &Album,
            quality: Quality,
            label: &str,
        ) -> Result<Imported, ImportError> {
            let files = self.files();
            import(&ImportRequest {
                album,
                quality,
                release_title: "Artist - Album (1999) [X]",
                release_quality: label,
                save_path: &self.save,
                files: &files,
                library: &self.library,
                mode: ImportMode::Hardlink,
                download_id: uuid::Uuid::new_v4(),
            })
        }
    }

    #[test]
    fn flac_files_are_read_mapped_and_placed() {
        let d = Download::new();
        // file names in another order than the tags; one file without a number
        flac(
            &d.folder,
            "a.flac",
            44_100,
            16,
            &["TITLE=Two", "TRACKNUMBER=2"],
        );
        flac(
            &d.folder,
            "b.flac",
            44_100,
            16,
            &["TITLE=One", "TRACKNUMBER=1/3"],
        );
        flac(&d.folder, "c.FLAC", 44_100, 16, &["TITLE=Three"]);
        fs::write(d.folder.join("folder.jpg"), b"jpeg").unwrap();
        let album = album(&[(1, "One"), (1, "Two"), (1, "Three")]);

        let err = d
            .import(&album, Quality::LosslessHires, "FLAC 24-bit")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the files are FLAC 16-bit 44.1 kHz, not 24-bit lossless as asked"
        );
        let imported = d.import(&album, Quality::Lossless, "FLAC 16-bit").unwrap();
        assert_eq!(imported.folder, d.library.join("Artist/Album (1999)"));
        assert_eq!(
            imported.tracks,
            ["01 - One.flac", "02 - Two.flac", "03 - Three.flac"]
        );
        assert_eq!(imported.extras, ["folder.jpg"]);
        assert_eq!(imported.quality, "FLAC 16-bit 44.1 kHz");
        assert_eq!(
            ino(&imported.folder.join("01 - One.flac")),
            ino(&d.folder.join("b.flac"))
        );
    }

    #[test]
    fn hires_flac_fits_the_hires_tier() {
        let d = Download::new();
        flac(&d.folder, "01.flac", 96_000, 24, &["TITLE=Only"]);
        let album = album(&[(1, "Only")]);
        let imported = d.import(&album, Quality::LosslessHires, "").unwrap();
        assert_eq!(imported.quality, "FLAC 24-bit 96 kHz");
        assert_eq!(imported.tracks, ["01 - Only.flac"]);
    }

    #[test]
    fn mp3s_are_checked_against_the_label_and_the_tier() {
        let d = Download::new();
        mp3(
            &d.folder,
            "01 - one.mp3",
            &["-b", "320", "--tt", "One", "--tn", "1/2"],
        );
        mp3(
            &d.folder,
            "02 - two.mp3",
            &["-b", "320", "--tt", "Two", "--tn", "2/2"],
        );
        let album = album(&[(1, "One"), (1, "Two")]);

        let err = d.import(&album, Quality::Any, "FLAC 16-bit").unwrap_err();
        assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the release says \"FLAC 16-bit\" but the files are MP3 320 kbit/s"
        );
        let err = d.import(&album, Quality::Lossless, "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the files are MP3 320 kbit/s, not lossless as asked"
        );
        let imported = d.import(&album, Quality::Mp3_320, "MP3 320").unwrap();
        assert_eq!(imported.tracks, ["01 - One.mp3", "02 - Two.mp3"]);
        assert_eq!(imported.quality, "MP3 320 kbit/s");
    }

    #[test]
    fn mp3_v0_fits_the_v0_tier_under_a_v0_label() {
        let d = Download::new();
        mp3(&d.folder, "01.mp3", &["-V", "0", "--tt", "One"]);
        mp3(&d.folder, "02.mp3", &["-V", "0", "--tt", "Two"]);
        let album = album(&[(1, "One"), (1, "Two")]);
        let imported = d.import(&album, Quality::Mp3V0, "MP3 V0").unwrap();
        assert!(
            imported.quality.starts_with("MP3 V0 (~"),
            "{}",
            imported.quality
        );
        assert!(d.import(&album, Quality::Mp3_320, "MP3 V0").is_err());
    }

    #[test]
    fn a_broken_audio_file_is_refused() {
        let d = Download::new();
        flac(&d.folder, "01.flac", 44_100, 16, &["TITLE=One"]);
        fs::write(d.folder.join("02.flac"), b"not a flac at all").unwrap();
        let album = album(&[(1, "One"), (1, "Two")]);
        let err = d.import(&album, Quality::Any, "").unwrap_err();
        assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
        assert!(err.to_string().contains("02.flac"), "{err}");
        assert!(fs::read_dir(&d.library).unwrap().next().is_none());
    }
}
