//! Text normalisation shared by the parser and the album matcher.
//!
//! Indexer titles and MusicBrainz credits disagree on case, accents,
//! punctuation and conjunctions ("Simon & Garfunkel" vs "Simon and
//! Garfunkel", "Beyoncé" vs "Beyonce"); comparing normalised forms is what
//! makes "wrong album" mean wrong album and not "different typography".

/// Folds the accented Latin letters that indexers commonly strip (Latin-1 and
/// Latin Extended-A). A table rather than Unicode decomposition keeps the
/// crate free of another dependency; letters outside it (Cyrillic, CJK) are
/// kept as they are, which is what we want for them.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'þ' => "th",
        'ё' => "е",
        _ => return None,
    })
}

/// Words that describe an edition of an album rather than the album: they are
/// moved out of the album name by the parser and ignored by the matcher, so
/// "Album (Deluxe Edition)" matches "Album".
pub(crate) const EDITION_WORDS: &[&str] = &[
    "deluxe",
    "edition",
    "remaster",
    "remastered",
    "remasters",
    "expanded",
    "anniversary",
    "special",
    "limited",
    "collector's",
    "collectors",
    "bonus",
    "reissue",
    "re-issue",
    "mono",
    "stereo",
    "japan",
    "japanese",
    "legacy",
    "definitive",
    "extended",
    "version",
    "mfsl",
    "mofi",
    "hdcd",
    "shm-cd",
    "xrcd",
    "uhqcd",
    "blu-spec",
    // release types and store variants: "Album - EP", "Album (Single)",
    // "Album (Explicit)", "Album (Super Deluxe)" are all the album "Album"
    "ep",
    "single",
    "explicit",
    "super",
];

pub(crate) fn is_edition_word(lower: &str) -> bool {
    EDITION_WORDS.contains(&lower)
}

/// "20th", "1st": ordinals that only make sense next to "anniversary".
pub(crate) fn is_ordinal(lower: &str) -> bool {
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &lower[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && matches!(suffix, "st" | "nd" | "rd" | "th")
}

/// Lower-case, accent-folded, `&`/`+` read as "and", apostrophes dropped
/// ("don't" = "dont"), other punctuation as spaces, runs of spaces collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        for lc in c.to_lowercase() {
            if let Some(folded) = fold_char(lc) {
                out.push_str(folded);
            } else if lc == '&' || lc == '+' {
                out.push_str(" and ");
            } else if lc == '\'' || lc == '’' || lc == '`' || lc == '´' {
                // dropped: "don't" and "dont" are the same word
            } else if lc.is_alphanumeric() {
                out.push(lc);
            } else {
                out.push(' ');
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes bracketed parts (any of `()[]{}`), e.g. "(Live)" or "[Bonus]".
pub fn strip_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The comparison key of an artist or album name: [`normalize`]d, without a
/// leading "the" (indexers often drop or move it).
pub fn match_key(text: &str) -> String {
    let n = normalize(text);
    match n.strip_prefix("the ") {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => n,
    }
}

/// The looser key: brackets and edition words removed too, so "Album
/// (Deluxe Edition) [Remastered]" and "Album" compare equal.
pub fn loose_key(text: &str) -> String {
    let key = match_key(&strip_brackets(text));
    let words: Vec<&str> = key
        .split(' ')
        .filter(|w| !is_edition_word(w) && !is_ordinal(w))
        .collect();
    if words.is_empty() {
        key
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_accents_punctuation_and_conjunctions() {
        assert_eq!(normalize("Beyoncé — Lemonade!"), "beyonce lemonade");
        assert_eq!(normalize("Simon & Garfunkel"), "simon and garfunkel");
        assert_eq!(normalize("Don't Stop"), "dont stop");
        assert_eq!(normalize("Кино"), "кино");
        assert_eq!(match_key("The Beatles"), "beatles");
        assert_eq!(match_key("The"), "the");
    }

    #[test]
    fn loose_key_drops_brackets_and_edition_words() {
        assert_eq!(loose_key("Album (Deluxe Edition)"), "album");
        assert_eq!(loose_key("Album 20th Anniversary Remastered"), "album");
        assert_eq!(loose_key("Deluxe"), "deluxe");
        assert!(is_ordinal("20th") && !is_ordinal("th") && !is_ordinal("2019"));
    }
}
