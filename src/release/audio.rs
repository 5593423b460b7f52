//! The audio vocabulary of release titles: codecs, bitrates, VBR presets, bit
//! depth, sample rate, source media, revisions — and the scanner that reads
//! them from one *tag group* (a bracket, a comma tail, a scene segment run).
//!
//! The parser only hands this scanner text it has already judged to be tags,
//! never the artist or album name: that is how "Brain Ape", "Mp3 Killer" or
//! an album called "320 Days" stay names. Inside a tag group every match is
//! still whole-word (`\b`), so "Flack" is not FLAC.

use std::fmt;

use serde::Serialize;

/// The audio codec a release is encoded with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Codec {
    Flac,
    Alac,
    Ape,
    WavPack,
    Wav,
    Mp3,
    Aac,
    Vorbis,
    Opus,
    Wma,
    /// Direct Stream Digital (SACD images, DSF/DFF files): 1-bit audio at
    /// megahertz rates. Lossless, but a library usually has to convert it,
    /// so the lossless tier prefers every PCM codec to it.
    Dsd,
    #[default]
    Unknown,
}

impl Codec {
    pub fn is_lossless(self) -> bool {
        matches!(
            self,
            Codec::Flac | Codec::Alac | Codec::Ape | Codec::WavPack | Codec::Wav | Codec::Dsd
        )
    }

    pub fn is_lossy(self) -> bool {
        matches!(
            self,
            Codec::Mp3 | Codec::Aac | Codec::Vorbis | Codec::Opus | Codec::Wma
        )
    }

    /// The name used in labels, reports and the corpus.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Flac => "FLAC",
            Codec::Alac => "ALAC",
            Codec::Ape => "APE",
            Codec::WavPack => "WavPack",
            Codec::Wav => "WAV",
            Codec::Mp3 => "MP3",
            Codec::Aac => "AAC",
            Codec::Vorbis => "Vorbis",
            Codec::Opus => "Opus",
            Codec::Wma => "WMA",
            Codec::Dsd => "DSD",
            Codec::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the audio was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Source {
    Cd,
    Web,
    Vinyl,
    Sacd,
    Dvd,
    BluRay,
    Cassette,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Cd => "CD",
            Source::Web => "WEB",
            Source::Vinyl => "Vinyl",
            Source::Sacd => "SACD",
            Source::Dvd => "DVD",
            Source::BluRay => "Blu-ray",
            Source::Cassette => "Cassette",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A re-release of the same release by its group, as Lidarr counts them:
/// `PROPER` is version 2; `REPACK` / `RERIP` (the group fixing its own
/// release) version 2 and a repack, `REPACK2` version 3; each scene `REAL`
/// (upper case: a correction of someone else's PROPER) adds one to `real`.
/// A higher revision of the same release is preferred (see the ranking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Revision {
    pub version: u8,
    pub repack: bool,
    pub real: u8,
}

impl Default for Revision {
    fn default() -> Self {
        Revision {
            version: 1,
            repack: false,
            real: 0,
        }
    }
}

impl Revision {
    /// How much newer than the original release this is: 0 for none, one
    /// step per version and per REAL (capped at 9 for the score).
    pub fn level(self) -> u32 {
        (u32::from(self.version.saturating_sub(1)) + u32::from(self.real)).min(9)
    }
}

impl fmt::Display for Revision {
    /// "v2", "v2 repack", "v3 repack real1": the corpus and labels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.version)?;
        if self.repack {
            f.write_str(" repack")?;
        }
        if self.real > 0 {
            write!(f, " real{}", self.real)?;
        }
        Ok(())
    }
}

/// A LAME VBR preset, `V0` (best) to `V9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct VbrPreset(pub u8);

impl VbrPreset {
    /// The typical average bitrate of the preset (LAME documentation), used to
    /// order lossy releases and to estimate their size.
    pub fn typical_kbps(self) -> u32 {
        match self.0 {
            0 => 245,
            1 => 225,
            2 => 190,
            3 => 175,
            4 => 165,
            5 => 130,
            6 => 115,
            7 => 100,
            8 => 85,
            _ => 65,
        }
    }
}

impl fmt::Display for VbrPreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "V{}", self.0)
    }
}

mod tags;

pub(crate) use tags::{AudioTags, names_codec};

#[cfg(test)]
mod tests;
