//! Titles that are not release titles at all: Usenet indexers return
//! obfuscated posts (a hex hash, a random base62 string, a raw `yEnc`
//! subject) and video files. Reading artist and album out of them would only
//! produce false matches, so [`is_unparseable`] sets them apart and the
//! selector rejects them with that reason. A sentence ("Please seed after
//! you download this one") is set apart too: it has no artist/album signal.

use super::super::vocab::{Tagness, tagness};

/// The title is a hash, a random string, a `yEnc` subject or a video file.
pub(super) fn is_unparseable(title: &str) -> bool {
    let t = title.trim();
    is_hex_hash(t)
        || is_random_token(t)
        || is_split_random_token(t)
        || is_yenc_subject(t)
        || is_video_file(t)
        || is_sentence(t)
}

/// A random string broken by one space, as some posts arrive
/// ("Vrq6e1Aba3U amCjuEgV5R2QvdsLEGYF3YQAQkw8"): two words that, joined,
/// are a random token of 24 or more characters.
fn is_split_random_token(t: &str) -> bool {
    let mut words = t.split(' ');
    match (words.next(), words.next(), words.next()) {
        (Some(a), Some(b), None) if a.len() + b.len() >= 24 => is_random_token(&format!("{a}{b}")),
        _ => false,
    }
}

/// Prose, not a title: six or more words with no separator, bracket,
/// number or tag word, a capital first word, mostly lower-case words after
/// it, and a word of talk ("you", "is", "please") or an end mark. Names are written in title case ("Neutral Milk Hotel In the
/// Aeroplane Over the Sea" has two lower-case words in eight) or all in
/// lower case as a style ("of montreal hissing fauna are you the
/// destroyer"); neither is a sentence here.
fn is_sentence(t: &str) -> bool {
    if t.contains(['(', '[', '{', '_']) || [" - ", " – ", " — "].iter().any(|d| t.contains(d)) {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return false;
    };
    if words.len() < 6 || !first.starts_with(|c: char| c.is_uppercase()) {
        return false;
    }
    let lower = rest
        .iter()
        .filter(|w| w.starts_with(|c: char| c.is_lowercase()))
        .count();
    if lower * 5 < rest.len() * 4 {
        return false;
    }
    // and it reads as prose: a pronoun or a verb of talk, or an end mark
    let prose = t.ends_with(['.', '!', '?'])
        || words.iter().any(|w| {
            matches!(
                w.to_lowercase()
                    .trim_matches(|c: char| !c.is_alphanumeric()),
                "i" | "you"
                    | "we"
                    | "is"
                    | "are"
                    | "was"
                    | "were"
                    | "please"
                    | "here"
                    | "have"
                    | "has"
                    | "will"
                    | "can"
                    | "thanks"
                    | "download"
            )
        });
    // Last, the dearest test (each word through the tag patterns): every
    // word reads as a name, none as a tag.
    prose
        && words.iter().all(|w| {
            !w.contains(|c: char| c.is_ascii_digit())
                && !w.contains('-')
                && matches!(tagness(w), Tagness::Name | Tagness::Separator)
        })
}

/// 32 (MD5) or 40 (SHA-1, info hash) hex digits, nothing else.
fn is_hex_hash(t: &str) -> bool {
    matches!(t.len(), 32 | 40) && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One token of 16 or more ASCII letters and digits, mixing upper case,
/// lower case and digits and switching between them often
/// ("aZ3kQ9vL0pXw2mN7rT"): obfuscated names. A run-together name
/// ("TheDarkSideOfTheMoon") switches case only at word starts.
fn is_random_token(t: &str) -> bool {
    if t.len() < 16 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let class = |b: u8| match b {
        b'a'..=b'z' => 0u8,
        b'A'..=b'Z' => 1,
        _ => 2,
    };
    let bytes = t.as_bytes();
    let mut seen = [false; 3];
    let mut switches = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        seen[usize::from(class(b))] = true;
        if i > 0 && class(b) != class(bytes[i - 1]) {
            switches += 1;
        }
    }
    seen.iter().all(|s| *s) && switches * 3 >= t.len()
}

/// A raw Usenet subject: `"file.rar" yEnc (1/20)`.
fn is_yenc_subject(t: &str) -> bool {
    t.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("yenc"))
}

/// A video file name: a concert film or a mislabelled upload, not an album.
fn is_video_file(t: &str) -> bool {
    let ext = t.rsplit_once('.').map_or("", |(_, e)| e);
    ["mkv", "mp4", "avi", "m2ts", "wmv", "mov"]
        .iter()
        .any(|v| ext.eq_ignore_ascii_case(v))
}

#[cfg(test)]
mod tests {
    use super::is_unparseable;

    #[test]
    fn hashes_random_strings_usenet_and_videos() {
        for t in [
            "d41d8cd98f00b204e9800998ecf8427e",
            "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
            "aZ3kQ9vL0pXw2mN7rT5b",
            "\"Album.part01.rar\" yEnc (1/20)",
            "Artist - Live at Wembley 1986.mkv",
            "concert.MP4",
            "Please seed after you download this one",
            "Vrq6e1Aba3U amCjuEgV5R2QvdsLEGYF3YQAQkw8",
            "This is the best album I have ever heard!",
        ] {
            assert!(is_unparseable(t), "{t}");
        }
    }

    #[test]
    fn real_titles_are_not_junk() {
        for t in [
            "Artist - Album (2019) [FLAC]",
            "Artist-Album-WEB-FLAC-2019-GRP",
            "TheDarkSideOfTheMoon",
            "Blink-182 - Enema of the State",
            "ABBA - Gold (1992) [MP3 320]",
            "Deadbeef - Cafebabe (2019)",
            "Artist - Album (2019) [FLAC 24-96] MP4",
            "Artist - Yenceslas (2019)",
            "Artist - Album.2019.FLAC-GRP",
            // near-misses of a sentence: title case, lower case as a style,
            // a separator, tags, too short
            "Neutral Milk Hotel In the Aeroplane Over the Sea",
            "PinkFloyd TheDarkSideOfTheMoon",
            "of montreal hissing fauna are you the destroyer",
            "Belle and Sebastian - if you are feeling sinister",
            "Fiona Apple when the pawn hits the conflicts flac",
            "Fiona Apple when the pawn hits 1999",
            "Bright eyes lifted or the story",
        ] {
            assert!(!is_unparseable(t), "{t}");
        }
    }
}
