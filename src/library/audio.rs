//! Audio properties and tags of one file, read with lofty. Files are only
//! ever read here: a file the torrent client seeds must never change.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use lofty::config::ParseOptions;
use lofty::file::{AudioFile, FileType, TaggedFile, TaggedFileExt};
use lofty::mp4::{Mp4Codec, Mp4File};
use lofty::probe::Probe;
use lofty::tag::{ItemKey, Tag};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::release::Codec;

/// The tags that identify a file's album and place in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioTags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track: Option<u32>,
    pub track_total: Option<u32>,
    pub disc: Option<u32>,
    pub disc_total: Option<u32>,
    /// The year of the date tag, when it has one.
    pub year: Option<i32>,
    /// MUSICBRAINZ_RELEASEGROUPID (lower-case).
    pub release_group_id: Option<String>,
    /// MUSICBRAINZ_ALBUMID, the release (lower-case).
    pub release_id: Option<String>,
}

/// What one audio file is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioFacts {
    #[serde(with = "codec_name")]
    pub codec: Codec,
    pub bit_depth: Option<u8>,
    pub sample_rate_hz: Option<u32>,
    /// Audio bitrate, kbit/s.
    pub bitrate_kbps: Option<u32>,
    pub duration_ms: u64,
    pub tags: AudioTags,
}

/// Why a file could not be read as audio.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
}

/// Extensions of the files the library counts as audio, lower-case. DSF,
/// DFF and WMA are audio a library holds even though lofty cannot read
/// them: listing them lets a scan report them instead of ignoring them.
const AUDIO_EXTENSIONS: &[&str] = &[
    "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "wav", "aif", "aiff", "ape", "wv",
    "dsf", "dff", "wma",
];

/// Longest string kept from one tag: a tag is attacker-sized data from a
/// download, and nothing we match on is longer than this.
const MAX_TAG_CHARS: usize = 1000;

/// Longest error reason kept: lofty's messages can quote file contents.
const MAX_REASON_CHARS: usize = 200;

/// Whether the file name has an audio extension we read (flac, mp3, m4a, …).
pub fn is_audio_path(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(ext)))
}

/// Reads the properties and tags of one file (blocking).
///
/// The file is opened read-only and never written. Any failure, including a
/// panic inside lofty on hostile bytes, becomes [`AudioError::Unreadable`]:
/// one bad file in a download must not take the scan or the service down.
pub fn read(path: &Path) -> Result<AudioFacts, AudioError> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| read_facts(path)));
    let reason = match outcome {
        Ok(Ok(facts)) => return Ok(facts),
        Ok(Err(reason)) => reason,
        Err(_) => "the tag reader crashed on this file".to_owned(),
    };
    Err(AudioError::Unreadable {
        path: path.display().to_string(),
        reason,
    })
}

fn read_facts(path: &Path) -> Result<AudioFacts, String> {
    let metadata = std::fs::metadata(path).map_err(short)?;
    // A FIFO or device named like audio would block or never end.
    if !metadata.is_file() {
        return Err("not a regular file".to_owned());
    }
    if metadata.len() == 0 {
        return Err("empty file".to_owned());
    }
    // Cover art is never used here; skipping it saves copying megabytes.
    let options = ParseOptions::new().read_cover_art(false);
    // The content decides the format when it can (a ".flac" that is really
    // an MP3 is read as MP3); the extension is the fallback.
    let probe = Probe::open(path)
        .map_err(short)?
        .options(options)
        .guess_file_type()
        .map_err(short)?;
    let (codec, tagged) = match probe.file_type() {
        // `TaggedFile` flattens MP4 properties and drops the codec, so MP4 is
        // read as `Mp4File` to tell ALAC from AAC, then flattened.
        Some(FileType::Mp4) => {
            let mut reader = probe.into_inner();
            let mp4 = Mp4File::read_from(&mut reader, options).map_err(short)?;
            let codec = match mp4.properties().codec() {
                Some(Mp4Codec::ALAC) => Codec::Alac,
                Some(Mp4Codec::AAC) => Codec::Aac,
                Some(Mp4Codec::MP3) => Codec::Mp3,
                Some(Mp4Codec::FLAC) => Codec::Flac,
                _ => Codec::Unknown,
            };
            (codec, TaggedFile::from(mp4))
        }
        // Custom resolvers are never registered, and lofty panics on an
        // unregistered custom type: refuse it rather than rely on catch_unwind.
        Some(FileType::Custom(_)) | None => return Err(unsupported(path)),
        Some(file_type) => (codec_of(file_type), probe.read().map_err(short)?),
    };
    let properties = tagged.properties();
    Ok(AudioFacts {
        codec,
        bit_depth: properties.bit_depth().filter(|&b| b > 0),
        sample_rate_hz: properties.sample_rate().filter(|&r| r > 0),
        bitrate_kbps: properties
            .audio_bitrate()
            .or(properties.overall_bitrate())
            .filter(|&b| b > 0),
        duration_ms: u64::try_from(properties.duration().as_millis()).unwrap_or(u64::MAX),
        tags: tags_of(&tagged),
    })
}

