//! The scanner: what one tag group (a bracket, a comma tail, a run of
//! scene fields) says about the audio, read with whole-word patterns.

use std::sync::LazyLock;

use regex::Regex;

use super::{Codec, Revision, Source, VbrPreset};

/// Everything read from the tag groups of one title.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AudioTags {
    pub codec: Option<Codec>,
    pub bitrate_kbps: Option<u32>,
    pub vbr_preset: Option<VbrPreset>,
    pub vorbis_quality: Option<u8>,
    pub bit_depth: Option<u8>,
    pub sample_rate_hz: Option<u32>,
    pub source: Option<Source>,
    pub revision: Option<Revision>,
    pub year: Option<u16>,
    pub year_range: bool,
    pub lossless_word: bool,
    pub vbr_word: bool,
    /// The iTunes store was named: its AAC is 256 kbit/s ("iTunes Plus").
    pub itunes: bool,
    /// DSD was named. Kept apart from `codec` because "DSD" is often the
    /// source of a PCM conversion ("[SACD] [DSD64 > FLAC 24-88]"): a PCM
    /// codec named anywhere in the title wins (see [`AudioTags::codec`]).
    pub dsd: bool,
    /// Something tag-like was seen (used to classify bracket groups).
    pub any: bool,
}

fn re(pattern: &str) -> Regex {
    // The patterns are literals of this file, covered by the unit tests.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

const RATES: &str = r"44[.,]1|44|48|88[.,]2|88|96|176[.,]4|176|192|352[.,]8|352|384";

// "24-96", "24bit/96kHz", "24B-96K" (the terse form some uploaders use)
static DEPTH_RATE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(16|24|32)\s*(?:-?\s*(?:bits?|b)\s*[-/x]?|[-/x])\s*({RATES})\s*(?:k?hz|k)?\b"
    ))
});
// "24bit", "[TR24]", and the depth glued to the codec word ("FLAC24bit",
// "FLAC 24 bit")
static DEPTH: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:(16|24|32)\s*-?\s*bits?|flac\s?(16|24)(?:\s?-?bits?)?|tr(16|24))\b")
});
static RATE: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"\b({RATES})\s*-?\s*k?hz\b")));
static HIRES: LazyLock<Regex> = LazyLock::new(|| re(r"\bhi[\s-]?res\b"));
/// A full date ("2019-03-15"): its year is the year, and "2019-03" is not
/// a year range.
static DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b((?:19|20)\d\d)[-./](?:0[1-9]|1[0-2])[-./](?:[0-2]\d|3[01])\b"));
static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:19|20)\d\d\s*[-–—]\s*(?:(?:19|20)\d\d|\d\d)\b"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"\b((?:19|20)\d\d)\b"));
static KBPS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:cbr\s*-?\s*(\d{2,3})|(\d{2,3})\s*(?:kbps|kbit/s|kbits?|kb/s|kb|k))\b")
});
static VBR_PRESET: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:v([0-9])|(apx)|(aps))\b"));
static VBR: LazyLock<Regex> = LazyLock::new(|| re(r"\bvbr\b"));
static VORBIS_Q: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:-\s*)?q\s*-?\s*(\d{1,2})(?:[.,]\d)?\b"));
static CODEC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b((?:web|cd)?flac(?:16|24)?(?:bits?)?|alac|apple lossless|ape|monkey'?s audio|wavpack|wv|wav|mp3|lame|aac|he-aac|m4a|ogg|vorbis|opus|wma)\b",
    )
});
/// DSD in its names: the format ("DSD", "DSD64"), its file types (DSF,
/// DFF) and the SACD disc image ("SACD ISO"), which holds DSD.
static DSD: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:dsd\s*(64|128|256|512|1024)?|dsf|dff|sacd[\s-]?iso)\b"));
/// DSD rates in megahertz ("DSD 5.6 MHz"): 2.8, 5.6, 11.2, 22.5 MHz are
/// DSD64 to DSD512.
static DSD_MHZ: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(2[.,]8|5[.,]6|11[.,]2|22[.,][45])\s*mhz\b"));
static BARE_BITRATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(32|48|64|80|96|112|128|160|192|224|256|320)\b(\s*[%\p{L}]+)?"));
static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(\d+\s*x?\s*cd|cd\d?|cdda|cdr|cdm|cds|cd-?rip|web|web-?dl|webrip|bandcamp|qobuz|tidal|deezer|itunes|amazon|beatport|hdtracks|nativedsd|7digital|spotify|youtube|soundcloud|apple\s?music|webflac|cdflac|vinyl|vinylrip|\d*\s*x?\s*lp|vls|sacd|sacd-?r|sacd-?iso|eac|dvd|dvda|dvd-?a|dvd-?audio|blu-?ray|bd|bd-?a|bd-?rip|cassette|tape)\b",
    )
});
/// "iTunes Plus": the store's 256 kbit/s AAC, named without the codec.
static ITUNES_PLUS: LazyLock<Regex> = LazyLock::new(|| re(r"\bitunes\s*plus\b"));
static REVISION: LazyLock<Regex> = LazyLock::new(|| re(r"\b(proper|repack|re-?rip)([1-9])?\b"));
/// The scene's `REAL`, only in upper case: "real" is an ordinary word.
static REAL: LazyLock<Regex> = LazyLock::new(|| re(r"\bREAL\b"));
static LOSSLESS: LazyLock<Regex> = LazyLock::new(|| re(r"\blossless\b"));
/// Video words (concert films on music trackers): no audio facts, but they
/// are tags, so "(1080p)" is not taken for a subtitle of the album.
static VIDEO: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:(?:480|576|720|1080|2160)[pi]|x26[45]|h\.?26[45]|hevc|remux|bdrip|ntsc|pal)\b")
});
static PACKAGING: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(tracks|image|cue|log|scans|covers|artwork|lossy|official)\b"));

