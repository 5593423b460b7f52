//! B6: library scan rate. A generated library of F tagged audio files
//! (`Artist N/Album M/NN - Title.flac|mp3`, a cover.jpg per album): the
//! first `Library::refresh` on an empty index (reads every file, writes the
//! index) and the incremental one with nothing changed, against a bare
//! directory walk that reads every file's tags (`audio::read`, no database)
//! and a bare walk that only `lstat`s each file.
//!
//! A handful of real encodes are made once with sox, flac and lame; each
//! file of the library is a copy of one of them with tags of its own
//! written by lofty.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use lofty::config::WriteOptions;
use lofty::prelude::*;
use lofty::tag::{Tag, TagType};
use musicagg::library::audio;
use musicagg::library::index::Library;
use musicagg::library::scan::scan;

use super::{Backend, Databases, Row};

const TRACKS_PER_ALBUM: usize = 10;
const ALBUMS_PER_ARTIST: usize = 5;

/// The library on disk.
pub(super) struct GeneratedLibrary {
    _dir: tempfile::TempDir,
    root: PathBuf,
    files: usize,
    flac: usize,
    mp3: usize,
    albums: usize,
    bytes: u64,
}

impl GeneratedLibrary {
    fn describe(&self) -> String {
        format!(
            "F={} files ({} FLAC, {} MP3, {:.0} MB) in {} albums",
            self.files,
            self.flac,
            self.mp3,
            self.bytes as f64 / 1e6,
            self.albums
        )
    }
}

/// Runs a tool; its output is shown only when it fails (flac warns about
/// the `fact` chunk of sox's 24-bit WAV).
fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program} (install sox, flac and lame)"))?;
    ensure!(
        output.status.success(),
        "{program} {args:?} failed: {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

/// One template: a real encode, and the tag type its copies get.
struct Template {
    path: PathBuf,
    tag_type: TagType,
    extension: &'static str,
}

/// One second of pink noise, encoded as FLAC 16/44.1, FLAC 24/96, MP3 CBR 320
/// and MP3 V0.
fn templates(dir: &Path) -> anyhow::Result<Vec<Template>> {
    let wav = |name: &str, rate: &str, bits: &str| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        let p = path.to_str().context("UTF-8 temp path")?;
        run(
            "sox",
            &[
                "-q",
                "-n",
                "-r",
                rate,
                "-b",
                bits,
                "-c",
                "2",
                p,
                "synth",
                "1",
                "pinknoise",
                "vol",
                "0.3",
            ],
        )?;
        Ok(path)
    };
    let s = |p: &Path| p.to_str().map(str::to_owned).context("UTF-8 temp path");
    let cd = wav("cd.wav", "44100", "16")?;
    let hires = wav("hires.wav", "96000", "24")?;
    let mut out = Vec::new();
    for (source, name) in [(&cd, "t16.flac"), (&hires, "t24.flac")] {
        let path = dir.join(name);
        run("flac", &["-s", "-f", "-o", &s(&path)?, &s(source)?])?;
        out.push(Template {
            path,
            tag_type: TagType::VorbisComments,
            extension: "flac",
        });
    }
    for (options, name) in [(["-b", "320"], "cbr.mp3"), (["-V", "0"], "v0.mp3")] {
        let path = dir.join(name);
        run(
            "lame",
            &["--quiet", options[0], options[1], &s(&cd)?, &s(&path)?],
        )?;
        out.push(Template {
            path,
            tag_type: TagType::Id3v2,
            extension: "mp3",
        });
    }
    Ok(out)
}

/// Generates a library of at least `files` files (whole albums of
/// [`TRACKS_PER_ALBUM`]): per 5 albums, three FLAC 16/44.1, one FLAC
/// 24/96, one MP3 (CBR 320 and V0 alternately).
pub(super) fn generate(files: usize) -> anyhow::Result<GeneratedLibrary> {
    let dir = tempfile::tempdir()?;
    let work = dir.path().join("templates");
    let root = dir.path().join("library");
    std::fs::create_dir_all(&work)?;
    std::fs::create_dir_all(&root)?;
    let templates = templates(&work)?;
    let cover = vec![0xd8_u8; 40_000];
    let albums = files.div_ceil(TRACKS_PER_ALBUM).max(1);
    let (mut flac, mut mp3, mut bytes) = (0, 0, 0_u64);
    for a in 0..albums {
        let artist_no = a / ALBUMS_PER_ARTIST + 1;
        let album_no = a % ALBUMS_PER_ARTIST + 1;
        let artist = format!("Artist {artist_no}");
        let album = format!("Album {album_no}");
        let folder = root.join(&artist).join(&album);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("cover.jpg"), &cover)?;
        let template = match a % 5 {
            0..=2 => &templates[0],
            3 => &templates[1],
            _ => &templates[2 + (a / 5) % 2],
        };
        let group = uuid::Uuid::new_v4().to_string();
        for t in 1..=TRACKS_PER_ALBUM {
            let title = format!("Title {t}");
            let path = folder.join(format!("{t:02} - {title}.{}", template.extension));
            std::fs::copy(&template.path, &path)?;
            let mut tag = Tag::new(template.tag_type);
            tag.set_artist(artist.clone());
            tag.set_album(album.clone());
            tag.set_title(title);
            tag.set_track(t as u32);
            tag.set_track_total(TRACKS_PER_ALBUM as u32);
            tag.set_disk(1);
            tag.insert_text(ItemKey::AlbumArtist, artist.clone());
            tag.insert_text(ItemKey::RecordingDate, format!("{}", 1990 + a % 30));
            tag.insert_text(ItemKey::MusicBrainzReleaseGroupId, group.clone());
            tag.save_to_path(&path, WriteOptions::default())
                .with_context(|| format!("tagging {}", path.display()))?;
            bytes += std::fs::metadata(&path)?.len();
            if template.extension == "flac" {
                flac += 1;
            } else {
                mp3 += 1;
            }
        }
    }
    std::fs::remove_dir_all(&work)?;
    Ok(GeneratedLibrary {
        _dir: dir,
        root,
        files: flac + mp3,
        flac,
        mp3,
        albums,
        bytes,
    })
}

