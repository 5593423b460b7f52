//! Name-side rules of spaced titles: what a trailing piece of the album name
//! really is — a label in brackets, a disc marker, a year that belongs to
//! the name, a dotted scene tail.

use std::borrow::Cow;

use super::super::vocab::{Tagness, clean, tagness};
use super::brackets::{GroupKind, classify};
use super::scene::scene_spaces;

/// Words that make a bracket a subtitle of the recording rather than a
/// label: "[Live]", "[Acoustic]", "[Remixes]", "[Original Soundtrack]".
const RECORDING_WORDS: &[&str] = &[
    "live",
    "acoustic",
    "unplugged",
    "demo",
    "demos",
    "remix",
    "remixes",
    "instrumental",
    "instrumentals",
    "soundtrack",
    "ost",
    "score",
    "session",
    "sessions",
    "mixtape",
    "covers",
];

/// `Artist - Album [Label] (2019)`: a square bracket after the album that is
/// neither a tag nor an edition, directly followed by a tag bracket (a year,
/// a format, a catalogue number), is where Gazelle-style titles put the
/// label; it is not part of the album. Parentheses hold subtitles ("(Live
/// at Wembley) (1986)") and a bracket naming the recording ("[Live]",
/// "[Taylor's Version]") stays.
pub(super) fn is_label_bracket(open: char, body: &str, after: &str) -> bool {
    if open != '[' {
        return false;
    }
    let words: Vec<String> = body
        .split_whitespace()
        .map(|w| clean(w).to_lowercase())
        .collect();
    if words
        .iter()
        .any(|w| RECORDING_WORDS.contains(&w.as_str()) || tagness(w) == Tagness::Edition)
    {
        return false;
    }
    let after = after.trim_start();
    let close = match after.chars().next() {
        Some('(') => ')',
        Some('[') => ']',
        _ => return false,
    };
    after[1..].find(close).is_some_and(|end| {
        matches!(
            classify(&after[1..1 + end]),
            GroupKind::Tag | GroupKind::Catalogue
        )
    })
}

/// "Album CD2", "Album Disc 2", "Album - CD 1": a disc marker at the end of
/// the album describes the medium, not the album. Returns the album without
/// it and the marker (for the tag scan), or `None` when there is no marker
/// or nothing would be left of the name.
pub(super) fn split_disc_marker(album: &str) -> Option<(&str, &str)> {
    let words: Vec<(usize, &str)> = super::run::word_positions(album);
    // the length of the number after the word: "cd2" → Some(1), "disc" → Some(0)
    let marker = |w: &str| {
        let w = clean(w).to_lowercase();
        ["cd", "disc", "disk"].iter().find_map(|p| {
            w.strip_prefix(p)
                .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
                .map(str::len)
        })
    };
    let number = |w: &str| {
        let w = clean(w);
        (1..=2).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit())
    };
    let start = match words.as_slice() {
        // "CD 2", "Disc 2"
        [.., (i, w), (_, n)] if marker(w) == Some(0) && number(n) => *i,
        // "CD2", "Disc1"
        [.., (i, w)] if marker(w).is_some_and(|n| (1..=2).contains(&n)) => *i,
        _ => return None,
    };
    let head = album[..start]
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | ',' | ':'));
    (!head.is_empty()).then(|| (head, &album[start..]))
}

/// `Live In Tokyo 2019 (2020)`: a year right after a name word, when a
/// bracket gives the release year, is part of the name.
pub(super) fn year_in_name(run: &str, tags: &[String]) -> bool {
    let bare_year = |s: &str| {
        let s = s.trim();
        s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) && tagness(s) == Tagness::Strong
    };
    bare_year(run) && tags.iter().any(|t| bare_year(t))
}

/// `Artist - Album.2019.FLAC-GRP`: a last word of dotted (or underscored)
/// scene words ending in a tag is spread out like the rest of the title.
pub(super) fn undot_tail(title: &str) -> String {
    let (head, last) = match title.rfind(' ') {
        Some(i) => title.split_at(i + 1),
        None => return title.to_owned(),
    };
    let body = last.rsplit_once('-').map_or(last, |(b, _)| b);
    let tail = body.rsplit(['.', '_']).next().unwrap_or(body);
    let bracketed = last.contains(['(', ')', '[', ']', '{', '}']);
    if bracketed || tail.len() == body.len() || tagness(tail) != Tagness::Strong {
        return title.to_owned();
    }
    format!("{head}{}", scene_spaces(last))
}

/// `Artist - Album-192kbps`: a bitrate glued to the last name word with a
/// dash is a tag of its own, spread out as `Album 192kbps`. Only a number
/// followed by `kbps`, which no name ends in, so "Blink-182" stays. Copies
/// the title only when there is something to spread.
pub(super) fn unglue_bitrate(title: &str) -> Cow<'_, str> {
    let bytes = title.as_bytes();
    let mut dashes = Vec::new();
    for i in 0..bytes.len().saturating_sub(3) {
        if !bytes[i..i + 4].eq_ignore_ascii_case(b"kbps") {
            continue;
        }
        let digits = bytes[..i]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let dash = i.wrapping_sub(digits + 1);
        if (2..=3).contains(&digits)
            && dash > 0
            && dash < i
            && bytes[dash] == b'-'
            && bytes[dash - 1].is_ascii_alphanumeric()
        {
            dashes.push(dash);
        }
    }
    if dashes.is_empty() {
        return Cow::Borrowed(title);
    }
    let mut out = title.to_owned().into_bytes();
    for d in dashes {
        out[d] = b' ';
    }
    // only an ASCII dash was replaced by an ASCII space
    String::from_utf8(out).map_or(Cow::Borrowed(title), Cow::Owned)
}
