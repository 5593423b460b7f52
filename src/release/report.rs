//! `musicagg parse`: one title's parse and quality evidence as JSON.

use std::time::Duration;

use serde_json::{Value, json};

use super::evidence::{QualityGuess, infer_quality};
use super::matching::match_names;
use super::tier::{narrowest_tier, quality_label};
use super::title::ParsedTitle;
use super::title::parse_title;

/// A typical track (4 minutes): only used when `duration_secs` is missing
/// but a track count is given, and reported as an estimate.
const ESTIMATED_SECS_PER_TRACK: u64 = 240;

/// What `musicagg parse --artist A --album B` says is wanted; either may be
/// given alone (only what is given is compared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    pub artist: Option<String>,
    pub album: Option<String>,
}

impl Wanted {
    fn is_empty(&self) -> bool {
        self.artist.is_none() && self.album.is_none()
    }
}

/// One JSON object: the parsed fields (null where unknown), the inferred
/// quality, which rule decided it, and the narrowest `quality_tier`; with a
/// [`Wanted`] artist or album, a `match` object saying whether the title is
/// that album, why not, and how it was read (no `match` key without them).
pub fn parse_report(
    title: &str,
    category: Option<u32>,
    size: Option<u64>,
    duration_secs: Option<u64>,
    tracks: Option<u32>,
    wanted: &Wanted,
) -> Value {
    let p = parse_title(title);
    let estimated = duration_secs.is_none() && tracks.is_some();
    let secs = duration_secs.or_else(|| tracks.map(|n| u64::from(n) * ESTIMATED_SECS_PER_TRACK));
    let categories: Vec<u32> = category.into_iter().collect();
    let guess = infer_quality(&p, &categories, size, secs.map(Duration::from_secs));
    let mut report = json!({ "title": title });
    if let (Value::Object(out), Value::Object(details)) = (&mut report, details_json(&p, &guess)) {
        out.extend(details);
        out.insert("duration_estimated_from_tracks".into(), json!(estimated));
        if !wanted.is_empty() {
            out.insert("match".into(), match_json(title, &p, wanted));
        }
    }
    report
}

/// `{artist, album, matches, reasons, read_as}`: the selector's album match
/// (discographies refused, as by default) on the names given.
fn match_json(title: &str, p: &ParsedTitle, wanted: &Wanted) -> Value {
    let artist = wanted.artist.as_deref().unwrap_or("");
    let album = wanted.album.as_deref().unwrap_or("");
    let verdict = match_names(title, p, artist, album, false);
    json!({
        "artist": wanted.artist,
        "album": wanted.album,
        "matches": verdict.rejections.is_empty(),
        "reasons": verdict.rejections.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "read_as": verdict.read_as,
    })
}

/// The parsed fields (null where unknown) and the quality evidence: what
/// `musicagg parse` prints and what each candidate of a run stores.
pub fn details_json(p: &ParsedTitle, guess: &QualityGuess) -> Value {
    json!({
        "codec": (p.codec != super::Codec::Unknown).then(|| p.codec.name()),
        "bitrate_kbps": p.bitrate_kbps,
        "vbr_preset": p.vbr_preset.map(|v| v.to_string()),
        "vorbis_quality": p.vorbis_quality,
        "bit_depth": p.bit_depth,
        "sample_rate_hz": p.sample_rate_hz,
        "source": p.source.map(|s| s.name()),
        "artist": p.artist,
        "album": p.album,
        "year": p.year,
        "editions": p.editions,
        "release_group": p.release_group,
        "discography": p.discography,
        "discography_start": p.discography_start,
        "discography_end": p.discography_end,
        // {version, repack, real}, null for an original release
        "revision": p.revision,
        "lossless_word": p.lossless_word,
        "various_artists": p.various_artists,
        "unparseable": p.unparseable,
        "quality": Some(quality_label(guess)).filter(|l| !l.is_empty()),
        "lossless": guess.lossless,
        "average_kbps": guess.average_kbps,
        "decided_by": guess.decided_by.to_string(),
        "conflicts": guess.conflicts,
        "quality_tier": narrowest_tier(guess).map(|q| q.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_every_documented_key() {
        let v = parse_report(
            "Artist - Album (2019) [FLAC 24-96]",
            None,
            None,
            None,
            None,
            &Wanted::default(),
        );
        for key in [
            "codec",
            "bitrate_kbps",
            "vbr_preset",
            "bit_depth",
            "sample_rate_hz",
            "source",
            "artist",
            "album",
            "year",
            "release_group",
            "discography",
            "revision",
            "quality_tier",
        ] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        assert_eq!(v["codec"], "FLAC");
        assert_eq!(v["quality_tier"], "lossless_hires");
        assert_eq!(v["bitrate_kbps"], Value::Null);
    }

    #[test]
    fn uses_category_and_size() {
        let v = parse_report(
            "Artist-Album-WEB-2019-GRP",
            Some(3040),
            None,
            None,
            None,
            &Wanted::default(),
        );
        assert_eq!(v["quality_tier"], "lossless");
        let v = parse_report(
            "Artist-Album-WEB-2019-GRP",
            None,
            Some(30_000_000),
            Some(2700),
            None,
            &Wanted::default(),
        );
        assert_eq!(v["quality_tier"], "any");
        assert_eq!(v["codec"], Value::Null);
        let v = parse_report(
            "Artist - Album",
            None,
            Some(400_000_000),
            None,
            Some(10),
            &Wanted::default(),
        );
        assert_eq!(v["lossless"], true);
        assert_eq!(v["duration_estimated_from_tracks"], true);
    }
}
