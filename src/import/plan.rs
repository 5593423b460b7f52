//! The plan of an import, decided on plain data before anything is written:
//! which file is which track, whether the files are the asked quality, and
//! every name in the library.

use std::collections::HashSet;
use std::path::PathBuf;

use super::ImportError;
use super::mapping::{AudioFile, file_title, map_tracks, name_order};
use super::names::{
    album_folder_name, album_year, extension, is_extra, safe_component, safe_file_name, stem,
    track_file_name,
};
use super::quality::{check_quality, files_label, files_quality};
use crate::library::audio::AudioFacts;
use crate::metadata::Album;
use crate::model::Quality;

/// One file of the download, found on disk.
#[derive(Debug, Clone)]
pub struct Source {
    /// The client's name (relative to the save path, `/`-separated).
    pub name: String,
    /// Where it is on this machine.
    pub path: PathBuf,
    /// What it is, for audio files; `None` for everything else.
    pub audio: Option<AudioFacts>,
}

/// One file to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub source: PathBuf,
    /// Relative to the album folder: safe components joined with `/`.
    pub target: String,
}

/// Everything [`place`](super::place::place) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The artist folder's name (one safe component).
    pub artist: String,
    /// The album folder's name (one safe component).
    pub album: String,
    /// In album order.
    pub tracks: Vec<Entry>,
    pub extras: Vec<Entry>,
    /// What the files are: "FLAC 16-bit 44.1 kHz".
    pub quality: String,
}

/// Maps, checks and names the files of a download (pure: no IO).
///
/// Extras (artwork, cue sheets, logs, booklets) keep their place relative
/// to the folder that holds all the audio files, so `Scans/front.jpg` stays
/// in `Scans/`; extras outside that folder go beside the tracks. Names that
/// collide (also ignoring case, for case-insensitive filesystems) get
/// " (2)", " (3)", ….
pub fn plan(
    album: &Album,
    quality: Quality,
    release_quality: &str,
    sources: &[Source],
) -> Result<Plan, ImportError> {
    let audio: Vec<(&Source, AudioFile<'_>)> = sources
        .iter()
        .filter_map(|s| {
            let facts = s.audio.as_ref()?;
            Some((
                s,
                AudioFile {
                    name: &s.name,
                    facts,
                },
            ))
        })
        .collect();
    if audio.is_empty() {
        return Err(ImportError::Refused(
            "no audio files in the download".into(),
        ));
    }
    let files: Vec<AudioFile<'_>> = audio.iter().map(|(_, f)| *f).collect();

    let mut named: Vec<Named> = Vec::new();
    if album.tracks.is_empty() {
        for (n, i) in name_order(&files).into_iter().enumerate() {
            let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
            let mut title = file_title(&files[i]);
            if title.trim().is_empty() {
                title = stem(files[i].name).to_owned();
            }
            named.push(Named {
                order: (1, number),
                file: i,
                disc: None,
                number,
                title,
            });
        }
    } else {
        let discs: HashSet<u32> = album.tracks.iter().map(|t| t.disc).collect();
        let multi_disc = discs.len() > 1;
        for (i, t) in map_tracks(album, &files)?.into_iter().enumerate() {
            let track = &album.tracks[t];
            named.push(Named {
                order: (track.disc, track.position),
                file: i,
                disc: multi_disc.then_some(track.disc),
                number: track.position,
                title: track.title.clone(),
            });
        }
    }
    named.sort_by_key(|n| n.order);

    let facts: Vec<&AudioFacts> = files.iter().map(|f| f.facts).collect();
    let guess = files_quality(&facts, release_quality).map_err(ImportError::Refused)?;
    check_quality(&guess, quality, release_quality).map_err(ImportError::Refused)?;

    let mut taken = Taken::default();
    let tracks = named
        .into_iter()
        .map(|n| {
            let ext = extension(files[n.file].name).unwrap_or_default();
            let name = track_file_name(n.disc, n.number, &n.title, &ext);
            Entry {
                source: audio[n.file].0.path.clone(),
                target: taken.claim(Vec::new(), name),
            }
        })
        .collect();

    let root = common_dir(files.iter().map(|f| f.name));
    let extras = sources
        .iter()
        .filter(|s| s.audio.is_none() && is_extra(&s.name))
        .map(|s| {
            let parts: Vec<&str> = s.name.split('/').collect();
            let file = parts.last().copied().unwrap_or_default();
            let dirs = &parts[..parts.len().saturating_sub(1)];
            let below_root = dirs.strip_prefix(root.as_slice()).unwrap_or_default();
            let dirs = below_root.iter().map(|d| safe_component(d)).collect();
            let ext = extension(file).unwrap_or_default();
            let name = safe_file_name(stem(file), &ext);
            Entry {
                source: s.path.clone(),
                target: taken.claim(dirs, name),
            }
        })
        .collect();

    let first = files[0].facts;
    let artist = non_empty(&album.artist)
        .or_else(|| first.tags.album_artist.as_deref().and_then(non_empty))
        .or_else(|| first.tags.artist.as_deref().and_then(non_empty))
        .unwrap_or("Unknown Artist");
    let title = non_empty(&album.title)
        .or_else(|| first.tags.album.as_deref().and_then(non_empty))
        .unwrap_or("Unknown Album");
    let tag_year = first
        .tags
        .year
        .filter(|y| (1000..=9999).contains(y))
        .map(|y| y.to_string());
    let year = album_year(album).or(tag_year.as_deref());
    Ok(Plan {
        artist: safe_component(artist),
        album: album_folder_name(title, year),
        tracks,
        extras,
        quality: files_label(&guess),
    })
}

/// One audio file with the track it is.
struct Named {
    /// (disc, position): album order.
    order: (u32, u32),
    /// Index into the audio files.
    file: usize,
    /// The disc as shown in the file name (multi-disc albums only).
    disc: Option<u32>,
    number: u32,
    title: String,
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.trim().is_empty()).then_some(text)
}

