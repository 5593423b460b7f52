//! Quality tiers: whether a release fits the tier a client asked for, its
//! preference within the tier, the plausible size of such a release, and the
//! human label ("FLAC 24-bit 96 kHz", "MP3 V0").

use std::time::Duration;

use super::audio::{Codec, VbrPreset};
use super::evidence::{Evidence, QualityGuess};
use crate::model::Quality;

/// The rank of a release within `tier`: `None` when it does not fit, else a
/// number where lower is preferred. The orders follow the [releases] issue:
/// - `lossless_hires`: 24-bit lossless; FLAC, then ALAC, then the rest.
/// - `lossless`: FLAC (16-bit or unstated) 0, ALAC 1, 24-bit FLAC 2, 24-bit
///   ALAC 3, APE/WavPack/WAV 4, lossless of unknown codec 5, DSD 6 —
///   CD-quality FLAC first because it is what a library wants for
///   "lossless": smaller, playable everywhere; DSD last because hardly any
///   player reads it and converting it is lossy in practice (filtering),
///   while an unknown lossless codec is most likely FLAC.
/// - `mp3_320`: MP3 CBR 320 only. `mp3_v0`: MP3 V0 only.
/// - `lossy_high`: MP3 320 0, V0 1, MP3 ≥ 256 2, AAC ≥ 256 3, Vorbis ≥ q8
///   (or ≥ 256 kbit/s) 4, Opus ≥ 160 5.
/// - `any`: everything; lossless first (0–6), then lossy by bitrate
///   (10 + (400 − kbps) / 10, so 320 → 18, V0 → 25, 128 → 37), lossy of
///   unknown bitrate 60, unknown quality 100.
pub fn tier_rank(guess: &QualityGuess, tier: Quality) -> Option<u32> {
    match tier {
        Quality::LosslessHires => (guess.lossless == Some(true)
            && guess.bit_depth.is_some_and(|d| d >= 24))
        .then_some(match guess.codec {
            Codec::Flac => 0,
            Codec::Alac => 1,
            Codec::Unknown => 3,
            _ => 2,
        }),
        Quality::Lossless => lossless_rank(guess),
        Quality::Mp3_320 => is_mp3_320(guess).then_some(0),
        Quality::Mp3V0 => is_mp3_v0(guess).then_some(0),
        Quality::LossyHigh => lossy_high_rank(guess),
        Quality::Any => Some(any_rank(guess)),
    }
}

fn lossless_rank(g: &QualityGuess) -> Option<u32> {
    if g.lossless != Some(true) {
        return None;
    }
    let hires = g.bit_depth.is_some_and(|d| d >= 24);
    Some(match (g.codec, hires) {
        (Codec::Flac, false) => 0,
        (Codec::Alac, false) => 1,
        (Codec::Flac, true) => 2,
        (Codec::Alac, true) => 3,
        (Codec::Unknown, _) => 5,
        (Codec::Dsd, _) => 6,
        _ => 4,
    })
}

fn is_mp3_320(g: &QualityGuess) -> bool {
    g.codec == Codec::Mp3 && g.bitrate_kbps == Some(320) && g.vbr_preset.is_none()
}

fn is_mp3_v0(g: &QualityGuess) -> bool {
    g.codec == Codec::Mp3 && g.vbr_preset == Some(VbrPreset(0))
}

fn lossy_high_rank(g: &QualityGuess) -> Option<u32> {
    let kbps = g.bitrate_kbps.unwrap_or(0);
    match g.codec {
        Codec::Mp3 if is_mp3_320(g) => Some(0),
        Codec::Mp3 if is_mp3_v0(g) => Some(1),
        Codec::Mp3 if g.vbr_preset.is_none() && kbps >= 256 => Some(2),
        Codec::Aac if kbps >= 256 => Some(3),
        Codec::Vorbis if g.vorbis_quality.is_some_and(|q| q >= 8) || kbps >= 256 => Some(4),
        Codec::Opus if kbps >= 160 => Some(5),
        _ => None,
    }
}