fn rate_hz(text: &str) -> Option<u32> {
    Some(match text.replace(',', ".").as_str() {
        "44.1" | "44" => 44_100,
        "48" => 48_000,
        "88.2" | "88" => 88_200,
        "96" => 96_000,
        "176.4" | "176" => 176_400,
        "192" => 192_000,
        "352.8" | "352" => 352_800,
        "384" => 384_000,
        _ => return None,
    })
}

fn codec_of(word: &str) -> Codec {
    match word {
        // "WEBFLAC", "CDFLAC": the source glued to the codec
        w if w.starts_with("flac") || w.ends_with("flac") => Codec::Flac,
        "alac" | "apple lossless" => Codec::Alac,
        "ape" => Codec::Ape,
        w if w.starts_with("monkey") => Codec::Ape,
        "wavpack" | "wv" => Codec::WavPack,
        "wav" => Codec::Wav,
        "mp3" | "lame" => Codec::Mp3,
        "aac" | "he-aac" | "m4a" => Codec::Aac,
        "ogg" | "vorbis" => Codec::Vorbis,
        "opus" => Codec::Opus,
        "wma" => Codec::Wma,
        _ => Codec::Unknown,
    }
}

fn source_of(word: &str) -> Option<Source> {
    let w = word.replace([' ', '-'], "");
    Some(match w.as_str() {
        "web" | "webflac" | "webdl" | "webrip" | "bandcamp" | "qobuz" | "tidal" | "deezer"
        | "itunes" | "amazon" | "beatport" | "hdtracks" | "nativedsd" | "7digital" | "spotify"
        | "youtube" | "soundcloud" | "applemusic" => Source::Web,
        "vinyl" | "vinylrip" | "vls" => Source::Vinyl,
        w if w.ends_with("lp") => Source::Vinyl, // "LP", "2LP", "2xLP"
        // Exact Audio Copy: the CD ripper whose name marks a CD rip
        "eac" => Source::Cd,
        "dvd" | "dvda" | "dvdaudio" => Source::Dvd,
        "bluray" | "bd" | "bda" | "bdrip" => Source::BluRay,
        "cassette" | "tape" => Source::Cassette,
        w if w.starts_with("sacd") || w.starts_with("dsd") => Source::Sacd,
        w if w.contains("cd") => Source::Cd,
        _ => return None,
    })
}

