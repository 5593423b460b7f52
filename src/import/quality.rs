//! What the downloaded files are, and whether that is what was asked for and
//! what the release said it was.
//!
//! The files are the truth: a release titled FLAC that holds MP3s is a fake
//! (or a mistake) and is refused even when the asked tier would take MP3s,
//! because the next search must not grab it again.

use crate::library::audio::{AudioFacts, codec_from_name};
use crate::library::quality;
pub use crate::library::quality::files_label;
use crate::model::Quality;
use crate::release::{Codec, QualityGuess, VbrPreset, tier_rank};

/// What a stored release label ("FLAC 24-bit 96 kHz", "MP3 V0", "lossless
/// (category 3040)") claims.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelClaim {
    pub codec: Option<Codec>,
    pub lossless: Option<bool>,
    pub vbr_preset: Option<VbrPreset>,
}

/// Reads a label as written by [`quality_label`]; an empty label claims
/// nothing.
pub fn parse_label(label: &str) -> LabelClaim {
    let mut claim = LabelClaim::default();
    let mut words = label.split_whitespace();
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("lossless") => claim.lossless = Some(true),
        Some(w) if w.eq_ignore_ascii_case("lossy") => claim.lossless = Some(false),
        Some(w) if w.len() >= 3 && w[..3].eq_ignore_ascii_case("dsd") => {
            claim.codec = Some(Codec::Dsd);
        }
        Some(w) => claim.codec = Some(codec_from_name(w)).filter(|c| *c != Codec::Unknown),
        None => {}
    }
    if let Some(c) = claim.codec {
        claim.lossless = Some(c.is_lossless());
    }
    claim.vbr_preset = words.find_map(|w| {
        let digit = w.strip_prefix(['V', 'v'])?;
        (digit.len() == 1).then(|| digit.parse().ok().map(VbrPreset))?
    });
    claim
}

/// The quality of the files, the release label's VBR preset believed when
/// the files fit it (see [`crate::library::quality::files_quality`]).
pub fn files_quality(files: &[&AudioFacts], release_quality: &str) -> Result<QualityGuess, String> {
    quality::files_quality(files, parse_label(release_quality).vbr_preset)
}

/// Refuses files that are not the asked tier, or that are not the codec the
/// release's label named.
pub fn check_quality(
    guess: &QualityGuess,
    asked: Quality,
    release_quality: &str,
) -> Result<(), String> {
    let claim = parse_label(release_quality);
    let files = files_label(guess);
    let wrong_codec = claim.codec.is_some_and(|c| c != guess.codec);
    let fake_lossless = claim.lossless == Some(true) && guess.lossless != Some(true);
    if wrong_codec || fake_lossless {
        return Err(format!(
            "the release says {release_quality:?} but the files are {files}"
        ));
    }
    if tier_rank(guess, asked).is_none() {
        return Err(format!(
            "the files are {files}, not {} as asked",
            tier_name(asked)
        ));
    }
    Ok(())
}

