//! What indexers and Usenet posters append after a scene release's group:
//! `-Pre`, `-postbot`, `-xpost`, `-RP`, `-Obfuscated`, `-Scrambled`,
//! `-NZBgeek`, `-AsRequested`, a repost number (`-1`), a site tag
//! (`[rarbg]`, `[eztv]`), a language word. None is the group, and each hides
//! the scene shape, so they are taken off before the title is read.

/// Separators that arrived mangled or in another scene spelling, mended to
/// the ones the reader knows:
/// - `Artist_-_Album-WEB-2016-320`: `_-_` is a spaced dash written with
///   underscores; read as the field dash of the scene shape it belongs to;
/// - `Artist ? Album (2007)`: a Unicode dash that lost its encoding on the
///   way, when the title has no other spaced dash.
pub(super) fn mended_separators(title: String) -> String {
    if !title.contains(' ') && title.contains("_-_") {
        return title.replace("_-_", "-");
    }
    let spaced_dash = [" - ", " – ", " — "].iter().any(|d| title.contains(d));
    if !spaced_dash && let Some(at) = title.find(" ? ") {
        let mut mended = title;
        mended.replace_range(at..at + 3, " - ");
        return mended;
    }
    title
}

/// Suffix words added after the group (compared without case).
const POSTER_WORDS: &[&str] = &[
    "pre",
    "postbot",
    "xpost",
    "rp",
    "obfuscated",
    "scrambled",
    "nzbgeek",
    "asrequested",
    "buymore",
    "repost",
];

/// Site tags in brackets at the very end.
const SITE_TAGS: &[&str] = &["rarbg", "eztv", "eztvx", "ettv", "tgx", "rartv"];

/// Language words some indexers add after the group.
const LANGUAGES: &[&str] = &[
    "english", "german", "french", "spanish", "italian", "dutch", "japanese", "russian", "polish",
    "multi",
];

/// The title without the suffixes above. A suffix is taken only when a
/// dash-joined group stays before it (`…-GRP-Pre` → `…-GRP`): "Blink-182"
/// and "Artist - 1" keep theirs.
pub(super) fn strip_indexer_suffixes(title: &str) -> &str {
    let mut rest = title.trim_end();
    loop {
        let before = rest;
        rest = strip_site_tag(rest);
        if let Some((head, last)) = rest.rsplit_once(['-', ' ']) {
            let poster = POSTER_WORDS.iter().any(|w| last.eq_ignore_ascii_case(w));
            let repost = (1..=2).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_digit());
            let language = LANGUAGES.iter().any(|w| last.eq_ignore_ascii_case(w));
            let dashed = rest[head.len()..].starts_with('-');
            // a repost number or a poster word only after a dash; a language
            // after a dash or a space
            if ((poster || repost) && dashed || language) && ends_with_group(head) {
                rest = head.trim_end();
            }
        }
        if rest == before {
            return rest;
        }
    }
}

/// `… [rarbg]` at the end, known site tags only.
fn strip_site_tag(title: &str) -> &str {
    let Some(open) = title.strip_suffix(']').and_then(|t| t.rfind('[')) else {
        return title;
    };
    let tag = &title[open + 1..title.len() - 1];
    if SITE_TAGS.iter().any(|s| tag.eq_ignore_ascii_case(s)) && ends_with_group(&title[..open]) {
        title[..open].trim_end()
    } else {
        title
    }
}

/// Whether `head` ends with `-GROUP` (letters and digits after a dash, with
/// something before the dash).
fn ends_with_group(head: &str) -> bool {
    let head = head.trim_end();
    head.rsplit_once('-').is_some_and(|(before, group)| {
        !before.trim().is_empty()
            && !group.is_empty()
            && group.len() <= 24
            && group.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::strip_indexer_suffixes as strip;

    #[test]
    fn poster_and_site_suffixes_come_off_after_a_group() {
        for (title, stripped) in [
            (
                "Artist-Album-WEB-FLAC-2019-GRP-Pre",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-postbot",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-xpost",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-Obfuscated",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-Scrambled",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-NZBgeek",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-1",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP [rarbg]",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP[eztv]",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP German",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist-Album-WEB-FLAC-2019-GRP-RP-xpost",
                "Artist-Album-WEB-FLAC-2019-GRP",
            ),
            (
                "Artist - Album (2019) [FLAC] -GRP-RP",
                "Artist - Album (2019) [FLAC] -GRP",
            ),
        ] {
            assert_eq!(strip(title), stripped, "{title}");
        }
    }

    #[test]
    fn mangled_separators_are_mended() {
        use super::mended_separators as mend;
        for (title, mended) in [
            ("Artist_-_Album-WEB-2016-320", "Artist-Album-WEB-2016-320"),
            (
                "Some_Artist_-_Some_Album-WEB-2016-320",
                "Some_Artist-Some_Album-WEB-2016-320",
            ),
            ("Artist ? Album (2007) FLAC", "Artist - Album (2007) FLAC"),
        ] {
            assert_eq!(mend(title.to_owned()), mended, "{title}");
        }
        // Near-misses: a question mark in a name, a spaced `_-_`.
        for title in [
            "Who? - Album (2007) FLAC",
            "Artist - Why ? (2007) FLAC",
            "Artist_-_Album - WEB",
            "Artist - Album_-_Live (2007)",
            "Question?Mark - Album",
        ] {
            assert_eq!(mend(title.to_owned()), title, "{title}");
        }
    }

    #[test]
    fn near_misses_keep_their_ends() {
        for title in [
            "Blink-182",
            "Blink-182 - Enema of the State (1999) [FLAC]",
            "Artist - 1",
            "Sum 41 - All Killer No Filler",
            "Artist - Album (2019) [FLAC]",
            "Artist - Album [Pre]",
            "Artist - Pre",
            "Artist-Album-WEB-FLAC-2019-GRP",
            "Artist-Album-WEB-FLAC-2019-NBFLAC",
            "The Pre-Release",
            "Artist - Album (Deluxe) [rarbg edition]",
            "German",
            "Artist-Album-2019-GRP-123",
        ] {
            assert_eq!(strip(title), title, "{title}");
        }
    }
}