/// The folder components all the names share (their files excluded).
fn common_dir<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut common: Option<Vec<&str>> = None;
    for name in names {
        let mut dirs: Vec<&str> = name.split('/').collect();
        dirs.pop();
        common = Some(match common {
            None => dirs,
            Some(c) => c
                .iter()
                .zip(&dirs)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    common.unwrap_or_default()
}

/// The names given out so far, compared case-insensitively.
#[derive(Default)]
struct Taken {
    files: HashSet<String>,
    dirs: HashSet<String>,
}

impl Taken {
    /// A unique relative path for `file` in `dirs` (flattened when one of
    /// the folders would be a file already).
    fn claim(&mut self, mut dirs: Vec<String>, file: String) -> String {
        let prefixes = |dirs: &[String]| -> Vec<String> {
            (1..=dirs.len())
                .map(|n| dirs[..n].join("/").to_lowercase())
                .collect()
        };
        if prefixes(&dirs).iter().any(|p| self.files.contains(p)) {
            dirs.clear();
        }
        let join = |file: &str| {
            let mut parts = dirs.clone();
            parts.push(file.to_owned());
            parts.join("/")
        };
        let mut path = join(&file);
        let mut n = 2;
        while self.files.contains(&path.to_lowercase()) || self.dirs.contains(&path.to_lowercase())
        {
            let numbered = match file.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
                None => format!("{file} ({n})"),
            };
            path = join(&numbered);
            n += 1;
        }
        self.files.insert(path.to_lowercase());
        self.dirs.extend(prefixes(&dirs));
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::testutil::{album, facts};
    use crate::release::Codec;

    fn source(name: &str, audio: Option<AudioFacts>) -> Source {
        Source {
            name: name.into(),
            path: PathBuf::from("/save").join(name),
            audio,
        }
    }

    fn flac(disc: Option<u32>, track: u32) -> Option<AudioFacts> {
        Some(facts(Codec::Flac, disc, Some(track), None))
    }

    #[test]
    fn names_tracks_and_extras() {
        let mut a = album(&[(1, "Intro"), (1, "Who?"), (1, "CON")]);
        a.artist = "AC/DC".into();
        a.title = "Live: 1991".into();
        a.first_release_date = "1992-10-27".into();
        let sources = [
            source("R/03 - con.FLAC", flac(None, 3)),
            source("R/01 - intro.FLAC", flac(None, 1)),
            source("R/02 - who.FLAC", flac(None, 2)),
            source("R/cover.jpg", None),
            source("R/Scans/Front.JPG", None),
            source("R/scans/front.jpg", None),
            source("R/info.nfo", None),
            source("other/folder.png", None),
        ];
        let plan = plan(&a, Quality::Lossless, "FLAC", &sources).unwrap();
        assert_eq!(plan.artist, "AC_DC");
        assert_eq!(plan.album, "Live - 1991 (1992)");
        let targets: Vec<&str> = plan.tracks.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            targets,
            ["01 - Intro.flac", "02 - Who_.flac", "03 - CON.flac"]
        );
        assert_eq!(
            plan.tracks[0].source,
            PathBuf::from("/save/R/01 - intro.FLAC")
        );
        let extras: Vec<&str> = plan.extras.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            extras,
            [
                "cover.jpg",
                "Scans/Front.jpg",
                "scans/front (2).jpg",
                "folder.png"
            ]
        );
        assert_eq!(plan.quality, "FLAC 16-bit 44.1 kHz");
    }

    #[test]
    fn multi_disc_names() {
        let a = album(&[(1, "A"), (1, "B"), (2, "C")]);
        let sources = [
            source("R/CD1/01.flac", flac(Some(1), 1)),
            source("R/CD1/02.flac", flac(Some(1), 2)),
            source("R/CD2/01.flac", flac(Some(2), 1)),
            source("R/CD2/rip.log", None),
        ];
        let plan = plan(&a, Quality::Any, "", &sources).unwrap();
        let targets: Vec<&str> = plan.tracks.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["1-01 - A.flac", "1-02 - B.flac", "2-01 - C.flac"]);
        assert_eq!(plan.extras[0].target, "CD2/rip.log");
        assert_eq!(plan.album, "Album (1999)");
    }

    #[test]
    fn unknown_tracklist_in_name_order() {
        let mut a = album(&[]);
        a.artist.clear();
        a.title.clear();
        a.first_release_date.clear();
        let mut tagged = facts(Codec::Mp3, None, None, Some("Tagged"));
        tagged.bitrate_kbps = Some(320);
        tagged.tags.album_artist = Some("Tag Artist".into());
        tagged.tags.album = Some("Tag Album".into());
        tagged.tags.year = Some(2001);
        let mut untagged = tagged.clone();
        untagged.tags.title = None;
        let sources = [
            source("R/10 - ten.mp3", Some(untagged.clone())),
            source("R/2 - two.mp3", Some(tagged)),
            source("R/01.mp3", Some(untagged)),
        ];
        let plan = plan(&a, Quality::Mp3_320, "MP3 320", &sources).unwrap();
        let targets: Vec<&str> = plan.tracks.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["01 - 01.mp3", "02 - Tagged.mp3", "03 - ten.mp3"]);
        assert_eq!(
            (plan.artist.as_str(), plan.album.as_str()),
            ("Tag Artist", "Tag Album (2001)")
        );
        assert_eq!(plan.quality, "MP3 320 kbit/s");
    }

    #[test]
    fn refusals() {
        let a = album(&[(1, "A"), (1, "B")]);
        let only_extras = [source("R/cover.jpg", None)];
        let err = plan(&a, Quality::Any, "", &only_extras).unwrap_err();
        assert_eq!(err.to_string(), "no audio files in the download");
        let one = [source("R/01.flac", flac(None, 1))];
        let err = plan(&a, Quality::Any, "", &one).unwrap_err();
        assert_eq!(err.to_string(), "1 audio files for an album of 2 tracks");
        let mut mp3 = facts(Codec::Mp3, None, Some(1), None);
        mp3.bitrate_kbps = Some(320);
        let mut mp3b = mp3.clone();
        mp3b.tags.track = Some(2);
        let fake = [
            source("R/01.mp3", Some(mp3)),
            source("R/02.mp3", Some(mp3b)),
        ];
        let err = plan(&a, Quality::Any, "FLAC 16-bit", &fake).unwrap_err();
        assert!(matches!(err, ImportError::Refused(_)), "{err:?}");
        assert!(err.to_string().contains("MP3 320 kbit/s"), "{err}");
    }
}
