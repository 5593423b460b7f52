//! Where the name of a title ends and its tags begin: [`split_run`] cuts a
//! trailing run of tag words ("Album - 1999, FLAC") off a name, keeping
//! words that only look like tags ("Magnum Opus", "Charlotte's Web",
//! "Live at 1999").

use super::super::vocab::{Tagness, clean, tagness};
use super::trim_name;

const CODEC_WORDS: &[&str] = &[
    "flac", "alac", "mp3", "aac", "m4a", "wavpack", "vorbis", "ogg", "wma", "opus", "ape", "wav",
    "wv",
];

/// Splits a trailing run of tag words off a name: "Album - 1999, FLAC" →
/// ("Album", "1999, FLAC"). A run is taken only when it has a strong tag or
/// at least two weak ones, so "Magnum Opus" keeps its Opus. With
/// `stop_at_codec` (the brackets already named a codec) codec words end the
/// run: in "Killer Mp3 [FLAC]" the Mp3 is part of the album.
pub(super) fn split_run(text: &str, stop_at_codec: bool) -> (String, Option<String>) {
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
    // A word after a function word or a possessive is in a phrase:
    // "Charlotte's Web", "Live on CD", "Live at 1999", "Summer of 1969".
    let in_phrase = |i: usize| i > 0 && is_phrase_glue(words[i - 1].1);
    while first < words.len() {
        let name_codec = matches!(lower(first).as_str(), "opus" | "ape" | "wav" | "wv");
        let number = lower(first).chars().all(|c| c.is_ascii_digit());
        let back_to_name = if strong_after(first + 1) {
            // "Album WEB 2019 FLAC": the source word is a tag, unless a
            // phrase holds it ("Charlotte's Web 2003 FLAC")
            (source_word(first) && in_phrase(first)) || name_codec
        } else {
            false
        } || (number && in_phrase(first));
        if back_to_name {
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

/// A run-on title whose tags are followed by more words ("Artist Album 2015
/// CD FLAC PERFECT", "Album 1999 FLAC (cross-seeded)"), so [`split_run`]
/// finds no trailing run. The tags start at a codec word (or a bitrate)
/// that has a strong tag next to it (a year, a source, a bitrate), taking
/// the tag words just before it along; everything from there is tag text. A codec word among
/// name words ("The FLAC Sessions") has no such neighbour and stays.
pub(super) fn split_run_on(text: &str) -> Option<(String, String)> {
    let words = word_positions(text);
    let strong = |i: usize| {
        words
            .get(i)
            .is_some_and(|(_, w)| name_aware_tagness(w) == Tagness::Strong)
    };
    let codec_at = (1..words.len()).find(|&i| {
        let w = clean(words[i].1).to_lowercase();
        let codec = CODEC_WORDS.contains(&w.as_str()) || w.ends_with("flac") || is_bitrate(&w);
        // "MP3 320 Kbps 2017": a bare bitrate may stand between the codec
        // and the strong tag
        let weak_then_strong = words
            .get(i + 1)
            .is_some_and(|(_, w)| name_aware_tagness(w) == Tagness::Weak)
            && strong(i + 2);
        codec && strong(i) && (strong(i - 1) || strong(i + 1) || weak_then_strong)
    })?;
    let mut first = codec_at;
    while first > 1 && strong(first - 1) {
        first -= 1;
    }
    let cut = words[first].0;
    let name = trim_name(&text[..cut]);
    (!name.is_empty()).then(|| (text[..cut].to_owned(), text[cut..].to_owned()))
}

/// "192kbps", "320k", "256kbit": a bitrate, an audio fact as telling as a
/// codec word ("Album 1998 2CD 192kbps RIP").
fn is_bitrate(lower: &str) -> bool {
    let digits = lower.bytes().take_while(u8::is_ascii_digit).count();
    (2..=3).contains(&digits) && matches!(&lower[digits..], "kbps" | "k" | "kbit" | "kb/s")
}

/// Function words and possessives bind the next word into a name phrase.
pub(super) fn is_phrase_glue(word: &str) -> bool {
    let w = word.to_lowercase();
    w.ends_with("'s")
        || w.ends_with("’s")
        || matches!(
            w.as_str(),
            "the"
                | "a"
                | "an"
                | "of"
                | "on"
                | "in"
                | "at"
                | "to"
                | "from"
                | "for"
                | "with"
                | "by"
                | "my"
                | "your"
                | "our"
                | "his"
                | "her"
                | "their"
                | "its"
                | "this"
                | "that"
                | "no"
                | "and"
                | "&"
                | "since"
                | "until"
                | "before"
                | "after"
        )
}

/// A word carrying a bracket belongs to an inline subtitle such as
/// "(Taylor's Version)": always part of the name.
pub(super) fn name_aware_tagness(word: &str) -> Tagness {
    if word.contains(['(', ')', '[', ']', '{', '}']) {
        Tagness::Name
    } else {
        tagness(word)
    }
}

pub(super) fn word_positions(text: &str) -> Vec<(usize, &str)> {
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
