//! Deciding a release's audio quality from all the evidence: the title first,
//! then the Torznab category and the size per minute of the album.
//!
//! Why more than the title: many titles say nothing about format (scene MP3
//! releases never write "MP3"; public trackers often write only the album),
//! and the indexer's category and the byte count do know something. Each
//! rule below records itself in [`QualityGuess::decided_by`], so a user can
//! see why a release was judged lossless.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::audio::{Codec, VbrPreset};
use super::title::ParsedTitle;
use crate::metadata::Album;

/// Torznab category "Audio/Lossless".
pub const CATEGORY_LOSSLESS: u32 = 3040;
/// Torznab category "Audio/MP3".
pub const CATEGORY_MP3: u32 = 3010;

/// Average bitrates (kbit/s, size over duration) above which a release can
/// only be lossless: an MP3 320 with artwork stays well below 400.
const LOSSLESS_ABOVE_KBPS: u32 = 500;
/// Below this a release is lossy even with its scans; between the two the
/// size cannot tell (quiet lossless music and padded MP3 overlap there).
const LOSSY_BELOW_KBPS: u32 = 350;
/// At or below this, a lossy release is low bitrate (128 kbit/s and less).
const LOW_BITRATE_KBPS: u32 = 140;

/// The rule that decided a [`QualityGuess`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Evidence {
    /// The title names the codec ("FLAC", "MP3", "AAC 256").
    TitleCodec,
    /// The title says "lossless" without a codec (ruTracker habit).
    TitleLosslessWord,
    /// The title gives a 24-bit depth or "Hi-Res" without a codec: only
    /// lossless formats carry a bit depth.
    TitleBitDepth,
    /// The title gives an MP3 VBR preset without the word MP3 ("V0" is a LAME
    /// preset) — scene MP3 releases do this.
    TitleVbrPreset,
    /// The title gives a bitrate but no codec ("… (2016) 320", "[WEB 320]"):
    /// indexers and the *arr parsers read that as MP3, the only format
    /// uploaders leave unnamed next to a bitrate.
    TitleBitrateOnly,
    /// The average bitrate from size and duration is lossless-only.
    SizeLossless { kbps: u32 },
    /// The average bitrate is lossy-only.
    SizeLossy { kbps: u32 },
    /// The average bitrate is 128 kbit/s or less.
    SizeLowBitrate { kbps: u32 },
    /// Torznab category 3040 (Audio/Lossless).
    CategoryLossless,
    /// Torznab category 3010 (Audio/MP3).
    CategoryMp3,
    /// Nothing said anything.
    Nothing,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::TitleCodec => f.write_str("codec named in the title"),
            Evidence::TitleLosslessWord => f.write_str("\"lossless\" in the title"),
            Evidence::TitleBitDepth => f.write_str("bit depth in the title"),
            Evidence::TitleVbrPreset => f.write_str("MP3 VBR preset in the title"),
            Evidence::TitleBitrateOnly => f.write_str("bitrate without a codec: MP3 by convention"),
            Evidence::SizeLossless { kbps } => write!(f, "size, ~{kbps} kbps on average"),
            Evidence::SizeLossy { kbps } => write!(f, "size, ~{kbps} kbps on average"),
            Evidence::SizeLowBitrate { kbps } => write!(f, "size, ~{kbps} kbps on average"),
            Evidence::CategoryLossless => write!(f, "category {CATEGORY_LOSSLESS}"),
            Evidence::CategoryMp3 => write!(f, "category {CATEGORY_MP3}"),
            Evidence::Nothing => f.write_str("no evidence"),
        }
    }
}

/// The quality a release is believed to have, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualityGuess {
    pub codec: Codec,
    /// `Some(true)` lossless, `Some(false)` lossy, `None` unknown.
    pub lossless: Option<bool>,
    pub bit_depth: Option<u8>,
    pub sample_rate_hz: Option<u32>,
    pub bitrate_kbps: Option<u32>,
    pub vbr_preset: Option<VbrPreset>,
    pub vorbis_quality: Option<u8>,
    /// Size over duration, when both are known (includes artwork and logs).
    pub average_kbps: Option<u32>,
    pub decided_by: Evidence,
    /// Evidence that disagreed with the deciding rule (shown, not used).
    pub conflicts: Vec<String>,
}

impl QualityGuess {
    /// The bitrate a lossy release is taken to have, for ordering: stated,
    /// else the preset's typical one, else the Vorbis level's, else measured.
    pub fn effective_kbps(&self) -> Option<u32> {
        self.bitrate_kbps
            .or_else(|| self.vbr_preset.map(VbrPreset::typical_kbps))
            .or_else(|| self.vorbis_quality.map(vorbis_kbps))
            .or(self.average_kbps)
    }
}

