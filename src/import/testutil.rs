//! Hand-built albums and audio facts for the tests of this module.

use crate::library::audio::{AudioFacts, AudioTags};
use crate::metadata::{Album, Track};
use crate::model::AlbumId;
use crate::release::Codec;

/// "Artist - Album" (1999) with tracks given as (disc, title), numbered
/// from 1 on each disc.
pub fn album(tracks: &[(u32, &str)]) -> Album {
    let mut album =
        Album::unknown(AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").expect("valid id"));
    album.artist = "Artist".into();
    album.title = "Album".into();
    album.first_release_date = "1999-05-01".into();
    let mut position = 0;
    let mut last_disc = 0;
    for &(disc, title) in tracks {
        if disc != last_disc {
            (position, last_disc) = (0, disc);
        }
        position += 1;
        album.tracks.push(Track {
            disc,
            position,
            number: position.to_string(),
            title: title.into(),
            length_ms: Some(180_000),
        });
    }
    album
}

/// Three minutes of `codec`, CD quality when lossless, with the given tags.
pub fn facts(
    codec: Codec,
    disc: Option<u32>,
    track: Option<u32>,
    title: Option<&str>,
) -> AudioFacts {
    let lossless = codec.is_lossless();
    AudioFacts {
        codec,
        bit_depth: lossless.then_some(16),
        sample_rate_hz: Some(44_100),
        bitrate_kbps: if lossless { Some(900) } else { None },
        duration_ms: 180_000,
        tags: AudioTags {
            title: title.map(str::to_owned),
            track,
            disc,
            ..AudioTags::default()
        },
    }
}
