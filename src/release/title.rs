//! The release-title parser: from one indexer title to [`ParsedTitle`].
//!
//! Titles come in two shapes and we read both:
//! - **spaced** (Gazelle, ruTracker, public trackers): `Artist - Album (2019)
//!   [FLAC 24-96]`, `(Rock) [CD] Artist - Album - 1999, FLAC (tracks+.cue),
//!   lossless`. Brackets hold tags (or genres, editions, subtitles); the bare
//!   text is `Artist - Album` followed by an optional run of tag words.
//! - **scene** (no spaces): `Artist.Name-Album_Name-(CAT123)-WEB-2019-GRP`,
//!   segments split on `-`, the last one the group.
//!
//! The central rule: audio facts (codec, bitrate, …) are read only from text
//! already judged to be tags, never from the artist or album name, so an
//! artist "Mp3 Killer" or an album "320 Days" does not change the quality.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::audio::{AudioTags, Codec, Revision, Source, VbrPreset, names_codec};
use super::text::{is_edition_word, normalize};
use super::vocab::{Tagness, clean, tagness};

mod brackets;
mod junk;
mod names;
mod run;
mod scene;
mod suffix;

use brackets::{GroupKind, Pieces, classify, split_brackets};
use names::{split_disc_marker, undot_tail, unglue_bitrate, year_in_name};
use run::{name_aware_tagness, split_run, split_run_on, word_positions};

/// Everything a title says about its release. `None` / empty / `false` /
/// [`Codec::Unknown`] mean "the title does not say".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParsedTitle {
    pub artist: Option<String>,
    pub album: Option<String>,
    pub year: Option<u16>,
    pub codec: Codec,
    /// Constant (or stated) bitrate, e.g. MP3 320, AAC 256, Opus 160.
    pub bitrate_kbps: Option<u32>,
    pub vbr_preset: Option<VbrPreset>,
    /// Ogg Vorbis quality level (`q8`).
    pub vorbis_quality: Option<u8>,
    pub bit_depth: Option<u8>,
    pub sample_rate_hz: Option<u32>,
    pub source: Option<Source>,
    /// Edition words, lower-case, in order, without repeats ("deluxe",
    /// "edition", "remastered").
    pub editions: Vec<String>,
    /// A discography, anthology or collection pack rather than one album.
    pub discography: bool,
    /// The years a discography spans ("Discography 1998-2001"), when given.
    pub discography_start: Option<u16>,
    pub discography_end: Option<u16>,
    /// The scene group (`…-GROUP`).
    pub release_group: Option<String>,
    pub revision: Option<Revision>,
    /// The title says "lossless" (ruTracker does), with or without a codec.
    pub lossless_word: bool,
    /// The artist is "VA" / "Various Artists"; `artist` is then
    /// "Various Artists".
    pub various_artists: bool,
    /// Not a release title (a hash, a random string, a `yEnc` subject, a
    /// video file): nothing else is read from it, and the selector rejects it.
    pub unparseable: bool,
}

static DISCOGRAPHY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:discography|discografia|discografía|discographie|diskografie|дискография|anthology|collection|complete works|complete (?:studio )?albums|studio albums|\d+\s*albums)\b",
    )
    .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Two years joined by a dash ("1998-2001", "1998_-_2001", "[1985 - 2015]"):
/// the span of a discography. Not `\b`-bounded: scene titles join words
/// with `_`, a word character.
static YEAR_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])((?:19|20)\d\d)[\s_]*[-–—~][\s_]*((?:19|20)\d\d)(?:[^\d]|$)")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// "(46 CD)", "[12CD]": a count of discs in brackets.
static CD_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[(\[]\s*(\d{1,3})\s*x?\s*cds?\s*[)\]]")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// A name followed by how many albums its pack holds ("Discography, 23
/// albums"); the name alone is kept ("5 Albums" has nothing before it).
static PACK_COUNT_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(.*?[^\s,])[\s,]+\d+\s*(?:albums|releases|cds?)$")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

