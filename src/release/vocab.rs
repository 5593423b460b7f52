//! Judging single words: is this word a tag ("FLAC", "2019", "320kbps",
//! "WEB") or part of a name? The parser uses it to find where the name of a
//! title ends and its tags begin, and which scene segments are tags.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{is_edition_word, is_ordinal};

/// How sure we are that a word is a tag rather than part of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tagness {
    /// Part of a name.
    Name,
    /// Only a tag in company ("Opus", "APE", "WAV", "LP", a bare number):
    /// these are also ordinary words or album titles ("Magnum Opus").
    Weak,
    /// A tag on its own ("FLAC", "2019", "WEB", "V0", "24bit").
    Strong,
    /// An edition word ("Deluxe", "Remastered").
    Edition,
    /// Punctuation between tags ("-", ",", "/", "+").
    Separator,
}

static STRONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:web|cd)?flac(?:16|24)?(?:bits?)?|alac|mp3|aac|m4a|wavpack|vorbis|ogg|ogg-vorbis|wma|lossless|lossy|kbps|kbit|kb/s|vbr|cbr|v[0-9]|web|web-?dl|webrip|vinyl|vinylrip|\d+x?lp|sacd|sacd-iso|dsd\d*|dsf|dff|eac|cd-?rip|cassette|cd|cdda|\d+x?cd|dvd|dvda|dvd-a|blu-?ray|proper\d?|repack\d?|re-?rip\d?|hi-?res|\d{2,3}k(?:bps|bit)?|(?:16|24|32)-?bits?|(?:16|24|32)(?:b|-?bits?)?[-/](?:44(?:\.1)?|48|88(?:\.2)?|96|176(?:\.4)?|192|352(?:\.8)?|384)(?:k?hz|k)?|\d+(?:\.\d)?k?hz|(?:19|20)\d\d|(?:19|20)\d\d[-–](?:19|20)\d\d|mp3[-@]?\d+(?:kbps|k)?|@\d{2,3}(?:kbps|k)?|q\d+|tr24|(?:480|576|720|1080|2160)[pi]|x26[45]|h\.?26[45]|hevc|remux|bdrip)$",
    )
    .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

static WEAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:opus|ape|wav|wv|lp|tape|iso|tracks|image|cue|log|bit|khz|\d{1,3}(?:\.\d)?)$")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Strips the punctuation that clings to words ("1999," "(V0)").
pub(crate) fn clean(word: &str) -> &str {
    word.trim_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\''
        )
    })
}

pub(crate) fn tagness(word: &str) -> Tagness {
    let w = clean(word).to_lowercase();
    if w.is_empty() || matches!(w.as_str(), "-" | "–" | "—" | "/" | "+" | "|" | "~") {
        return Tagness::Separator;
    }
    if STRONG.is_match(&w) {
        Tagness::Strong
    } else if WEAK.is_match(&w) {
        Tagness::Weak
    } else if is_edition_word(&w) || is_ordinal(&w) {
        Tagness::Edition
    } else {
        Tagness::Name
    }
}

/// Two-letter language codes scene groups put between the album and the
/// source ("-DE-", "-JP-"); only recognised in upper case.
pub(crate) fn is_scene_language(segment: &str) -> bool {
    matches!(
        segment,
        "EN" | "DE"
            | "FR"
            | "ES"
            | "IT"
            | "JP"
            | "NL"
            | "SE"
            | "RU"
            | "PL"
            | "PT"
            | "FI"
            | "NO"
            | "DK"
            | "KR"
            | "CN"
            | "BR"
    )
}

/// Scene words that are not audio facts but are never part of a name.
pub(crate) fn is_scene_marker(lower: &str) -> bool {
    matches!(
        lower,
        "read nfo"
            | "dirfix"
            | "nfofix"
            | "int"
            | "bootleg"
            | "promo"
            | "retail"
            | "web flac"
            | "cdr"
            | "cdm"
            | "cds"
            | "vls"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_words() {
        assert_eq!(tagness("FLAC"), Tagness::Strong);
        assert_eq!(tagness("1999,"), Tagness::Strong);
        assert_eq!(tagness("(V0)"), Tagness::Strong);
        assert_eq!(tagness("24-96"), Tagness::Strong);
        assert_eq!(tagness("Opus"), Tagness::Weak);
        assert_eq!(tagness("Deluxe"), Tagness::Edition);
        assert_eq!(tagness("Flack"), Tagness::Name);
        assert_eq!(tagness("-"), Tagness::Separator);
        assert_eq!(tagness("24B-96K"), Tagness::Strong);
        assert_eq!(tagness("24-bit/96kHz"), Tagness::Strong);
        assert_eq!(tagness("FLAC24bit"), Tagness::Strong);
        assert_eq!(tagness("TR24"), Tagness::Strong);
        assert_eq!(tagness("@256"), Tagness::Strong);
        assert_eq!(tagness("WEBFLAC"), Tagness::Strong);
        assert_eq!(tagness("CDFLAC"), Tagness::Strong);
        assert_eq!(tagness("NBFLAC"), Tagness::Name);
        assert_eq!(tagness("MP3-192kbps"), Tagness::Strong);
        assert_eq!(tagness("182"), Tagness::Weak);
        assert_eq!(tagness("DSD64"), Tagness::Strong);
        assert_eq!(tagness("2LP"), Tagness::Strong);
        assert_eq!(tagness("1080p"), Tagness::Strong);
        assert_eq!(tagness("x264"), Tagness::Strong);
        assert_eq!(tagness("Ogg-Vorbis"), Tagness::Strong);
    }
}