/// Blanks the bytes of every match so later patterns do not see them again
/// (the 192 of "24-192" is not a bitrate). Called only once a pattern has
/// matched: a second search of a text that has no match is the parser's
/// most common waste.
fn blank(text: &mut String, re: &Regex) {
    let ranges: Vec<(usize, usize)> = re.find_iter(text).map(|m| (m.start(), m.end())).collect();
    if ranges.is_empty() {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e) in ranges {
        out.push_str(&text[last..s]);
        out.push_str(&" ".repeat(e - s));
        last = e;
    }
    out.push_str(&text[last..]);
    *text = out;
}

impl AudioTags {
    /// Reads one tag group. The first value found wins over later groups, as
    /// titles put the main format first ("FLAC + MP3 320" is a FLAC release
    /// with extras).
    pub(crate) fn scan(&mut self, group: &str) {
        // "MP3_320": an underscore joins tag words like a space (and keeps
        // byte offsets, which `blank` relies on)
        let mut t = group.to_lowercase().replace('_', " ");

        // Most groups hold no digit ("FLAC", "WEB", "Deluxe Edition"): the
        // patterns that need one are not run on them (the parser's hot
        // path, see B4).
        let digits = t.bytes().any(|b| b.is_ascii_digit());
        if digits {
            if let Some(c) = DEPTH_RATE.captures(&t) {
                self.any = true;
                self.bit_depth = self.bit_depth.or_else(|| c[1].parse().ok());
                self.sample_rate_hz = self.sample_rate_hz.or_else(|| rate_hz(&c[2]));
                drop(c);
                blank(&mut t, &DEPTH_RATE);
            }
            if let Some(c) = DEPTH.captures(&t) {
                self.any = true;
                let d = c.get(1).or(c.get(2)).or(c.get(3)).map(|m| m.as_str());
                self.bit_depth = self.bit_depth.or_else(|| d.and_then(|d| d.parse().ok()));
            }
            if let Some(c) = RATE.captures(&t) {
                self.any = true;
                self.sample_rate_hz = self.sample_rate_hz.or_else(|| rate_hz(&c[1]));
                drop(c);
                blank(&mut t, &RATE);
            }
        }
        if HIRES.is_match(&t) {
            self.any = true;
            // "Hi-Res" is the stores' word for 24-bit; the bit depth is the
            // fact tiers use, so record it.
            self.bit_depth = self.bit_depth.or(Some(24));
        }
        if digits {
            if let Some(c) = DATE.captures(&t) {
                self.any = true;
                self.year = self.year.or_else(|| c[1].parse().ok());
                drop(c);
                blank(&mut t, &DATE);
            }
            if YEAR_RANGE.is_match(&t) {
                self.any = true;
                self.year_range = true;
                blank(&mut t, &YEAR_RANGE);
            }
            if let Some(c) = YEAR.captures(&t) {
                self.any = true;
                self.year = self.year.or_else(|| c[1].parse().ok());
                drop(c);
                blank(&mut t, &YEAR);
            }
        }

        let mut codec_here = None;
        let mut weak_m4a = false;
        for m in CODEC.find_iter(&t) {
            self.any = true;
            if m.as_str() == "m4a" {
                weak_m4a = true; // a container: AAC unless ALAC is named
            } else if codec_here.is_none() {
                codec_here = Some(codec_of(m.as_str()));
            }
        }
        if codec_here.is_none() && weak_m4a {
            codec_here = Some(Codec::Aac);
        }
        if self.codec.is_none() {
            self.codec = codec_here;
        }
        if let Some(c) = DSD.captures(&t) {
            self.any = true;
            self.dsd = true;
            // DSD64 = 64 × 44.1 kHz
            let rate = c
                .get(1)
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .or_else(|| {
                    DSD_MHZ.captures(&t).map(|m| match &m[1][..1] {
                        "2" if m[1].starts_with("22") => 512,
                        "2" => 64,
                        "5" => 128,
                        _ => 256,
                    })
                });
            if codec_here.is_none() {
                self.sample_rate_hz = self.sample_rate_hz.or(rate.map(|r| r * 44_100));
            }
        }

        if digits && let Some(c) = KBPS.captures(&t) {
            self.any = true;
            let n = c
                .get(1)
                .or(c.get(2))
                .and_then(|m| m.as_str().parse::<u32>().ok());
            if let Some(n) = n.filter(|n| (8..=512).contains(n)) {
                self.bitrate_kbps = self.bitrate_kbps.or(Some(n));
            }
            drop(c);
            blank(&mut t, &KBPS);
        }
        if let Some(c) = VBR_PRESET.captures(&t) {
            self.any = true;
            let preset = match (c.get(1), c.get(2)) {
                (Some(n), _) => n.as_str().parse().ok().map(VbrPreset),
                (None, Some(_)) => Some(VbrPreset(0)), // --alt-preset extreme ≈ V0
                (None, None) => Some(VbrPreset(2)),    // --alt-preset standard = V2
            };
            self.vbr_preset = self.vbr_preset.or(preset);
            drop(c);
            blank(&mut t, &VBR_PRESET);
        }
        if VBR.is_match(&t) {
            self.any = true;
            self.vbr_word = true;
        }
        if matches!(codec_here, Some(Codec::Vorbis))
            && let Some(c) = VORBIS_Q.captures(&t)
            && let Ok(q) = c[1].parse::<u8>()
            && q <= 10
        {
            self.vorbis_quality = self.vorbis_quality.or(Some(q));
        }

        // A bare standard bitrate ("MP3 320", "AAC 256", "Opus 160") counts
        // only next to a lossy codec in the same group and when it is not
        // counting something ("128 tracks", "96 kHz", "100%").
        if digits && self.bitrate_kbps.is_none() && codec_here.is_some_and(Codec::is_lossy) {
            for c in BARE_BITRATE.captures_iter(&t) {
                let counting = c.get(2).is_some_and(|w| {
                    let w = w.as_str().trim();
                    w.starts_with('%')
                        || matches!(
                            w,
                            "tracks"
                                | "track"
                                | "songs"
                                | "albums"
                                | "album"
                                | "discs"
                                | "disc"
                                | "cds"
                                | "hz"
                                | "khz"
                                | "bit"
                                | "bits"
                                | "th"
                                | "mb"
                                | "gb"
                                | "min"
                                | "minutes"
                                | "pcs"
                                | "pages"
                        )
                });
                if !counting {
                    self.bitrate_kbps = c[1].parse().ok();
                    break;
                }
            }
        }

        // A group that is nothing but a standard bitrate ("[320]") is one;
        // the codec may be in another group ("[320] [MP3]").
        if digits
            && self.bitrate_kbps.is_none()
            && let Some(n) = lone_bitrate(&t)
        {
            self.any = true;
            self.bitrate_kbps = Some(n);
        }

        // "[WEB 320]", "2017 320": a standard bitrate left alone once the
        // year and source words are gone is one too (MP3 by convention,
        // see the evidence). Only in a group without a codec, and only
        // then is the copy made.
        if digits && self.bitrate_kbps.is_none() && codec_here.is_none() && SOURCE.is_match(&t) {
            let mut rest = t.clone();
            blank(&mut rest, &SOURCE);
            if let Some(n) = lone_bitrate(&rest) {
                self.any = true;
                self.bitrate_kbps = Some(n);
            }
        }

        if ITUNES_PLUS.is_match(&t) {
            self.any = true;
            self.itunes = true;
            self.codec = self.codec.or(Some(Codec::Aac));
        }
        if let Some(m) = SOURCE.find(&t) {
            self.any = true;
            self.itunes |= m.as_str() == "itunes";
            self.source = self.source.or_else(|| source_of(m.as_str()));
        }
        if let Some(c) = REVISION.captures(&t) {
            self.any = true;
            let n: u8 = c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(1);
            let r = Revision {
                // "REPACK2" is the second repack: version 3
                version: n.saturating_add(1),
                repack: &c[1] != "proper",
                real: 0,
            };
            self.revision = self.revision.or(Some(r));
        }
        // counted on the original text (upper case), where it is one group
        let real = if group.contains("REAL") {
            REAL.find_iter(group).count()
        } else {
            0
        };
        if real > 0 {
            self.any = true;
            let r = self.revision.get_or_insert_with(Revision::default);
            r.real = r.real.saturating_add(u8::try_from(real).unwrap_or(u8::MAX));
        }
        if LOSSLESS.is_match(&t) {
            self.any = true;
            self.lossless_word = true;
        }
        if VIDEO.is_match(&t) {
            self.any = true;
        }
        if PACKAGING.is_match(&t) {
            self.any = true;
        }
    }
}