static LEADING_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:19|20)\d\d)\s+[-–—]\s+(\S.*)$")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Parses one title; never fails (a title with nothing recognisable parses to
/// a mostly empty [`ParsedTitle`]).
pub fn parse_title(title: &str) -> ParsedTitle {
    if junk::is_unparseable(title) {
        return ParsedTitle {
            unparseable: true,
            ..ParsedTitle::default()
        };
    }
    let quoted = corner_quoted_album(title);
    let prepared: String = quoted
        .as_deref()
        .unwrap_or(title)
        .chars()
        .map(|c| match c {
            '【' | '「' | '『' | '〔' => '[',
            '】' | '」' | '』' | '〕' => ']',
            '（' => '(',
            '）' => ')',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let prepared = prepared.split_whitespace().collect::<Vec<_>>().join(" ");
    let prepared = suffix::mended_separators(prepared);

    let prepared = strip_internal_marker(suffix::strip_indexer_suffixes(&prepared));
    let mut builder = Builder::default();
    if is_scene_shaped(prepared) {
        builder.scene(prepared);
    } else {
        builder.spaced(prepared);
    }
    let mut parsed = builder.finish();
    // "Discography_1998-2001": `_` is a space of scene names, and a word
    // character that would hide the word from `\b`
    let mut lower = title.to_lowercase();
    if lower.contains('_') {
        lower = lower.replace('_', " ");
    }
    parsed.discography = DISCOGRAPHY.is_match(&lower) || is_cd_pack(&lower);
    if parsed.discography {
        (parsed.discography_start, parsed.discography_end) = year_span(&lower).unzip();
        // "Discography, 23 albums": the count describes the pack
        if let Some(album) = &mut parsed.album
            && let Some(c) = PACK_COUNT_TAIL.captures(album)
        {
            *album = c[1].to_owned();
        }
    }
    parsed
}

/// The span of years a pack covers, first year before the last.
fn year_span(lower: &str) -> Option<(u16, u16)> {
    YEAR_SPAN
        .captures(lower)
        .and_then(|c| Some((c[1].parse::<u16>().ok()?, c[2].parse::<u16>().ok()?)))
        .filter(|(start, end)| start < end)
}

/// "(46 CD) [1985 - 2015]": a box of many discs is a pack of albums — ten
/// or more discs, or five or more over a span of years. "(2CD)" is one
/// album on two discs.
fn is_cd_pack(lower: &str) -> bool {
    CD_COUNT
        .captures(lower)
        .and_then(|c| c[1].parse::<u32>().ok())
        .is_some_and(|n| n >= 10 || (n >= 5 && year_span(lower).is_some()))
}

/// Scene internal releases append `_INT` / ` iNT` to the group
/// (`…-2019-GRP_INT`): not part of the group's name, and its space would
/// hide the scene shape.
fn strip_internal_marker(title: &str) -> &str {
    let n = title.len();
    if n < 5 || !title.is_char_boundary(n - 4) {
        return title;
    }
    let (head, tail) = title.split_at(n - 4);
    let marker = tail.starts_with([' ', '_', '.']) && tail[1..].eq_ignore_ascii_case("int");
    let last_word = head.rsplit(' ').next().unwrap_or(head);
    let group_before = last_word
        .rsplit_once('-')
        .is_some_and(|(_, g)| !g.is_empty() && g.chars().all(char::is_alphanumeric));
    if marker && group_before { head } else { title }
}

/// Japanese titles quote the album in corner brackets after the artist,
/// with no dash: `宇多田ヒカル「BADモード」(2022) [FLAC]`. Rewritten to the
/// spaced shape `Artist - Album …` so the usual reading applies. Only when
/// the title has no spaced dash (then the dash is the separator) and some
/// name text comes before the quote.
fn corner_quoted_album(title: &str) -> Option<String> {
    if [" - ", " – ", " — "].iter().any(|s| title.contains(s)) {
        return None;
    }
    let open = title.find(['「', '『'])?;
    let inner_start = open + title[open..].chars().next()?.len_utf8();
    let close = inner_start + title[inner_start..].find(['」', '』'])?;
    let before = title[..open].trim();
    let artist_text = strip_leading_brackets(before);
    if artist_text.is_empty() || title[inner_start..close].trim().is_empty() {
        return None;
    }
    let after = &title[close + title[close..].chars().next()?.len_utf8()..];
    Some(format!(
        "{before} - {} {after}",
        title[inner_start..close].trim()
    ))
}

/// "Artist - Album (2019) [FLAC] -GRP" or "… [FLAC] - GRP": a group set
/// apart by a space after a bracket of tags. Returns the title without it
/// and the group. A bracket of anything else before it ("(Live) - Paris")
/// leaves the words in the name.
fn spaced_group_suffix(title: &str) -> Option<(&str, &str)> {
    let (head, last) = title.rsplit_once(' ')?;
    let (head, group) = match last.strip_prefix('-') {
        Some(group) => (head, group),
        None => (head.strip_suffix(" -")?, last),
    };
    let head = head.trim_end();
    let body = head.strip_suffix([']', ')'])?;
    let body = &body[body.rfind(['[', '('])? + 1..];
    let group_like = group.len() >= 2
        && group.chars().all(|c| c.is_alphanumeric() || c == '_')
        && group.chars().any(char::is_alphabetic)
        && tagness(group) == Tagness::Name;
    (group_like && matches!(classify(body), GroupKind::Tag)).then_some((head, group))
}

/// "[FLAC] (J-Pop) Artist" → "Artist": what is left of a prefix once its
/// leading bracket groups are gone.
fn strip_leading_brackets(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        let close = match text.chars().next() {
            Some('[') => ']',
            Some('(') => ')',
            Some('【') => '】',
            _ => return text,
        };
        match text.find(close) {
            Some(i) => text = &text[i + close.len_utf8()..],
            None => return text,
        }
    }
}

/// Scene names have no spaces, or (when an indexer put spaces back) no
/// spaced separator but at least three dash-separated segments.
fn is_scene_shaped(title: &str) -> bool {
    if !title.contains(' ') {
        return true;
    }
    let spaced_separator = [" - ", " – ", " — "].iter().any(|s| title.contains(s));
    let segments: Vec<&str> = title.split('-').collect();
    !spaced_separator
        && !title.contains('[')
        && segments.len() >= 3
        && segments.last().is_some_and(|s| !s.trim().contains(' '))
}

#[derive(Default)]
struct Builder {
    artist: Option<String>,
    album: Option<String>,
    tags: AudioTags,
    editions: Vec<String>,
    group: Option<String>,
}

/// The name without the separators and punctuation around it. A `/` or
/// `|` goes only when it stands alone ("Album /"): glued to another
/// symbol it is part of a name (`/\`).
fn trim_name(s: &str) -> &str {
    let mut t = s;
    loop {
        let before = t;
        t = t.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | ',' | ':'));
        for bar in ['/', '|'] {
            if let Some(rest) = t.strip_prefix(bar)
                && rest.chars().next().is_none_or(char::is_whitespace)
            {
                t = rest;
            }
            if let Some(rest) = t.strip_suffix(bar)
                && rest.chars().last().is_none_or(char::is_whitespace)
            {
                t = rest;
            }
        }
        if t == before {
            return t;
        }
    }
}