fn tier_name(q: Quality) -> &'static str {
    match q {
        Quality::Any => "any quality",
        Quality::Lossless => "lossless",
        Quality::LosslessHires => "24-bit lossless",
        Quality::Mp3_320 => "MP3 320",
        Quality::Mp3V0 => "MP3 V0",
        Quality::LossyHigh => "high-bitrate lossy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::testutil::facts;

    fn flac(depth: u8, rate: u32) -> AudioFacts {
        AudioFacts {
            bit_depth: Some(depth),
            sample_rate_hz: Some(rate),
            ..facts(Codec::Flac, None, None, None)
        }
    }

    fn mp3(kbps: u32) -> AudioFacts {
        AudioFacts {
            bitrate_kbps: Some(kbps),
            sample_rate_hz: Some(44_100),
            ..facts(Codec::Mp3, None, None, None)
        }
    }

    fn check(files: &[AudioFacts], asked: Quality, label: &str) -> Result<String, String> {
        let refs: Vec<&AudioFacts> = files.iter().collect();
        let guess = files_quality(&refs, label)?;
        check_quality(&guess, asked, label)?;
        Ok(files_label(&guess))
    }

    #[test]
    fn lossless_and_hires() {
        let cd = [flac(16, 44_100), flac(16, 44_100)];
        assert_eq!(
            check(&cd, Quality::Lossless, "FLAC 16-bit"),
            Ok("FLAC 16-bit 44.1 kHz".into())
        );
        assert_eq!(
            check(&cd, Quality::LosslessHires, "FLAC 24-bit 96 kHz"),
            Err("the files are FLAC 16-bit 44.1 kHz, not 24-bit lossless as asked".into())
        );
        let hires = [flac(24, 96_000), flac(24, 96_000)];
        assert_eq!(
            check(&hires, Quality::LosslessHires, ""),
            Ok("FLAC 24-bit 96 kHz".into())
        );
        assert!(check(&hires, Quality::Lossless, "FLAC").is_ok());
        // one 16-bit track: not a hi-res album
        let mixed = [flac(24, 96_000), flac(16, 44_100)];
        assert!(check(&mixed, Quality::LosslessHires, "").is_err());
    }

    #[test]
    fn mp3_under_a_flac_label_is_refused() {
        let files = [mp3(320), mp3(320)];
        assert_eq!(
            check(&files, Quality::Any, "FLAC 16-bit"),
            Err("the release says \"FLAC 16-bit\" but the files are MP3 320 kbit/s".into())
        );
        assert!(check(&files, Quality::Any, "lossless (category 3040)").is_err());
        assert_eq!(
            check(&files, Quality::Lossless, ""),
            Err("the files are MP3 320 kbit/s, not lossless as asked".into())
        );
        assert_eq!(
            check(&files, Quality::Mp3_320, "MP3 320"),
            Ok("MP3 320 kbit/s".into())
        );
        // measured bitrates wobble around the constant one
        assert!(check(&[mp3(318), mp3(324)], Quality::Mp3_320, "").is_ok());
        assert!(check(&[mp3(320), mp3(310)], Quality::Mp3_320, "").is_err());
    }

    #[test]
    fn vbr_preset_comes_from_the_label_when_the_bitrates_fit() {
        let v0 = [mp3(251), mp3(238), mp3(262)];
        assert_eq!(
            check(&v0, Quality::Mp3V0, "MP3 V0"),
            Ok("MP3 V0 (~250 kbit/s)".into())
        );
        assert!(check(&v0, Quality::Mp3_320, "MP3 V0").is_err());
        // CBR 320 files under a V0 label are not V0
        assert!(check(&[mp3(320), mp3(320)], Quality::Mp3V0, "MP3 V0").is_err());
        // 128 kbit/s on average is not V0 whatever the label says
        assert!(check(&[mp3(120), mp3(136)], Quality::Mp3V0, "MP3 V0").is_err());
        assert!(check(&v0, Quality::LossyHigh, "").is_err());
        // a steady V0 album averaging near 256 is still V0 under a V0 label
        let steady = [mp3(255), mp3(257), mp3(256)];
        assert!(check(&steady, Quality::Mp3V0, "MP3 V0").is_ok());
        assert!(check(&steady, Quality::Mp3V0, "").is_err());
        assert!(check(&[mp3(256), mp3(256)], Quality::LossyHigh, "").is_ok());
    }

    #[test]
    fn mixed_codecs_are_refused() {
        let files = [flac(16, 44_100), mp3(320), flac(16, 44_100)];
        assert_eq!(
            check(&files, Quality::Any, ""),
            Err("mixed codecs in one album: FLAC, MP3".into())
        );
    }

    #[test]
    fn labels_are_read() {
        let c = parse_label("FLAC 24-bit 96 kHz");
        assert_eq!((c.codec, c.lossless), (Some(Codec::Flac), Some(true)));
        let c = parse_label("MP3 V2");
        assert_eq!(
            (c.codec, c.vbr_preset),
            (Some(Codec::Mp3), Some(VbrPreset(2)))
        );
        assert_eq!(parse_label("DSD128").codec, Some(Codec::Dsd));
        assert_eq!(
            parse_label("lossy (size, ~250 kbps on average)").codec,
            None
        );
        assert_eq!(parse_label(""), LabelClaim::default());
    }
}