fn any_rank(g: &QualityGuess) -> u32 {
    if let Some(rank) = lossless_rank(g) {
        return rank;
    }
    if g.lossless == Some(false) || g.codec.is_lossy() {
        return match g.effective_kbps() {
            Some(kbps) => 10 + (400 - kbps.min(400)) / 10,
            None => 60,
        };
    }
    100
}

/// The narrowest tier a release belongs to, for reports: `lossless_hires`,
/// `lossless`, `mp3_320`, `mp3_v0`, `lossy_high`, `any` for other known
/// qualities, `None` when unknown.
pub fn narrowest_tier(guess: &QualityGuess) -> Option<Quality> {
    [
        Quality::LosslessHires,
        Quality::Lossless,
        Quality::Mp3_320,
        Quality::Mp3V0,
        Quality::LossyHigh,
    ]
    .into_iter()
    .find(|t| tier_rank(guess, *t).is_some())
    .or_else(|| (any_rank(guess) < 100).then_some(Quality::Any))
}

/// Plausible average bitrates (kbit/s) of a release: (lowest, typical,
/// highest). `None` when the quality is unknown — no size is implausible
/// for an unknown quality.
///
/// Lossless: a fraction of the PCM rate (bit depth × sample rate × 2
/// channels): FLAC/ALAC/APE/WavPack compress to 28–100 % (typically 65 %);
/// WAV is 97–102 %. An unstated depth allows anything from 16/44.1 up to
/// 24/192, since many 24-bit releases do not say so. Lossy: a stated bitrate
/// ±20 %; a VBR preset or Vorbis level 60–145 % of its typical rate; an
/// unstated one 32–400.
pub fn expected_kbps(guess: &QualityGuess) -> Option<(f64, f64, f64)> {
    match guess.lossless {
        Some(true) => {
            let rate = guess.sample_rate_hz.unwrap_or(44_100) as f64;
            let pcm = |depth: f64, rate: f64| depth * rate * 2.0 / 1000.0;
            let (low_pcm, high_pcm) = match guess.bit_depth {
                Some(d) => (pcm(d as f64, rate), pcm(d as f64, rate)),
                None if guess.sample_rate_hz.is_some() => (pcm(16.0, rate), pcm(24.0, rate)),
                None => (pcm(16.0, 44_100.0), pcm(24.0, 192_000.0)),
            };
            if guess.codec == Codec::Dsd {
                return Some(dsd_kbps(guess.sample_rate_hz));
            }
            if guess.codec == Codec::Wav {
                Some((low_pcm * 0.97, low_pcm, high_pcm * 1.02))
            } else {
                Some((low_pcm * 0.28, low_pcm * 0.65, high_pcm))
            }
        }
        Some(false) => {
            if let Some(b) = guess.bitrate_kbps {
                let b = b as f64;
                Some((b * 0.8, b, b * 1.2))
            } else if let Some(t) = guess
                .vbr_preset
                .map(VbrPreset::typical_kbps)
                .or_else(|| guess.vorbis_quality.map(super::evidence::vorbis_kbps))
            {
                let t = t as f64;
                Some((t * 0.6, t, t * 1.45))
            } else {
                Some((32.0, 256.0, 400.0))
            }
        }
        None => None,
    }
}

/// DSD is 1 bit per sample per channel at `rate` (DSD64, 2.8224 MHz, when
/// unstated). Low: stereo with DST compression (about half, in SACD ISOs);
/// typical: plain stereo (DSF/DFF); high: an ISO with a multichannel area
/// too, or a rate up to 4× the assumed one when none is stated.
fn dsd_kbps(rate_hz: Option<u32>) -> (f64, f64, f64) {
    let stereo = |hz: u32| hz as f64 * 2.0 / 1000.0;
    let rate = rate_hz.unwrap_or(DSD64_HZ);
    (stereo(rate) * 0.45, stereo(rate), stereo(rate) * 4.0)
}

const DSD64_HZ: u32 = 2_822_400;

/// Artwork, logs, cue sheets and scans come on top of the audio.
pub const EXTRAS_ALLOWANCE_BYTES: u64 = 60_000_000;