/// Splits "Artist - Album" at the first spaced dash.
fn split_artist(name: &str) -> (Option<&str>, &str) {
    [" - ", " – ", " — ", " -- "]
        .iter()
        .filter_map(|sep| name.find(sep).map(|i| (i, sep.len())))
        .min()
        .map(|(i, len)| (Some(&name[..i]), &name[i + len..]))
        .unwrap_or((None, name))
}

impl Builder {
    fn add_editions(&mut self, text: &str) {
        for w in text.split(|c: char| c.is_whitespace() || c == ',' || c == '/' || c == '_') {
            let w = clean(w).to_lowercase();
            if is_edition_word(&w) && !self.editions.contains(&w) {
                self.editions.push(w);
            }
        }
    }

    fn scan_tags(&mut self, text: &str) {
        self.tags.scan(text);
        self.add_editions(text);
    }

    /// The tag texts of `pieces` in title order, merging the readings the
    /// bracket pass already made.
    fn read_pieces(&mut self, pieces: &Pieces) {
        for (text, read) in pieces.tags.iter().zip(&pieces.reads) {
            match read {
                Some(read) => {
                    self.tags.merge(read);
                    self.add_editions(text);
                }
                None => self.scan_tags(text),
            }
        }
    }

    fn spaced(&mut self, title: &str) {
        let title = self.take_group_suffix(&undot_tail(&unglue_bitrate(title)));
        let pieces = split_brackets(&title);
        let bracket_codec = pieces
            .tags
            .iter()
            .zip(&pieces.reads)
            .any(|(t, read)| match read {
                Some(read) => read.codec().is_some(),
                None => names_codec(t),
            });
        let (artist, album_part) = split_artist(&pieces.name);
        // "Artist - 2019 - Album": a year between artist and album
        // ("Prince - 1999 - 1982, FLAC" has no name after the dash: there
        // 1999 is the album)
        let album_part = match LEADING_YEAR.captures(album_part) {
            Some(c)
                if c.get(2).is_some_and(|rest| {
                    word_positions(rest.as_str())
                        .iter()
                        .any(|(_, w)| name_aware_tagness(w) == Tagness::Name)
                }) =>
            {
                self.scan_tags(&c[1]);
                c.get(2).map_or(album_part, |m| m.as_str())
            }
            _ => album_part,
        };
        let (album, run) = match split_run(album_part, bracket_codec) {
            (_, Some(run)) if year_in_name(&run, &pieces.tags) => (album_part.to_owned(), None),
            (album, None) if !bracket_codec => match split_run_on(album_part) {
                Some((album, run)) => (album, Some(run)),
                None => (album, None),
            },
            split => split,
        };
        self.artist = artist
            .map(trim_name)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        // The run comes first: it precedes the trailing brackets in the
        // title, and the first year is the original one ("Album - 1959
        // (2019, Remastered), FLAC").
        if let Some(run) = &run {
            self.scan_tags(run);
        }
        self.read_pieces(&pieces);
        self.take_year_after_artist();
        self.album = self.strip_trailing_editions(trim_name(&album));
    }