/// The codec of a non-MP4 file type. AIFF is PCM like WAV, and `Codec` has
/// one PCM codec. Musepack and Speex have no `Codec`.
fn codec_of(file_type: FileType) -> Codec {
    match file_type {
        FileType::Flac => Codec::Flac,
        FileType::Mpeg => Codec::Mp3,
        FileType::Aac => Codec::Aac,
        FileType::Vorbis => Codec::Vorbis,
        FileType::Opus => Codec::Opus,
        FileType::Wav | FileType::Aiff => Codec::Wav,
        FileType::Ape => Codec::Ape,
        FileType::WavPack => Codec::WavPack,
        _ => Codec::Unknown,
    }
}

/// Why a file lofty has no reader for is refused, naming the format when
/// the extension says it is audio we know lofty lacks.
fn unsupported(path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "dsf" | "dff" => "DSD files (DSF/DFF) are not read: lofty has no DSD reader".to_owned(),
        "wma" => "WMA (ASF) files are not read: lofty has no ASF reader".to_owned(),
        _ => "not a recognised audio format".to_owned(),
    }
}

/// An error as a short, single-line reason.
fn short(error: impl std::fmt::Display) -> String {
    let text = error.to_string().replace(['\n', '\r'], " ");
    truncate(&text, MAX_REASON_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// The tags, each field from the primary tag (the format's native one:
/// Vorbis comments in FLAC, ID3v2 in MP3) or, when that lacks it, from the
/// first other tag that has it (an ID3v1 or APE tag left by another tagger).
fn tags_of(tagged: &TaggedFile) -> AudioTags {
    let primary = tagged.primary_tag();
    let mut order: Vec<&Tag> = primary.into_iter().collect();
    order.extend(
        tagged
            .tags()
            .iter()
            .filter(|t| primary.is_none_or(|p| p.tag_type() != t.tag_type())),
    );
    let first = |key: ItemKey| order.iter().find_map(|tag| clean(tag.get_string(key)?));

    let (track, total_in_track) = number_pair(first(ItemKey::TrackNumber));
    let (disc, total_in_disc) = number_pair(first(ItemKey::DiscNumber));
    let date_keys = [
        ItemKey::RecordingDate,
        ItemKey::Year,
        ItemKey::ReleaseDate,
        ItemKey::OriginalReleaseDate,
    ];
    AudioTags {
        title: first(ItemKey::TrackTitle),
        artist: first(ItemKey::TrackArtist),
        album: first(ItemKey::AlbumTitle),
        album_artist: first(ItemKey::AlbumArtist),
        track,
        track_total: number_pair(first(ItemKey::TrackTotal)).0.or(total_in_track),
        disc,
        disc_total: number_pair(first(ItemKey::DiscTotal)).0.or(total_in_disc),
        year: date_keys.iter().find_map(|&key| year_of(&first(key)?)),
        release_group_id: first(ItemKey::MusicBrainzReleaseGroupId).and_then(|s| mbid(&s)),
        release_id: first(ItemKey::MusicBrainzReleaseId).and_then(|s| mbid(&s)),
    }
}

/// A tag value trimmed, without NULs (ID3v2 separates values with them),
/// capped to [`MAX_TAG_CHARS`]; `None` when nothing is left.
fn clean(value: &str) -> Option<String> {
    let head = truncate(value, MAX_TAG_CHARS * 2);
    let first_value = head.split('\0').next().unwrap_or_default();
    let text = truncate(first_value.trim(), MAX_TAG_CHARS);
    let text = text.trim_end();
    (!text.is_empty()).then(|| text.to_owned())
}

/// "3", "03", "3/12" or "3 of 12" as (3, 12). Zero is "not set" (taggers
/// write "0" for an unknown total), and so is anything that overflows.
fn number_pair(value: Option<String>) -> (Option<u32>, Option<u32>) {
    let Some(value) = value else {
        return (None, None);
    };
    let number = |s: &str| -> Option<u32> {
        let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok().filter(|&n| n > 0)
    };
    match value
        .split_once(['/', '\\'])
        .or_else(|| value.split_once(" of "))
    {
        Some((n, total)) => (number(n), number(total)),
        None => (number(&value), None),
    }
}

/// The year of a date tag: the first run of four or more digits ("2020",
/// "2020-05-01", "20200501", "01/05/2020"), read as its first four.
fn year_of(date: &str) -> Option<i32> {
    date.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() >= 4)
        .and_then(|run| run.get(..4)?.parse::<i32>().ok())
        .filter(|&year| year >= 1000)
}

/// A MusicBrainz id in its canonical form (hyphenated, lower-case), or
/// `None` when the tag holds no UUID: a mangled id must not look up the
/// wrong release. Taggers sometimes write several ids; the first counts.
fn mbid(value: &str) -> Option<String> {
    value
        .split(|c: char| c == ';' || c == '/' || c == ',' || c.is_whitespace())
        .find_map(|part| Uuid::try_parse(part).ok())
        .map(|id| id.hyphenated().to_string())
}

mod codec_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::release::Codec;

    pub fn serialize<S: Serializer>(codec: &Codec, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(codec.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Codec, D::Error> {
        let name = String::deserialize(d)?;
        Ok(super::codec_from_name(&name))
    }
}

/// The codec named by [`Codec::name`] (unknown names → `Codec::Unknown`).
pub fn codec_from_name(name: &str) -> Codec {
    [
        Codec::Flac,
        Codec::Alac,
        Codec::Ape,
        Codec::WavPack,
        Codec::Wav,
        Codec::Mp3,
        Codec::Aac,
        Codec::Vorbis,
        Codec::Opus,
        Codec::Wma,
        Codec::Dsd,
    ]
    .into_iter()
    .find(|c| c.name().eq_ignore_ascii_case(name))
    .unwrap_or(Codec::Unknown)
}

/// Real audio files made at test time with sox, flac and lame, so the tests
/// read what encoders write rather than hand-made bytes. A missing tool
/// fails the test: a skipped test would hide that nothing was checked.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const INSTALL: &str = "install sox/flac/lame (apt-get install sox flac lame)";

    pub(crate) fn run(tool: &str, args: &[&str]) {
        let output = match Command::new(tool).args(args).output() {
            Ok(output) => output,
            Err(e) => panic!("cannot run `{tool}` ({e}): {INSTALL}"),
        };
        assert!(
            output.status.success(),
            "`{tool} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn path_str(path: &Path) -> &str {
        path.to_str().expect("test paths are UTF-8")
    }

    /// A WAV of pink noise (noise, so lossless codecs cannot shrink it away).
    pub(crate) fn wav(dir: &Path, name: &str, rate: u32, bits: u32, secs: u32) -> PathBuf {
        let path = dir.join(name);
        let (rate, bits, secs) = (rate.to_string(), bits.to_string(), secs.to_string());
        let args = [
            "-q",
            "-n",
            "-r",
            &rate,
            "-c",
            "2",
            "-b",
            &bits,
            path_str(&path),
        ];
        let effects = ["synth", &secs, "pinknoise", "vol", "0.5"];
        run("sox", &[&args[..], &effects[..]].concat());
        path
    }

    /// A FLAC with Vorbis comments `tags` ("KEY=value").
    pub(crate) fn flac(dir: &Path, name: &str, rate: u32, bits: u32, tags: &[&str]) -> PathBuf {
        let source = wav(dir, &format!("{name}.src.wav"), rate, bits, 2);
        let path = dir.join(name);
        let mut args = vec!["-s", "-f"];
        for tag in tags {
            args.extend(["-T", tag]);
        }
        args.extend(["-o", path_str(&path), path_str(&source)]);
        run("flac", &args);
        std::fs::remove_file(&source).expect("remove the source WAV");
        path
    }

    /// An MP3 encoded by lame with `options` (bitrate mode and ID3 tags).
    pub(crate) fn mp3(dir: &Path, name: &str, options: &[&str]) -> PathBuf {
        let source = wav(dir, &format!("{name}.src.wav"), 44_100, 16, 2);
        let path = dir.join(name);
        let args = [&["--quiet"], options, &[path_str(&source), path_str(&path)]].concat();
        run("lame", &args);
        std::fs::remove_file(&source).expect("remove the source WAV");
        path
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{flac, mp3, run, wav};
    use super::*;

    const GROUP: &str = "0A1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d";
    const RELEASE: &str = "  11111111-2222-4333-8444-555555555555 ";

    fn assert_about(actual: u64, expected: u64, tolerance: u64, what: &str) {
        assert!(
            actual.abs_diff(expected) <= tolerance,
            "{what}: {actual}, expected {expected} ± {tolerance}"
        );
    }

    fn unreadable_reason(path: &Path) -> String {
        match read(path) {
            Err(AudioError::Unreadable { path: p, reason }) => {
                assert_eq!(p, path.display().to_string());
                assert!(!reason.is_empty() && reason.len() <= 4 * MAX_REASON_CHARS);
                reason
            }
            Ok(facts) => panic!("{} read as audio: {facts:?}", path.display()),
        }
    }

    #[test]
    fn flac_16_44_properties_and_every_tag() {
        let dir = tempfile::tempdir().unwrap();
        let group = format!("MUSICBRAINZ_RELEASEGROUPID={GROUP}");
        let release = format!("MUSICBRAINZ_ALBUMID={RELEASE}");
        let tags = [
            "ARTIST=Track Artist",
            "ALBUM=The Album",
            "ALBUMARTIST=Album Artist",
            "TITLE=Third Song",
            "TRACKNUMBER=3",
            "TRACKTOTAL=12",
            "DISCNUMBER=1",
            "DISCTOTAL=2",
            "DATE=2020-05-01",
            &group,
            &release,
        ];
        let path = flac(dir.path(), "03.flac", 44_100, 16, &tags);
        let before = std::fs::read(&path).unwrap();

        let facts = read(&path).unwrap();
        assert_eq!(facts.codec, Codec::Flac);
        assert_eq!(facts.bit_depth, Some(16));
        assert_eq!(facts.sample_rate_hz, Some(44_100));
        assert_about(facts.duration_ms, 2000, 1, "duration");
        // lofty computes a FLAC bitrate from the stream size; pink noise
        // compresses a little below the 1411 kbit/s of the PCM.
        let kbps = facts.bitrate_kbps.expect("FLAC bitrate");
        assert!((500..=1411).contains(&kbps), "FLAC bitrate {kbps}");
        let expected = AudioTags {
            title: Some("Third Song".into()),
            artist: Some("Track Artist".into()),
            album: Some("The Album".into()),
            album_artist: Some("Album Artist".into()),
            track: Some(3),
            track_total: Some(12),
            disc: Some(1),
            disc_total: Some(2),
            year: Some(2020),
            release_group_id: Some(GROUP.to_lowercase()),
            release_id: Some(RELEASE.trim().to_owned()),
        };
        assert_eq!(facts.tags, expected);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file was changed"
        );
    }

    #[test]
    fn flac_24_96_and_track_written_as_pair() {
        let dir = tempfile::tempdir().unwrap();
        let tags = "TITLE=Hi-Res TRACKNUMBER=03/12 DISCNUMBER=2/2 DATE=1999";
        let tags: Vec<&str> = tags.split(' ').collect();
        let path = flac(dir.path(), "hires.flac", 96_000, 24, &tags);
        let facts = read(&path).unwrap();
        assert_eq!(facts.codec, Codec::Flac);
        assert_eq!(facts.bit_depth, Some(24));
        assert_eq!(facts.sample_rate_hz, Some(96_000));
        assert_about(facts.duration_ms, 2000, 1, "duration");
        let tags = facts.tags;
        assert_eq!((tags.track, tags.track_total), (Some(3), Some(12)));
        assert_eq!((tags.disc, tags.disc_total), (Some(2), Some(2)));
        assert_eq!(tags.year, Some(1999));
        assert_eq!(tags.artist, None);
        assert_eq!(tags.release_group_id, None);
    }

    #[test]
    fn mp3_cbr_320_with_id3_tags() {
        let dir = tempfile::tempdir().unwrap();
        let mut options: Vec<&str> = "-b 320 --tt Title --ta Artist --tl Album --tn 3/12 --ty 2020"
            .split(' ')
            .collect();
        let group = format!("TXXX=MusicBrainz Release Group Id={GROUP}");
        let release = format!("TXXX=MusicBrainz Album Id={RELEASE}");
        options.extend(["--tv", "TPE2=Album Artist", "--tv", "TPOS=1/2"]);
        options.extend(["--tv", &group, "--tv", &release]);
        let path = mp3(dir.path(), "x.mp3", &options);
        let facts = read(&path).unwrap();
        assert_eq!(facts.codec, Codec::Mp3);
        assert_eq!(facts.bit_depth, None);
        assert_eq!(facts.sample_rate_hz, Some(44_100));
        // lofty divides the Info header's byte count (which counts the Info
        // frame itself) by the duration: 2 s of 320 kbit/s read as ~324.
        assert_about(facts.bitrate_kbps.unwrap().into(), 320, 6, "bitrate");
        // The encoder pads the stream by a frame or two.
        assert_about(facts.duration_ms, 2000, 60, "duration");
        let expected = AudioTags {
            title: Some("Title".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            album_artist: Some("Album Artist".into()),
            track: Some(3),
            track_total: Some(12),
            disc: Some(1),
            disc_total: Some(2),
            year: Some(2020),
            release_group_id: Some(GROUP.to_lowercase()),
            release_id: Some(RELEASE.trim().to_owned()),
        };
        assert_eq!(facts.tags, expected);
    }

    #[test]
    fn mp3_vbr_v0_has_a_plausible_bitrate() {
        let dir = tempfile::tempdir().unwrap();
        let path = mp3(dir.path(), "v0.mp3", &["-V", "0", "--tt", "Vbr"]);
        let facts = read(&path).unwrap();
        assert_eq!(facts.codec, Codec::Mp3);
        let kbps = facts.bitrate_kbps.expect("VBR bitrate");
        assert!((120..=320).contains(&kbps), "V0 bitrate {kbps}");
        assert_about(facts.duration_ms, 2000, 60, "duration");
        assert_eq!(facts.tags.title.as_deref(), Some("Vbr"));
    }

    #[test]
    fn other_formats_sox_writes() {
        let dir = tempfile::tempdir().unwrap();
        let source = wav(dir.path(), "x.wav", 48_000, 24, 2);
        let facts = read(&source).unwrap();
        assert_eq!(facts.codec, Codec::Wav);
        assert_eq!(
            (facts.bit_depth, facts.sample_rate_hz),
            (Some(24), Some(48_000))
        );
        assert_about(facts.duration_ms, 2000, 1, "WAV duration");
        for (name, codec) in [
            ("x.aiff", Codec::Wav),
            ("x.ogg", Codec::Vorbis),
            ("x.wv", Codec::WavPack),
        ] {
            let path = dir.path().join(name);
            run(
                "sox",
                &["-q", source.to_str().unwrap(), path.to_str().unwrap()],
            );
            let facts = read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(facts.codec, codec, "{name}");
            assert_eq!(facts.sample_rate_hz, Some(48_000), "{name}");
            assert_about(facts.duration_ms, 2000, 30, name);
        }
    }

    #[test]
    fn content_decides_the_format_over_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let real = mp3(dir.path(), "real.mp3", &["-b", "192"]);
        let named_flac = dir.path().join("really-an-mp3.flac");
        std::fs::rename(&real, &named_flac).unwrap();
        let facts = read(&named_flac).unwrap();
        assert_eq!(facts.codec, Codec::Mp3);
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.flac");
        let bytes: Vec<u8> = (0..10_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&garbage, &bytes).unwrap();
        unreadable_reason(&garbage);

        let empty = dir.path().join("empty.mp3");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(unreadable_reason(&empty), "empty file");

        unreadable_reason(&dir.path().join("missing.flac"));
        assert_eq!(unreadable_reason(dir.path()), "not a regular file");

        // A FLAC cut inside its header, and one whose magic is followed by junk.
        let good = flac(dir.path(), "good.flac", 44_100, 16, &["TITLE=x"]);
        let full = std::fs::read(&good).unwrap();
        for (name, bytes) in [
            ("cut.flac", full[..20].to_vec()),
            ("magic.flac", [&b"fLaC"[..], &bytes[..500]].concat()),
            (
                "id3.mp3",
                [&b"ID3\x04\0\0\x7f\x7f\x7f\x7f"[..], &bytes[..100]].concat(),
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            unreadable_reason(&path);
        }
        // Cut in the audio, the header is intact: still read, not a panic.
        let half = dir.path().join("half.flac");
        std::fs::write(&half, &full[..full.len() / 2]).unwrap();
        let _ = read(&half);

        let dsf = dir.path().join("x.dsf");
        std::fs::write(&dsf, b"DSD \x1c\0\0\0\0\0\0\0").unwrap();
        assert!(unreadable_reason(&dsf).contains("DSD"));
    }

    #[test]
    fn huge_tag_values_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("TITLE={}", "é".repeat(50_000));
        let tags = [long.as_str(), "ARTIST=  padded  "];
        let path = flac(dir.path(), "long.flac", 44_100, 16, &tags);
        let tags = read(&path).unwrap().tags;
        assert_eq!(tags.title.unwrap().chars().count(), MAX_TAG_CHARS);
        assert_eq!(tags.artist.as_deref(), Some("padded"));
    }

    #[test]
    fn audio_paths() {
        let yes = "a.flac A.FLAC dir/x.Mp3 x.m4a x.mp4 x.aac x.ogg x.oga x.opus x.wav x.aif x.aiff \
                   x.ape x.wv x.dsf x.dff x.wma";
        for path in yes.split_whitespace() {
            assert!(is_audio_path(Path::new(path)), "{path}");
        }
        let no = "a.flac.part a.cue a.log a.jpg flac a .flac a.flac~ a.mp3.torrent a.m3u";
        for path in no.split_whitespace() {
            assert!(!is_audio_path(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn tag_value_parsing() {
        let pair = |s: &str| number_pair(Some(s.to_owned()));
        assert_eq!(pair("3/12"), (Some(3), Some(12)));
        assert_eq!(pair(" 03 / 12 "), (Some(3), Some(12)));
        assert_eq!(pair("3 of 12"), (Some(3), Some(12)));
        assert_eq!(pair("7"), (Some(7), None));
        assert_eq!(pair("0/0"), (None, None));
        assert_eq!(pair("A1"), (None, None));
        assert_eq!(pair("99999999999"), (None, None));
        assert_eq!(year_of("2020-05-01"), Some(2020));
        assert_eq!(year_of("20200501"), Some(2020));
        assert_eq!(year_of("01/05/1987"), Some(1987));
        assert_eq!(year_of("05/01"), None);
        assert_eq!(year_of("0000"), None);
        assert_eq!(mbid(GROUP).as_deref(), Some(GROUP.to_lowercase().as_str()));
        assert_eq!(mbid("not-an-id"), None);
        let two = format!("{}; {GROUP}", RELEASE.trim());
        assert_eq!(mbid(&two).as_deref(), Some(RELEASE.trim()));
        assert_eq!(clean("  a\0b "), Some("a".to_owned()));
        assert_eq!(clean(" \0"), None);
    }
}