/// Nominal bitrates of the Vorbis quality levels (aoTuV/libvorbis docs).
pub fn vorbis_kbps(q: u8) -> u32 {
    match q {
        0 => 64,
        1 => 80,
        2 => 96,
        3 => 112,
        4 => 128,
        5 => 160,
        6 => 192,
        7 => 224,
        8 => 256,
        9 => 320,
        _ => 500,
    }
}

/// The album's duration: the sum of its track lengths, only when every track
/// has one (a partial sum would make every size look too big).
pub fn album_duration(album: &Album) -> Option<Duration> {
    if album.tracks.is_empty() {
        return None;
    }
    let total: Option<u64> = album.tracks.iter().map(|t| t.length_ms).sum();
    total.filter(|ms| *ms > 0).map(Duration::from_millis)
}

/// The average bitrate of `size_bytes` over `duration`, in kbit/s.
pub fn average_kbps(size_bytes: u64, duration: Duration) -> Option<u32> {
    let secs = duration.as_secs_f64();
    (secs >= 1.0).then(|| (size_bytes as f64 * 8.0 / secs / 1000.0).round() as u32)
}

/// Decides the quality, in this order (the first rule that applies wins):
/// 1. the codec named in the title;
/// 2. "lossless", a 24-bit depth / "Hi-Res", an MP3 VBR preset, or a
///    bitrate without a codec (MP3 by convention) in the title;
/// 3. the average bitrate from size and duration, when it is clearly
///    lossless (≥ 500 kbit/s) or clearly lossy (< 350 kbit/s; ≤ 140 is low
///    bitrate) — bytes are physics, categories are often set carelessly;
/// 4. the Torznab category: 3040 lossless, 3010 MP3;
/// 5. otherwise unknown.
pub fn infer_quality(
    parsed: &ParsedTitle,
    categories: &[u32],
    size_bytes: Option<u64>,
    duration: Option<Duration>,
) -> QualityGuess {
    let average = size_bytes
        .zip(duration)
        .and_then(|(size, d)| average_kbps(size, d));
    let mut guess = QualityGuess {
        codec: parsed.codec,
        lossless: None,
        bit_depth: parsed.bit_depth,
        sample_rate_hz: parsed.sample_rate_hz,
        bitrate_kbps: parsed.bitrate_kbps,
        vbr_preset: parsed.vbr_preset,
        vorbis_quality: parsed.vorbis_quality,
        average_kbps: average,
        decided_by: Evidence::Nothing,
        conflicts: Vec::new(),
    };
    let category_lossless = categories.contains(&CATEGORY_LOSSLESS);
    let category_mp3 = categories.contains(&CATEGORY_MP3);

    if parsed.codec != Codec::Unknown {
        guess.lossless = Some(parsed.codec.is_lossless());
        guess.decided_by = Evidence::TitleCodec;
    } else if parsed.lossless_word {
        guess.lossless = Some(true);
        guess.decided_by = Evidence::TitleLosslessWord;
    } else if parsed.bit_depth.is_some_and(|d| d >= 24) {
        guess.lossless = Some(true);
        guess.decided_by = Evidence::TitleBitDepth;
    } else if parsed.vbr_preset.is_some() {
        guess.codec = Codec::Mp3;
        guess.lossless = Some(false);
        guess.decided_by = Evidence::TitleVbrPreset;
    } else if parsed.bitrate_kbps.is_some() {
        guess.codec = Codec::Mp3;
        guess.lossless = Some(false);
        guess.decided_by = Evidence::TitleBitrateOnly;
    } else if let Some(kbps) = average.filter(|k| *k >= LOSSLESS_ABOVE_KBPS) {
        guess.lossless = Some(true);
        guess.decided_by = Evidence::SizeLossless { kbps };
    } else if let Some(kbps) = average.filter(|k| *k < LOSSY_BELOW_KBPS) {
        guess.lossless = Some(false);
        guess.decided_by = if kbps <= LOW_BITRATE_KBPS {
            Evidence::SizeLowBitrate { kbps }
        } else {
            Evidence::SizeLossy { kbps }
        };
        if category_mp3 {
            guess.codec = Codec::Mp3;
        }
    } else if category_lossless {
        guess.lossless = Some(true);
        guess.decided_by = Evidence::CategoryLossless;
    } else if category_mp3 {
        guess.codec = Codec::Mp3;
        guess.lossless = Some(false);
        guess.decided_by = Evidence::CategoryMp3;
    }

    if guess.lossless == Some(true) && category_mp3 && !category_lossless {
        guess
            .conflicts
            .push(format!("category {CATEGORY_MP3} says MP3"));
    }
    if guess.lossless == Some(false) && category_lossless && !category_mp3 {
        guess
            .conflicts
            .push(format!("category {CATEGORY_LOSSLESS} says lossless"));
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::parse_title;

    const MIN45: Duration = Duration::from_secs(45 * 60);

    #[test]
    fn title_wins_then_size_then_category() {
        let p = parse_title("Artist - Album [FLAC]");
        let g = infer_quality(&p, &[CATEGORY_MP3], Some(100_000_000), Some(MIN45));
        assert_eq!(
            (g.lossless, g.decided_by),
            (Some(true), Evidence::TitleCodec)
        );
        assert_eq!(g.conflicts.len(), 1);

        let p = parse_title("Artist - Album (2019)");
        let g = infer_quality(&p, &[CATEGORY_MP3], Some(300_000_000), Some(MIN45));
        assert!(
            matches!(g.decided_by, Evidence::SizeLossless { .. }),
            "{g:?}"
        );

        let g = infer_quality(&p, &[CATEGORY_LOSSLESS], Some(100_000_000), Some(MIN45));
        assert!(matches!(g.decided_by, Evidence::SizeLossy { .. }), "{g:?}");
        assert_eq!(g.lossless, Some(false));

        let g = infer_quality(&p, &[3000], Some(40_000_000), Some(MIN45));
        assert!(
            matches!(g.decided_by, Evidence::SizeLowBitrate { .. }),
            "{g:?}"
        );

        let g = infer_quality(&p, &[CATEGORY_LOSSLESS], None, None);
        assert_eq!(g.decided_by, Evidence::CategoryLossless);
        let g = infer_quality(&p, &[CATEGORY_MP3], None, None);
        assert_eq!((g.codec, g.decided_by), (Codec::Mp3, Evidence::CategoryMp3));
        let g = infer_quality(&p, &[3000], None, None);
        assert_eq!((g.lossless, g.decided_by), (None, Evidence::Nothing));
    }

    #[test]
    fn title_hints_without_codec() {
        let g = infer_quality(&parse_title("Artist - Album [24bit]"), &[], None, None);
        assert_eq!(g.decided_by, Evidence::TitleBitDepth);
        let g = infer_quality(
            &parse_title("Artist-Album-WEB-V0-2019-GRP"),
            &[],
            None,
            None,
        );
        assert_eq!(
            (g.codec, g.decided_by),
            (Codec::Mp3, Evidence::TitleVbrPreset)
        );
        let g = infer_quality(
            &parse_title("Artist - Album - 1999, lossless"),
            &[],
            None,
            None,
        );
        assert_eq!(g.decided_by, Evidence::TitleLosslessWord);
    }

    #[test]
    fn bitrate_without_codec_is_mp3_by_convention() {
        for t in [
            "Some Artist - Some Album (2016) 256 kbps",
            "Artist - Album (320)(2016)",
            "Artist - Album [320] 2016",
            "Artist - Album 2017 320",
            "Sigur Ros - Agaetis byrjun [WEB 320]",
        ] {
            // a 320 kbit/s size would also say lossy; a lossless-sized one
            // does not override the title
            let g = infer_quality(&parse_title(t), &[CATEGORY_LOSSLESS], None, None);
            assert_eq!(
                (g.codec, g.lossless, g.decided_by),
                (Codec::Mp3, Some(false), Evidence::TitleBitrateOnly),
                "{t}"
            );
            assert_eq!(
                g.decided_by.to_string(),
                "bitrate without a codec: MP3 by convention"
            );
            assert_eq!(g.conflicts.len(), 1, "{t}");
        }
        // a named codec is not a convention
        let g = infer_quality(&parse_title("Artist - Album [AAC 256]"), &[], None, None);
        assert_eq!((g.codec, g.decided_by), (Codec::Aac, Evidence::TitleCodec));
        // numbers in names are not bitrates
        for t in [
            "Blink-182 - California (2016)",
            "Sum 41 - Underclass Hero (2007)",
            "Area 51 - Album (2019)",
            "Artist - 320 Days (2020)",
            "Mp3 Kids - Album (2019)",
        ] {
            let g = infer_quality(&parse_title(t), &[], None, None);
            assert_eq!(
                (g.codec, g.decided_by),
                (Codec::Unknown, Evidence::Nothing),
                "{t}"
            );
        }
    }
}
