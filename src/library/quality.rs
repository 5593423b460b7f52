//! The quality of files on disk in the terms of the release tiers, so that
//! "owned at lossless" and "the grabbed FLAC really is FLAC" use the same
//! rules as the selector ([`crate::release::tier_rank`]).

use crate::release::{Codec, Evidence, QualityGuess, VbrPreset};

use super::audio::AudioFacts;

/// What a set of audio files (an album) is: one codec (unknown when they
/// mix), the lowest bit depth and sample rate, the average bitrate. `None`
/// for no files.
pub fn guess_from_files<'a>(
    files: impl IntoIterator<Item = &'a AudioFacts>,
) -> Option<QualityGuess> {
    let files: Vec<&AudioFacts> = files.into_iter().collect();
    let first = files.first()?;
    let same_codec = files.iter().all(|f| f.codec == first.codec);
    let codec = if same_codec {
        first.codec
    } else {
        Codec::Unknown
    };
    let all_lossless = files.iter().all(|f| f.codec.is_lossless());
    let any_lossy = files.iter().any(|f| f.codec.is_lossy());
    let lossless = if all_lossless {
        Some(true)
    } else if any_lossy {
        Some(false)
    } else {
        None
    };
    let bit_depth = files.iter().map(|f| f.bit_depth).min().flatten();
    let sample_rate_hz = files.iter().map(|f| f.sample_rate_hz).min().flatten();
    let rates: Vec<u32> = files.iter().filter_map(|f| f.bitrate_kbps).collect();
    let average = (!rates.is_empty()).then(|| {
        u32::try_from(rates.iter().map(|r| u64::from(*r)).sum::<u64>() / rates.len() as u64)
            .unwrap_or(u32::MAX)
    });
    // Files tell an average bitrate, not the encoder's setting: constant
    // 320 reads as 315-325; LAME V0 averages 220-300.
    let (bitrate_kbps, vbr_preset) = match (codec, average) {
        (Codec::Mp3, Some(kbps)) if (315..=330).contains(&kbps) => (Some(320), None),
        (Codec::Mp3, Some(kbps))
            if (215..=300).contains(&kbps) && rates.iter().any(|r| *r != kbps) =>
        {
            (Some(kbps), Some(VbrPreset(0)))
        }
        (_, kbps) if lossless != Some(true) => (kbps, None),
        _ => (None, None),
    };
    Some(QualityGuess {
        codec,
        lossless,
        bit_depth: if lossless == Some(true) {
            bit_depth
        } else {
            None
        },
        sample_rate_hz,
        bitrate_kbps,
        vbr_preset,
        vorbis_quality: None,
        average_kbps: average,
        decided_by: Evidence::Nothing,
        conflicts: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::audio::AudioTags;
    use crate::model::Quality;
    use crate::release::{quality_label, tier_rank};

    fn file(codec: Codec, depth: Option<u8>, rate: u32, kbps: Option<u32>) -> AudioFacts {
        AudioFacts {
            codec,
            bit_depth: depth,
            sample_rate_hz: Some(rate),
            bitrate_kbps: kbps,
            duration_ms: 1000,
            tags: AudioTags::default(),
        }
    }

    #[test]
    fn files_fall_into_the_tiers_the_selector_uses() {
        let cd = vec![file(Codec::Flac, Some(16), 44_100, Some(900)); 3];
        let g = guess_from_files(&cd).unwrap();
        assert!(tier_rank(&g, Quality::Lossless).is_some());
        assert!(tier_rank(&g, Quality::LosslessHires).is_none());
        assert_eq!(quality_label(&g), "FLAC 16-bit 44.1 kHz");

        let hires = vec![file(Codec::Flac, Some(24), 96_000, None); 2];
        let g = guess_from_files(&hires).unwrap();
        assert!(tier_rank(&g, Quality::LosslessHires).is_some());
        assert!(tier_rank(&g, Quality::Lossless).is_some());

        let cbr = [
            file(Codec::Mp3, None, 44_100, Some(320)),
            file(Codec::Mp3, None, 44_100, Some(319)),
        ];
        let g = guess_from_files(&cbr).unwrap();
        assert!(tier_rank(&g, Quality::Mp3_320).is_some());
        assert!(tier_rank(&g, Quality::Lossless).is_none());

        let v0 = [
            file(Codec::Mp3, None, 44_100, Some(251)),
            file(Codec::Mp3, None, 44_100, Some(238)),
        ];
        let g = guess_from_files(&v0).unwrap();
        assert!(tier_rank(&g, Quality::Mp3V0).is_some());
        assert!(tier_rank(&g, Quality::Mp3_320).is_none());

        // Near-miss: a 128 kbit/s MP3 is only "any".
        let low = [file(Codec::Mp3, None, 44_100, Some(128))];
        let g = guess_from_files(&low).unwrap();
        assert!(tier_rank(&g, Quality::LossyHigh).is_none());
        assert!(tier_rank(&g, Quality::Any).is_some());

        // Mixed FLAC and MP3 is not lossless.
        let mixed = [
            file(Codec::Flac, Some(16), 44_100, None),
            file(Codec::Mp3, None, 44_100, Some(320)),
        ];
        let g = guess_from_files(&mixed).unwrap();
        assert!(tier_rank(&g, Quality::Lossless).is_none());
        assert!(guess_from_files(&[]).is_none());
    }
}
