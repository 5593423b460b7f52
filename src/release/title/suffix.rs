//! What indexers and Usenet posters append after a scene release's group:
//! `-Pre`, `-postbot`, `-xpost`, `-RP`, `-Obfuscated`, `-Scrambled`,
//! `-NZBgeek`, `-AsRequested`, a repost number (`-1`), a site tag
//! (`[rarbg]`, `[eztv]`), a language word. None is the group, and each hides
//! the scene shape, so they are taken off before the title is read.

use super::scene::is_year;

/// Separators that arrived mangled or in another scene spelling, mended to
/// the ones the reader knows:
/// - `Artist_-_Album-WEB-2016-320`: `_-_` is a spaced dash written with
///   underscores; read as the field dash of the scene shape it belongs to;
/// - `Artist ? Album (2007)`: a Unicode dash that lost its encoding on the
///   way, when the title has no other spaced dash.
pub(super) fn mended_separators(title: String) -> String {
    if !title.contains(' ') && title.contains("_-_") {
        return without_year_span(&title).replace("_-_", "-");
    }
    let spaced_dash = [" - ", " – ", " — "].iter().any(|d| title.contains(d));
    if !spaced_dash && let Some(at) = title.find(" ? ") {
        let mut mended = title;
        mended.replace_range(at..at + 3, " - ");
        return mended;
    }
    title
}

/// "Artist-Discography_1998_-_2001-CD-FLAC-2007-GRP": a span of years
/// written with `_-_` would become two fields, the first glued to the
/// name. The span is read from the whole title (`discography_start/end`),
/// so here it leaves the name.
fn without_year_span(title: &str) -> String {
    let mut out = title.to_owned();
    let mut from = 0;
    while let Some(found) = out[from..].find("_-_") {
        let at = from + found;
        let year_at = |i: usize| out.get(i..i + 4).is_some_and(is_year);
        let digit_at = |i: usize| out.as_bytes().get(i).is_some_and(u8::is_ascii_digit);
        let spanned = at >= 5
            && year_at(at - 4)
            && matches!(out.as_bytes()[at - 5], b'_' | b'.' | b'-')
            && year_at(at + 3)
            && !digit_at(at + 7);
        if spanned {
            out.replace_range(at - 5..at + 7, "");
            from = at - 5;
        } else {
            from = at + 3;
        }
    }
    out
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
    // a reposter's name some indexers show after the group
    "altezachen",
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
    let mut rest = strip_site_prefix(title).trim_end();
    loop {
        let before = rest;
        rest = strip_site_tags(rest);
        if let Some((head, last)) = rest.rsplit_once(['-', ' ', '_', '.']) {
            let poster = POSTER_WORDS.iter().any(|w| last.eq_ignore_ascii_case(w));
            let repost = (1..=2).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_digit());
            let language = LANGUAGES.iter().any(|w| last.eq_ignore_ascii_case(w));
            let dashed = rest[head.len()..].starts_with('-');
            // a repost number or a poster word only after a dash; a language
            // after a dash, a space or a scene word joiner (`_English`)
            if ((poster || repost) && dashed || language) && ends_with_group(head) {
                rest = head.trim_end();
            }
        }
        if rest == before {
            return rest;
        }
    }
}

/// `[ www.Torrenting.com ] - …`: a site's name in brackets before the
/// title, and the dash after it.
fn strip_site_prefix(title: &str) -> &str {
    let Some(body) = title.trim_start().strip_prefix('[') else {
        return title;
    };
    let Some(close) = body.find(']') else {
        return title;
    };
    if !is_site(body[..close].trim()) {
        return title;
    }
    body[close + 1..].trim_start_matches([' ', '-', '_'])
}

/// A site's name: `www.` in front or a domain ending, or a known site tag.
fn is_site(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    let name = lower.strip_prefix("www.").unwrap_or(&lower);
    let (name, domain) = match name.rsplit_once('.') {
        Some((name, tld)) => (
            name,
            matches!(tld, "com" | "org" | "net" | "to" | "cc" | "me" | "info"),
        ),
        None => (name, false),
    };
    lower.starts_with("www.") || domain || SITE_TAGS.contains(&name)
}

/// `… [rarbg]`, `… [eztv]-[rarbg.com]` at the end: site tags and site
/// names, taken only when a group stays before them.
fn strip_site_tags(title: &str) -> &str {
    let mut rest = title;
    while let Some(open) = rest.strip_suffix(']').and_then(|t| t.rfind('[')) {
        if !is_site(rest[open + 1..rest.len() - 1].trim()) {
            break;
        }
        rest = rest[..open].trim_end_matches([' ', '-']);
    }
    if rest != title && ends_with_group(rest) {
        rest
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
