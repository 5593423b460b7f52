//! The quality of files on disk in the terms of the release tiers, so that
//! "owned at lossless" and "the grabbed FLAC really is FLAC" use the same
//! rules as the selector ([`crate::release::tier_rank`]).

use crate::release::{Codec, Evidence, QualityGuess, VbrPreset, quality_label};

use super::audio::AudioFacts;

/// Bitrates an MP3 encoder writes at constant bitrate (kbit/s).
const CBR_KBPS: &[u32] = &[
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

/// The quality of a set of audio files. Refused when they mix codecs.
///
/// Lossless: the lowest bit depth and sample rate (one 16-bit track makes a
/// "24-bit" album not hi-res). Lossy: the duration-weighted average
/// bitrate; MP3s all at one constant bitrate (±1 %, as measured bitrates
/// wobble) are CBR at that rate, and a VBR preset cannot be read from the
/// files, so a hinted preset (the release label's) is believed when the
/// average fits it (and the files are not all CBR 320).
pub fn files_quality(
    files: &[&AudioFacts],
    vbr_hint: Option<VbrPreset>,
) -> Result<QualityGuess, String> {
    let mut codecs: Vec<Codec> = files.iter().map(|f| f.codec).collect();
    codecs.sort_by_key(|c| c.name());
    codecs.dedup();
    let codec = match codecs.as_slice() {
        [one] => *one,
        [] => Codec::Unknown,
        many => {
            let names: Vec<&str> = many.iter().map(|c| c.name()).collect();
            return Err(format!("mixed codecs in one album: {}", names.join(", ")));
        }
    };
    let lossless = if codec.is_lossless() {
        Some(true)
    } else if codec.is_lossy() {
        Some(false)
    } else {
        None
    };
    let mut guess = QualityGuess {
        codec,
        lossless,
        bit_depth: None,
        sample_rate_hz: files.iter().filter_map(|f| f.sample_rate_hz).min(),
        bitrate_kbps: None,
        vbr_preset: None,
        vorbis_quality: None,
        average_kbps: None,
        decided_by: Evidence::Nothing,
        conflicts: Vec::new(),
    };
    if lossless == Some(true) {
        guess.bit_depth = files.iter().filter_map(|f| f.bit_depth).min();
        return Ok(guess);
    }
    let average = average_kbps(files);
    guess.average_kbps = average;
    let cbr = constant_kbps(files);
    let preset = vbr_hint;
    // a VBR album can average close to a CBR rate, but never to 320
    guess.bitrate_kbps = match (codec, cbr, preset, average) {
        (Codec::Mp3, cbr, Some(p), Some(avg)) if cbr != Some(320) && fits_preset(p, avg) => {
            guess.vbr_preset = Some(p);
            None
        }
        (_, Some(kbps), _, _) => Some(kbps),
        _ => average,
    };
    Ok(guess)
}

/// The duration-weighted mean bitrate of the files that report one.
fn average_kbps(files: &[&AudioFacts]) -> Option<u32> {
    let rated: Vec<(u32, u64)> = files
        .iter()
        .filter_map(|f| f.bitrate_kbps.map(|b| (b, f.duration_ms.max(1))))
        .collect();
    let total: u64 = rated.iter().map(|(_, ms)| ms).sum();
    let sum: u64 = rated.iter().map(|(b, ms)| u64::from(*b) * ms).sum();
    (total > 0).then(|| (sum as f64 / total as f64).round() as u32)
}

/// The constant bitrate every file has, when they all have the same one.
/// A measured bitrate is 1 % below to 3 % above the nominal one: lofty
/// counts the LAME Info frame as audio, which adds ~4 kbit/s to a 2 s file.
fn constant_kbps(files: &[&AudioFacts]) -> Option<u32> {
    let snap = |kbps: u32| {
        CBR_KBPS.iter().copied().find(|&c| {
            let (kbps, c) = (u64::from(kbps), u64::from(c));
            kbps * 100 >= c * 99 && kbps * 100 <= c * 103
        })
    };
    let mut rates = files.iter().map(|f| f.bitrate_kbps.and_then(snap));
    let first = rates.next()??;
    rates.all(|r| r == Some(first)).then_some(first)
}

/// Whether an average bitrate is plausible for a LAME preset (the same band
/// the release size check uses).
fn fits_preset(preset: VbrPreset, average: u32) -> bool {
    let typical = f64::from(preset.typical_kbps());
    let avg = f64::from(average);
    avg >= typical * 0.6 && avg <= typical * 1.45
}

/// The quality of an album folder for the owned check: `None` for no files
/// or mixed codecs. Without a release label to say so, MP3s that are not
/// constant-bitrate and average what LAME V0 does are taken as V0.
pub fn guess_from_files<'a>(
    files: impl IntoIterator<Item = &'a AudioFacts>,
) -> Option<QualityGuess> {
    let files: Vec<&AudioFacts> = files.into_iter().collect();
    if files.is_empty() {
        return None;
    }
    let guess = files_quality(&files, None).ok()?;
    let v0 = VbrPreset(0);
    match guess.average_kbps {
        Some(average)
            if guess.codec == Codec::Mp3
                && constant_kbps(&files).is_none()
                && fits_preset(v0, average) =>
        {
            files_quality(&files, Some(v0)).ok()
        }
        _ => Some(guess),
    }
}

/// "FLAC 16-bit 44.1 kHz", "DSD64", "MP3 320 kbit/s", "MP3 V0 (~245
/// kbit/s)", "AAC 256 kbit/s".
pub fn files_label(g: &QualityGuess) -> String {
    if g.codec == Codec::Unknown {
        return "of an unknown codec".into();
    }
    if g.lossless == Some(true) {
        return quality_label(g);
    }
    match (g.vbr_preset, g.bitrate_kbps.or(g.average_kbps)) {
        (Some(p), Some(avg)) => format!("{} {p} (~{avg} kbit/s)", g.codec),
        (Some(p), None) => format!("{} {p}", g.codec),
        (None, Some(kbps)) => format!("{} {kbps} kbit/s", g.codec),
        (None, None) => g.codec.name().to_owned(),
    }
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
        assert!(guess_from_files(&mixed).is_none());
        assert!(guess_from_files(&[]).is_none());
    }
}
