//! Brackets: which groups of a title are tags (audio facts, editions,
//! catalogue numbers, release types, pack counts, genre lists) and which
//! are part of the name ("(Live at Wembley)", "(Taylor's Version)"). Each
//! tag bracket is read once here, and that reading travels with it.

use super::super::audio::AudioTags;
use super::super::vocab::{Tagness, clean, tagness};
use super::names::is_label_bracket;
use super::{split_artist, trim_name};

pub(super) enum GroupKind {
    Tag,
    Edition,
    /// A catalogue number ("CAT001", "XLCD121", "B0027213-02"): ends the
    /// name like a tag but says nothing about the audio.
    Catalogue,
    Other,
}

/// One token of letters and digits with at least three digits: the shape of
/// catalogue numbers, not of subtitles ("Live", "Taylor's Version").
fn is_catalogue(body: &str) -> bool {
    let body = body.trim();
    !body.is_empty()
        && !body.contains(' ')
        && body
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && body.chars().any(char::is_alphabetic)
        && body.chars().filter(char::is_ascii_digit).count() >= 3
}

/// "(Album)", "(Full Album)", "(Mixtape)": the kind of release, written
/// after the name as a word of its own. Not part of the name, not an
/// edition ("The White Album" keeps its word: only a bracket is read).
fn is_release_type(body: &str) -> bool {
    matches!(
        body.trim().to_lowercase().as_str(),
        "album" | "full album" | "studio album" | "mixtape" | "album version"
    )
}

/// "(10 albums)", "(37 releases)", "(6 CDs)": how many items a pack holds,
/// a description of it rather than part of its name.
fn is_pack_count(body: &str) -> bool {
    let mut words = body.split_whitespace();
    let count = words
        .next()
        .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()));
    let unit = words.next().is_some_and(|w| {
        matches!(
            w.to_lowercase().as_str(),
            "albums" | "releases" | "cds" | "cd" | "discs" | "lps" | "eps"
        )
    });
    count && unit && words.next().is_none()
}

/// "(Pop-Punk | Alternative Rock)": a list of genres joined by `|`, as
/// trackers add after a title. A subtitle has no `|`.
fn is_genre_list(body: &str) -> bool {
    body.contains(" | ")
}

pub(super) fn classify(body: &str) -> GroupKind {
    classify_reading(body).0
}

/// [`classify`], with what the bracket says about the audio (read once:
/// the caller merges it instead of reading the bracket again).
fn classify_reading(body: &str) -> (GroupKind, AudioTags) {
    let mut probe = AudioTags::default();
    probe.scan(body);
    if probe.any {
        return (GroupKind::Tag, probe);
    }
    (classify_other(body), probe)
}

/// What a bracket without audio facts is.
fn classify_other(body: &str) -> GroupKind {
    if is_catalogue(body) || is_release_type(body) || is_pack_count(body) || is_genre_list(body) {
        return GroupKind::Catalogue;
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
pub(super) struct Pieces {
    pub(super) name: String,
    pub(super) tags: Vec<String>,
    /// Beside each tag text, what it says about the audio when already
    /// read (bracket groups are read to classify them).
    pub(super) reads: Vec<Option<AudioTags>>,
}

pub(super) fn split_brackets(text: &str) -> Pieces {
    let mut pieces = Pieces {
        name: String::new(),
        tags: Vec::new(),
        reads: Vec::new(),
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
        let (kind, read) = classify_reading(body);
        match kind {
            GroupKind::Tag | GroupKind::Edition => {
                pieces.tags.push(body.to_owned());
                pieces.reads.push(Some(read));
                // "Artist - [2019] Album": a tag right after the artist's
                // dash does not end the name; the album follows
                if started && !awaits_album(&pieces.name) {
                    broken = true;
                }
            }
            GroupKind::Catalogue => {
                if started && !awaits_album(&pieces.name) {
                    broken = true;
                }
            }
            GroupKind::Other
                if started
                    && !broken
                    && !is_label_bracket(
                        rest[open..].chars().next().unwrap_or('('),
                        body,
                        &after[(end + close_len).min(after.len())..],
                    ) =>
            {
                pieces
                    .name
                    .push_str(&rest[open..open + 1 + end + close_len]);
            }
            // a leading genre ("(Rock)") or a label: not a name
            GroupKind::Other => {}
        }
        rest = &after[(end + close_len).min(after.len())..];
    }
    push_text(&mut pieces, &mut post, rest, &mut started, broken);
    if !post.trim().is_empty() {
        pieces.tags.push(post);
        pieces.reads.push(None);
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

/// The name so far is an artist and its dash, no album yet ("Artist - ").
fn awaits_album(name: &str) -> bool {
    let (artist, rest) = split_artist(name);
    artist.is_some() && trim_name(rest).is_empty()
}
