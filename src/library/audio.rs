//! Audio properties and tags of one file, read with lofty. Files are only
//! ever read here: a file the torrent client seeds must never change.

use std::path::Path;

use serde::{Deserialize, Serialize};

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

/// Whether the file name has an audio extension we read (flac, mp3, m4a, …).
pub fn is_audio_path(path: &Path) -> bool {
    let _ = path;
    todo!("library::audio::is_audio_path")
}

/// Reads the properties and tags of one file (blocking).
pub fn read(path: &Path) -> Result<AudioFacts, AudioError> {
    let _ = path;
    todo!("library::audio::read")
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