/// What the bare walk does with each audio file.
#[derive(Clone, Copy)]
enum Walk {
    /// `lstat` only (what an incremental scan of an unchanged file costs).
    Stat,
    /// `audio::read` (properties and tags).
    Read,
}

/// A bare walk: `read_dir` recursively, the audio files by extension, each
/// stat'ed or read. Returns the number of files (errors are fatal).
fn walk(root: &Path, what: Walk) -> anyhow::Result<usize> {
    let mut folders = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                folders.push(entry.path());
            } else if file_type.is_file() && audio::is_audio_path(Path::new(&entry.file_name())) {
                match what {
                    Walk::Stat => {
                        std::hint::black_box(entry.metadata()?.len());
                    }
                    Walk::Read => {
                        std::hint::black_box(audio::read(&entry.path())?);
                    }
                }
                files += 1;
            }
        }
    }
    Ok(files)
}

/// The walk on a blocking thread (as `refresh` runs its scan), timed.
async fn timed_walk(root: &Path, what: Walk, expected: usize) -> anyhow::Result<Duration> {
    let root = root.to_path_buf();
    let (files, took) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        walk(&root, what).map(|files| (files, started.elapsed()))
    })
    .await??;
    ensure!(
        files == expected,
        "the walk found {files} files, not {expected}"
    );
    Ok(took)
}

/// `scan::scan` alone (the library's own walk, no database), timed.
async fn timed_scan(
    root: &Path,
    known: HashMap<String, musicagg::library::scan::Known>,
) -> anyhow::Result<(Duration, usize, usize)> {
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let outcome = scan(&root, &known);
        let took = started.elapsed();
        if !outcome.errors.is_empty() {
            bail!(
                "scan errors: {:?}",
                &outcome.errors[..outcome.errors.len().min(3)]
            );
        }
        Ok((took, outcome.changed.len(), outcome.unchanged))
    })
    .await?
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

pub(super) async fn b6(
    dbs: &Databases,
    backend: Backend,
    lib: &GeneratedLibrary,
) -> anyhow::Result<Vec<Row>> {
    let f = lib.files;
    let url = dbs.fresh(backend).await?;
    let store = musicagg::store::connect(&url).await?;
    let library = Library::new(lib.root.clone(), store.clone());
    let rate = |d: Duration| f as f64 / d.as_secs_f64().max(1e-9);

    // Warm-up (page cache, lofty's code): one untimed read of everything.
    timed_walk(&lib.root, Walk::Read, f).await?;

    // First scan, with the read-everything floor before and after it.
    let read_before = timed_walk(&lib.root, Walk::Read, f).await?;
    let started = Instant::now();
    let first = library.refresh().await?;
    let first_took = started.elapsed();
    let read_after = timed_walk(&lib.root, Walk::Read, f).await?;
    ensure!(
        first.files == f as u64 && first.read == f as u64 && first.errors.is_empty(),
        "the first scan should read and index {f} files: {first:?}"
    );
    let read_floor = (read_before + read_after) / 2;

    // Rescans with nothing changed, interleaved with the stat-only floor.
    let (mut rescans, mut stats) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let started = Instant::now();
        let again = library.refresh().await?;
        rescans.push(started.elapsed());
        ensure!(
            again.files == f as u64 && again.read == 0 && again.removed == 0,
            "a rescan of an unchanged library read or removed files: {again:?}"
        );
        stats.push(timed_walk(&lib.root, Walk::Stat, f).await?);
    }
    let (rescan, stat_floor) = (median(rescans), median(stats));

    // The library's scan alone (no database), for the analysis.
    let (scan_first, read, _) = timed_scan(&lib.root, HashMap::new()).await?;
    ensure!(read == f, "scan() read {read} files");
    let known = store.library_known().await?;
    let (mut scan_again, mut unchanged) = (Duration::ZERO, 0);
    for _ in 0..3 {
        let (took, _, n) = timed_scan(&lib.root, known.clone()).await?;
        scan_again = if scan_again.is_zero() {
            took
        } else {
            scan_again.min(took)
        };
        unchanged = n;
    }
    ensure!(unchanged == f, "scan() found {unchanged} unchanged files");

    Ok(vec![
        Row {
            bench: "B6 library first scan",
            store: backend.name(),
            size: lib.describe(),
            measured: format!(
                "{:.0} files/s ({:.2} s); scan() alone {:.0} files/s",
                rate(first_took),
                first_took.as_secs_f64(),
                rate(scan_first)
            ),
            limit: format!(
                "walk + audio::read, no database: {:.0} files/s ({:.2} s; before {:.0}, after {:.0})",
                rate(read_floor),
                read_floor.as_secs_f64(),
                rate(read_before),
                rate(read_after)
            ),
            ratio: format!("{:.2}", rate(first_took) / rate(read_floor)),
        },
        Row {
            bench: "B6 library rescan, nothing changed",
            store: backend.name(),
            size: lib.describe(),
            measured: format!(
                "{:.0} files/s ({} ms, median of 3); scan() alone {:.0} files/s",
                rate(rescan),
                super::ms(rescan),
                rate(scan_again)
            ),
            limit: format!(
                "walk + lstat, no database: {:.0} files/s ({} ms)",
                rate(stat_floor),
                super::ms(stat_floor)
            ),
            ratio: format!("{:.2}", rate(rescan) / rate(stat_floor)),
        },
    ])
}