/// A group that is nothing but a standard bitrate of 128 or more ("320").
fn lone_bitrate(text: &str) -> Option<u32> {
    let text = text.trim();
    BARE_BITRATE
        .captures(text)
        .filter(|c| c.get(2).is_none() && c.get(0).is_some_and(|m| m.as_str() == text))
        .and_then(|c| c[1].parse::<u32>().ok())
        .filter(|n| *n >= 128)
}

impl AudioTags {
    /// Adds what another group read, as if that group had been scanned
    /// after this one: every value already found wins, flags add up, and a
    /// later `REAL` counts onto the revision found first. The parser reads
    /// each bracket once to classify it and merges that reading in title
    /// order instead of reading the bracket again.
    pub(crate) fn merge(&mut self, later: &AudioTags) {
        self.codec = self.codec.or(later.codec);
        self.bitrate_kbps = self.bitrate_kbps.or(later.bitrate_kbps);
        self.vbr_preset = self.vbr_preset.or(later.vbr_preset);
        self.vorbis_quality = self.vorbis_quality.or(later.vorbis_quality);
        self.bit_depth = self.bit_depth.or(later.bit_depth);
        self.sample_rate_hz = self.sample_rate_hz.or(later.sample_rate_hz);
        self.source = self.source.or(later.source);
        self.revision = match (self.revision, later.revision) {
            (Some(mut first), Some(then)) => {
                first.real = first.real.saturating_add(then.real);
                Some(first)
            }
            (first, then) => first.or(then),
        };
        self.year = self.year.or(later.year);
        self.year_range |= later.year_range;
        self.lossless_word |= later.lossless_word;
        self.vbr_word |= later.vbr_word;
        self.itunes |= later.itunes;
        self.dsd |= later.dsd;
        self.any |= later.any;
    }
}

/// Whether a tag text names a codec (or DSD), as [`AudioTags::scan`] reads
/// it, without reading anything else: the parser asks this of every
/// bracket before it reads them in title order.
pub(crate) fn names_codec(text: &str) -> bool {
    let t = text.to_lowercase().replace('_', " ");
    CODEC.is_match(&t) || DSD.is_match(&t)
}

impl AudioTags {
    /// The codec the title names: a PCM or lossy codec first, else DSD.
    pub(crate) fn codec(&self) -> Option<Codec> {
        self.codec.or(self.dsd.then_some(Codec::Dsd))
    }
}
