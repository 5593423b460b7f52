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

use super::audio::{AudioTags, Codec, Revision, Source, VbrPreset};
use super::text::{is_edition_word, normalize};
use super::vocab::{Tagness, clean, is_scene_language, is_scene_marker, tagness};

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
    /// The scene group (`…-GROUP`).
    pub release_group: Option<String>,
    pub revision: Option<Revision>,
    /// The title says "lossless" (ruTracker does), with or without a codec.
    pub lossless_word: bool,
    /// The artist is "VA" / "Various Artists"; `artist` is then
    /// "Various Artists".
    pub various_artists: bool,
}

static DISCOGRAPHY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:discography|discografia|discografía|discographie|diskografie|дискография|anthology|collection|complete works|complete (?:studio )?albums|studio albums|\d+\s*albums)\b",
    )
    .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

const CODEC_WORDS: &[&str] = &[
    "flac", "alac", "mp3", "aac", "m4a", "wavpack", "vorbis", "ogg", "wma", "opus", "ape", "wav",
    "wv",
];

/// Parses one title; never fails (a title with nothing recognisable parses to
/// a mostly empty [`ParsedTitle`]).
pub fn parse_title(title: &str) -> ParsedTitle {
    let prepared: String = title
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

    let mut builder = Builder::default();
    if is_scene_shaped(&prepared) {
        builder.scene(&prepared);
    } else {
        builder.spaced(&prepared);
    }
    let mut parsed = builder.finish();
    parsed.discography = DISCOGRAPHY.is_match(&title.to_lowercase());
    parsed
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

enum GroupKind {
    Tag,
    Edition,
    Other,
}

fn classify(body: &str) -> GroupKind {
    let mut probe = AudioTags::default();
    probe.scan(body);
    if probe.any {
        return GroupKind::Tag;
    }
    let words: Vec<&str> = body
        .split(|c: char| c.is_whitespace() || c == ',' || c == '/')
        .filter(|w| !clean(w).is_empty())
        .collect();
    if !words.is_empty() && words.iter().all(|w| tagness(w) == Tagness::Edition) {
        GroupKind::Edition
    } else {
        GroupKind::Other
    }
}

/// What the bracket pass leaves: the name text (bare text up to the first tag
/// bracket, with subtitle brackets such as "(Live at Wembley)" kept inline),
/// and the tag texts in title order.
struct Pieces {
    name: String,
    tags: Vec<String>,
}

fn split_brackets(text: &str) -> Pieces {
    let mut pieces = Pieces {
        name: String::new(),
        tags: Vec::new(),
    };
    let mut started = false; // some name text seen
    let mut broken = false; // a tag bracket ended the name
    let mut post = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some(open) = rest.find(['(', '[', '{']) else {
            break;
        };
        let before = &rest[..open];
        push_text(&mut pieces, &mut post, before, &mut started, broken);
        let after = &rest[open + 1..];
        // the matching close, allowing nesting of any bracket kind
        let mut depth = 1usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &after[..end];
        let close_len = if end < after.len() { 1 } else { 0 };
        match classify(body) {
            GroupKind::Tag | GroupKind::Edition => {
                pieces.tags.push(body.to_owned());
                if started {
                    broken = true;
                }
            }
            GroupKind::Other if started && !broken => {
                pieces
                    .name
                    .push_str(&rest[open..open + 1 + end + close_len]);
            }
            // a leading genre ("(Rock)") or trailing label: not a name
            GroupKind::Other => {}
        }
        rest = &after[(end + close_len).min(after.len())..];
    }
    push_text(&mut pieces, &mut post, rest, &mut started, broken);
    if !post.trim().is_empty() {
        pieces.tags.push(post);
    }
    pieces
}

fn push_text(pieces: &mut Pieces, post: &mut String, text: &str, started: &mut bool, broken: bool) {
    if broken {
        post.push_str(text);
        post.push(' ');
    } else {
        pieces.name.push_str(text);
        if !text.trim().is_empty() {
            *started = true;
        }
    }
}

fn trim_name(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | ',' | ':' | '/' | '|')
    })
}