    /// "Roberta Flack 2006 - The Very Best of": the year written after the
    /// artist, when the title gives no other. "Class of 1984" keeps its year
    /// (a function word binds it), as does an artist that is only a year.
    fn take_year_after_artist(&mut self) {
        if self.tags.year.is_some() {
            return;
        }
        let Some(artist) = self.artist.as_deref() else {
            return;
        };
        let Some((head, last)) = artist.rsplit_once(' ') else {
            return;
        };
        let glued = head.rsplit(' ').next().is_some_and(run::is_phrase_glue);
        if scene::is_year(last) && !glued && !trim_name(head).is_empty() {
            let (head, year) = (trim_name(head).to_owned(), last.to_owned());
            self.scan_tags(&year);
            self.artist = Some(head);
        }
    }

    /// "… FLAC-GRP" or "…]-GRP" at the very end: a scene group on a spaced
    /// title. The word before the dash must be a tag, so "Jay-Z" stays.
    fn take_group_suffix(&mut self, title: &str) -> String {
        if let Some((head, group)) = spaced_group_suffix(title) {
            self.group = Some(group.to_owned());
            return head.to_owned();
        }
        let (head, last) = match title.rfind(' ') {
            Some(i) => (&title[..=i], &title[i + 1..]),
            None => ("", title),
        };
        if let Some(dash) = last.rfind('-') {
            let (before, suffix) = (&last[..dash], &last[dash + 1..]);
            let before_last = before.rsplit('-').next().unwrap_or(before);
            let tag_before = before.ends_with([']', ')'])
                || matches!(tagness(before_last), Tagness::Strong | Tagness::Weak);
            if tag_before
                && suffix.chars().all(|c| c.is_alphanumeric() || c == '_')
                && suffix.chars().any(char::is_alphabetic)
                && tagness(suffix) == Tagness::Name
            {
                self.group = Some(suffix.to_owned());
                return format!("{head}{}", before.replace('-', " "));
            }
        }
        title.to_owned()
    }

    fn strip_trailing_editions(&mut self, album: &str) -> Option<String> {
        let album = match split_disc_marker(album) {
            Some((head, marker)) => {
                self.scan_tags(marker);
                head
            }
            None => album,
        };
        let words = word_positions(album);
        let mut first = words.len();
        while first > 0 && name_aware_tagness(words[first - 1].1) == Tagness::Edition {
            first -= 1;
        }
        if first > 0 && first < words.len() {
            let tail = album[words[first].0..].to_owned();
            self.add_editions(&tail);
            let head = trim_name(&album[..words[first].0]);
            return Some(head.to_owned());
        }
        Some(album.to_owned()).filter(|a| !a.is_empty())
    }

    fn finish(self) -> ParsedTitle {
        let mut artist = self.artist;
        let various = artist.as_deref().is_some_and(|a| {
            matches!(
                normalize(a).as_str(),
                "va" | "v a" | "various" | "various artists" | "сборник" | "varios artistas"
            )
        });
        if various {
            artist = Some("Various Artists".into());
        }
        let t = self.tags;
        let codec = t.codec().unwrap_or(Codec::Unknown);
        ParsedTitle {
            artist,
            album: self.album,
            year: t.year,
            codec,
            // a DSD rate (megahertz) belongs to DSD only: "[DSD64] [FLAC
            // 24-88]" is a conversion whose files are PCM
            sample_rate_hz: t
                .sample_rate_hz
                .filter(|hz| codec == Codec::Dsd || *hz <= 384_000),
            // an average of a VBR encode is not a constant bitrate
            // (AAC's stated VBR figure is the encoder's target, as stores
            // sell it: "[AAC, 256 kbps VBR]" is AAC 256)
            bitrate_kbps: t
                .bitrate_kbps
                .filter(|_| !t.vbr_word || t.vbr_preset.is_some() || codec == Codec::Aac)
                // iTunes sells AAC at 256 kbit/s ("iTunes Plus")
                .or((codec == Codec::Aac && t.itunes && !t.vbr_word).then_some(256)),
            vbr_preset: t.vbr_preset,
            vorbis_quality: t.vorbis_quality,
            bit_depth: t.bit_depth,
            source: t.source,
            editions: self.editions,
            discography: false,
            discography_start: None,
            discography_end: None,
            release_group: self.group,
            revision: t.revision,
            lossless_word: t.lossless_word,
            various_artists: various,
            unparseable: false,
        }
    }
}

#[cfg(test)]
mod tests;