/// (lowest, typical, highest) plausible size in bytes for `duration`.
pub fn expected_size(guess: &QualityGuess, duration: Duration) -> Option<(u64, u64, u64)> {
    let (low, typical, high) = expected_kbps(guess)?;
    let bytes = |kbps: f64| (kbps * 1000.0 / 8.0 * duration.as_secs_f64()) as u64;
    Some((
        bytes(low),
        bytes(typical),
        bytes(high) + EXTRAS_ALLOWANCE_BYTES,
    ))
}

fn khz(hz: u32) -> String {
    if hz.is_multiple_of(1000) {
        format!("{} kHz", hz / 1000)
    } else {
        format!("{:.1} kHz", hz as f64 / 1000.0)
    }
}

/// "FLAC 24-bit 96 kHz", "MP3 320", "MP3 V0", "Vorbis q8", "lossless (category
/// 3040)", "lossy (size, ~250 kbps on average)"; empty when unknown.
pub fn quality_label(g: &QualityGuess) -> String {
    let mut parts: Vec<String> = Vec::new();
    match (g.codec, g.lossless) {
        (Codec::Unknown, Some(true)) => parts.push("lossless".into()),
        (Codec::Unknown, Some(false)) => parts.push("lossy".into()),
        (Codec::Unknown, None) => return String::new(),
        (codec, _) => parts.push(codec.name().into()),
    }
    if g.codec == Codec::Dsd {
        // "DSD128", the name the format goes by, rather than "5644.8 kHz"
        if let Some(hz) = g.sample_rate_hz.filter(|hz| hz.is_multiple_of(44_100)) {
            parts[0] = format!("DSD{}", hz / 44_100);
        }
    } else if g.lossless == Some(true) {
        if let Some(d) = g.bit_depth {
            parts.push(format!("{d}-bit"));
        }
        if let Some(hz) = g.sample_rate_hz {
            parts.push(khz(hz));
        }
    } else if let Some(p) = g.vbr_preset {
        parts.push(p.to_string());
    } else if let Some(q) = g.vorbis_quality {
        parts.push(format!("q{q}"));
    } else if let Some(b) = g.bitrate_kbps {
        parts.push(b.to_string());
    }
    let mut label = parts.join(" ");
    if !matches!(g.decided_by, Evidence::TitleCodec | Evidence::Nothing) {
        label.push_str(&format!(" ({})", g.decided_by));
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{infer_quality, parse_title};

    #[test]
    fn dsd_sizes() {
        let g = guess("A - B [DSD64]");
        let (low, typical, high) = expected_kbps(&g).unwrap_or_default();
        assert!((typical - 5644.8).abs() < 0.1, "{typical}");
        assert!(low < typical && typical < high);
        let g = guess("A - B [SACD ISO]");
        assert_eq!(expected_kbps(&g).map(|k| k.1.round()), Some(5645.0));
    }

    fn guess(title: &str) -> QualityGuess {
        infer_quality(&parse_title(title), &[], None, None)
    }

    #[test]
    fn tiers_and_ranks() {
        let flac = guess("A - B [FLAC]");
        let alac = guess("A - B [ALAC]");
        let hires = guess("A - B [FLAC 24-96]");
        let ape = guess("A - B [APE]");
        let mp3 = guess("A - B [MP3 320]");
        let v0 = guess("A - B [MP3 V0]");
        let aac = guess("A - B [AAC 256]");
        let opus = guess("A - B [Opus 128]");
        let dsd = guess("A - B [DSD64]");
        for (g, t, r) in [
            (&flac, Quality::Lossless, Some(0)),
            (&alac, Quality::Lossless, Some(1)),
            (&hires, Quality::Lossless, Some(2)),
            (&ape, Quality::Lossless, Some(4)),
            (&hires, Quality::LosslessHires, Some(0)),
            (&flac, Quality::LosslessHires, None),
            (&mp3, Quality::Mp3_320, Some(0)),
            (&v0, Quality::Mp3_320, None),
            (&v0, Quality::Mp3V0, Some(0)),
            (&aac, Quality::LossyHigh, Some(3)),
            (&opus, Quality::LossyHigh, None),
            (&mp3, Quality::Lossless, None),
            (&mp3, Quality::Any, Some(18)),
            (&guess("A - B"), Quality::Any, Some(100)),
            (&dsd, Quality::Lossless, Some(6)),
            (&dsd, Quality::LosslessHires, None),
            (&dsd, Quality::Any, Some(6)),
            (&dsd, Quality::LossyHigh, None),
        ] {
            assert_eq!(tier_rank(g, t), r, "{} in {t}", quality_label(g));
        }
    }

    /// Issue 12 family 2: the scene and tracker ways of writing 24-bit all
    /// land in the hires tier; 16-bit and number-named albums do not.
    #[test]
    fn hires_forms_are_hires() {
        for t in [
            "Some_Artist-Some_Album-24-96-WEB-FLAC-2019-GRP",
            "Artist-Album-24-44-WEB-FLAC-2019-GRP",
            "Artist_Name-Album_Name-24BIT-WEB-FLAC-2019-GRP",
            "Artist - Album (2019) [TR24]",
            "Artist - Album (2019) FLAC24bit",
            "Artist - Album [2019] FLAC 24 bit",
            "Artist - Album 2019 24-bit/96kHz",
        ] {
            assert!(
                tier_rank(&guess(t), Quality::LosslessHires).is_some(),
                "{t}"
            );
        }
        for t in [
            "Artist-Album-16-44-WEB-FLAC-2019-GRP",
            "24 Hours - 96 Tears (2019) [FLAC]",
            "Flacco - 24 Carat (2019) [FLAC]",
        ] {
            assert_eq!(tier_rank(&guess(t), Quality::LosslessHires), None, "{t}");
        }
    }

    /// Issue 12 family 1: a bitrate without a codec is MP3 by convention in
    /// every tier that looks at MP3.
    #[test]
    fn bitrate_implies_mp3_in_each_tier() {
        let b320 = guess("Artist - Album 2017 320");
        let b256 = guess("Some Artist - Some Album (2016) 256 kbps");
        let b128 = guess("Artist - Album [128] 2016");
        for (g, t, r) in [
            (&b320, Quality::Mp3_320, Some(0)),
            (&b320, Quality::Mp3V0, None),
            (&b320, Quality::Lossless, None),
            (&b320, Quality::LosslessHires, None),
            (&b320, Quality::LossyHigh, Some(0)),
            (&b320, Quality::Any, Some(18)),
            (&b256, Quality::Mp3_320, None),
            (&b256, Quality::LossyHigh, Some(2)),
            (&b256, Quality::Lossless, None),
            (&b256, Quality::Any, Some(24)),
            (&b128, Quality::LossyHigh, None),
            (&b128, Quality::Any, Some(37)),
        ] {
            assert_eq!(tier_rank(g, t), r, "{} in {t}", quality_label(g));
        }
        assert_eq!(
            quality_label(&b320),
            "MP3 320 (bitrate without a codec: MP3 by convention)"
        );
        // near misses rank as unknown quality
        assert_eq!(
            tier_rank(&guess("Blink-182 - California (2016)"), Quality::Any),
            Some(100)
        );
        assert_eq!(
            tier_rank(&guess("Area 51 - Album (2019)"), Quality::Mp3_320),
            None
        );
    }

    #[test]
    fn labels() {
        assert_eq!(
            quality_label(&guess("A - B [FLAC 24-96]")),
            "FLAC 24-bit 96 kHz"
        );
        assert_eq!(
            quality_label(&guess("A - B [FLAC 16-44]")),
            "FLAC 16-bit 44.1 kHz"
        );
        assert_eq!(quality_label(&guess("A - B [MP3 V0]")), "MP3 V0");
        assert_eq!(quality_label(&guess("A - B [OGG q8]")), "Vorbis q8");
        assert_eq!(quality_label(&guess("A - B")), "");
        assert_eq!(quality_label(&guess("A - B [DSD128]")), "DSD128");
        assert_eq!(quality_label(&guess("A - B [SACD ISO]")), "DSD");
        let g = infer_quality(&parse_title("A - B"), &[3040], None, None);
        assert_eq!(quality_label(&g), "lossless (category 3040)");
    }
}