/// Splits a trailing run of tag words off a name: "Album - 1999, FLAC" →
/// ("Album", "1999, FLAC"). A run is taken only when it has a strong tag or
/// at least two weak ones, so "Magnum Opus" keeps its Opus. With
/// `stop_at_codec` (the brackets already named a codec) codec words end the
/// run: in "Killer Mp3 [FLAC]" the Mp3 is part of the album.
fn split_run(text: &str, stop_at_codec: bool) -> (String, Option<String>) {
    let words: Vec<(usize, &str)> = word_positions(text);
    let kinds: Vec<Tagness> = words.iter().map(|(_, w)| name_aware_tagness(w)).collect();
    let is_codec = |i: usize| CODEC_WORDS.contains(&clean(words[i].1).to_lowercase().as_str());
    let mut first = words.len();
    while first > 0 {
        match kinds[first - 1] {
            Tagness::Name => break,
            Tagness::Strong | Tagness::Weak if stop_at_codec && is_codec(first - 1) => break,
            _ => first -= 1,
        }
    }
    // A dash inside the run is where the tags really start ("Magnum Opus -
    // 2018, FLAC"): words before it go back to the name.
    if let Some(dash) = (first..words.len()).find(|&i| matches!(words[i].1, "-" | "–" | "—")) {
        first = dash;
    }
    let strong_after = |from: usize| (from..words.len()).any(|i| kinds[i] == Tagness::Strong);
    // Leading source words and name-like codec words go back to the name when
    // stronger tags follow: "Charlotte's Web 2003 FLAC", "Magnum Opus 2018".
    let lower = |i: usize| clean(words[i].1).to_lowercase();
    let source_word = |i: usize| {
        matches!(
            lower(i).as_str(),
            "web" | "cd" | "vinyl" | "cassette" | "lp" | "tape"
        )
    };
    while first < words.len() && strong_after(first + 1) {
        let name_codec = matches!(lower(first).as_str(), "opus" | "ape" | "wav" | "wv");
        if source_word(first) || name_codec {
            first += 1;
        } else {
            break;
        }
    }
    // Source words alone do not make a run: "Charlotte's Web", "Live on CD".
    let strong = (first..words.len())
        .filter(|&i| kinds[i] == Tagness::Strong && !source_word(i))
        .count();
    let weak = (first..words.len())
        .filter(|&i| kinds[i] == Tagness::Weak)
        .count();
    if first == words.len() || (strong == 0 && weak < 2) {
        return (text.to_owned(), None);
    }
    let mut cut = words[first].0;
    if trim_name(&text[..cut]).is_empty() {
        // the whole album looks like tags ("Prince - 1999"): its first word
        // is the album after all
        let Some(next) = words.get(first + 1) else {
            return (text.to_owned(), None);
        };
        cut = next.0;
    }
    (text[..cut].to_owned(), Some(text[cut..].to_owned()))
}

/// A word carrying a bracket belongs to an inline subtitle such as
/// "(Taylor's Version)": always part of the name.
fn name_aware_tagness(word: &str) -> Tagness {
    if word.contains(['(', ')', '[', ']', '{', '}']) {
        Tagness::Name
    } else {
        tagness(word)
    }
}

fn word_positions(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
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

    fn spaced(&mut self, title: &str) {
        let title = self.take_group_suffix(title);
        let pieces = split_brackets(&title);
        let mut bracket_tags = AudioTags::default();
        for t in &pieces.tags {
            bracket_tags.scan(t);
        }
        let (artist, album_part) = split_artist(&pieces.name);
        let (album, run) = split_run(album_part, bracket_tags.codec.is_some());
        self.artist = artist
            .map(trim_name)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        for t in &pieces.tags {
            self.scan_tags(t);
        }
        if let Some(run) = &run {
            self.scan_tags(run);
        }
        self.album = self.strip_trailing_editions(trim_name(&album));
    }

    /// "… FLAC-GRP" or "…]-GRP" at the very end: a scene group on a spaced
    /// title. The word before the dash must be a tag, so "Jay-Z" stays.
    fn take_group_suffix(&mut self, title: &str) -> String {
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

    fn scene(&mut self, title: &str) {
        let spaced = scene_spaces(title);
        if [" - ", " – "].iter().any(|s| spaced.contains(s)) {
            return self.spaced(&spaced);
        }
        let mut segs: Vec<String> = spaced
            .split('-')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let group_like = |s: &str| {
            !s.contains(' ')
                && s.chars().any(char::is_alphabetic)
                && s.chars().all(|c| c.is_alphanumeric())
                && !segment_is_tag(s)
        };
        let ends_with_tag = |s: &str| {
            s.rsplit(' ')
                .next()
                .is_some_and(|w| matches!(tagness(w), Tagness::Strong))
        };
        let take_group = match segs.as_slice() {
            [.., last] if segs.len() >= 3 => group_like(last),
            [first, last] => group_like(last) && ends_with_tag(first),
            _ => false,
        };
        if take_group {
            self.group = segs.pop();
        }
        if segs.len() == 1 {
            // fully dotted: "Artist.Name.Album.2019.FLAC" — no way to tell
            // artist from album, so it is all album (the matcher knows)
            let (name, run) = split_run(&segs[0], false);
            if let Some(run) = run {
                self.scan_tags(&run);
            }
            self.album = self.strip_trailing_editions(trim_name(&name));
            return;
        }
        let mut iter = segs.into_iter();
        self.artist = iter.next().filter(|a| !a.is_empty());
        let rest: Vec<String> = iter.collect();
        let album_len = rest.iter().take_while(|s| !segment_is_tag(s)).count();
        let (album_segs, mut tag_segs) = rest.split_at(album_len);
        let mut album_segs = album_segs.to_vec();
        if album_segs.is_empty() && tag_segs.len() > 1 {
            album_segs.push(tag_segs[0].clone());
            tag_segs = &tag_segs[1..];
        }
        let tag_text = tag_segs.join(" ");
        self.scan_tags(&tag_text);
        let pieces = split_brackets(&album_segs.join(" - "));
        for t in &pieces.tags {
            self.scan_tags(t);
        }
        self.album = self.strip_trailing_editions(trim_name(&pieces.name));
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
        ParsedTitle {
            artist,
            album: self.album,
            year: t.year,
            codec: t.codec.unwrap_or(Codec::Unknown),
            // an average of a VBR encode is not a constant bitrate
            bitrate_kbps: t
                .bitrate_kbps
                .filter(|_| !t.vbr_word || t.vbr_preset.is_some()),
            vbr_preset: t.vbr_preset,
            vorbis_quality: t.vorbis_quality,
            bit_depth: t.bit_depth,
            sample_rate_hz: t.sample_rate_hz,
            source: t.source,
            editions: self.editions,
            discography: false,
            release_group: self.group,
            revision: t.revision,
            lossless_word: t.lossless_word,
            various_artists: various,
        }
    }
}

/// Scene names use `_` and `.` for spaces; a dot between two digits is a
/// decimal point ("44.1") and stays.
fn scene_spaces(title: &str) -> String {
    let chars: Vec<char> = title.chars().collect();
    let mut out = String::with_capacity(title.len());
    for (i, &c) in chars.iter().enumerate() {
        let decimal = c == '.'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c == '_' || (c == '.' && !decimal) {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A scene segment that is not part of the name: bracketed (catalogue
/// numbers, editions), a language code, a scene marker, or all tag words.
fn segment_is_tag(seg: &str) -> bool {
    if seg.starts_with('(') && seg.ends_with(')') || seg.starts_with('[') && seg.ends_with(']') {
        return true;
    }
    if is_scene_language(seg) || is_scene_marker(&seg.to_lowercase()) {
        return true;
    }
    let words: Vec<&str> = seg.split(' ').collect();
    words.iter().all(|w| tagness(w) != Tagness::Name)
        && words.iter().any(|w| tagness(w) != Tagness::Separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_title() {
        let p = parse_title("Artist_Name-Album_Name-(CAT123)-WEB-FLAC-2019-GRP");
        assert_eq!(p.artist.as_deref(), Some("Artist Name"));
        assert_eq!(p.album.as_deref(), Some("Album Name"));
        assert_eq!(p.codec, Codec::Flac);
        assert_eq!(p.source, Some(Source::Web));
        assert_eq!(p.year, Some(2019));
        assert_eq!(p.release_group.as_deref(), Some("GRP"));
    }

    #[test]
    fn gazelle_title() {
        let p = parse_title("Artist - Album (2019) [FLAC 24-96]");
        assert_eq!(p.artist.as_deref(), Some("Artist"));
        assert_eq!(p.album.as_deref(), Some("Album"));
        assert_eq!((p.bit_depth, p.sample_rate_hz), (Some(24), Some(96_000)));
        assert_eq!(p.release_group, None);
    }

    #[test]
    fn rutracker_title() {
        let p = parse_title("(Rock) [CD] Artist - Album - 1999, FLAC (tracks+.cue), lossless");
        assert_eq!(p.artist.as_deref(), Some("Artist"));
        assert_eq!(p.album.as_deref(), Some("Album"));
        assert_eq!(p.year, Some(1999));
        assert_eq!(p.codec, Codec::Flac);
        assert_eq!(p.source, Some(Source::Cd));
        assert!(p.lossless_word);
    }

    #[test]
    fn names_that_look_like_tags_stay_names() {
        let p = parse_title("Brain Ape - Magnum Opus (2019) [FLAC]");
        assert_eq!(p.artist.as_deref(), Some("Brain Ape"));
        assert_eq!(p.album.as_deref(), Some("Magnum Opus"));
        assert_eq!(p.codec, Codec::Flac);
        let p = parse_title("Prince - 1999 (1982) [MP3 320]");
        assert_eq!(p.album.as_deref(), Some("1999"));
        assert_eq!(p.year, Some(1982));
        assert_eq!(p.bitrate_kbps, Some(320));
        let p = parse_title("Roberta Flack - First Take (1969) [MP3 V0]");
        assert_eq!(p.codec, Codec::Mp3);
    }
}
