//! Reading a title knowing which album is wanted.
//!
//! The parser reads a title without knowing what anyone wants, so some titles
//! it cannot split: `Artist Album FLAC` has no separator (the parser keeps the
//! whole name in `album`), `Album - Artist` names the album first, `Weezer
//! Weezer` is a self-titled album, and `???` or `/\` are names with no letter
//! at all, which [`super::text::match_key`] reduces to nothing. Knowing the
//! wanted artist and album, each of these has one exact reading; this module
//! tries them, and says which one matched ([`ReadAs`]) or why none did.
//!
//! The rule that keeps it from matching by accident: the title's name text
//! must be *exactly* the wanted names (in one of the orders below), with
//! nothing left over but edition words (`Deluxe`, `Remastered`, `20th`) and
//! bracketed parts. `Artist Two Album` is not `Artist` + `Album`; a symbol
//! name is compared as written, so `??` is not `???` and an empty name never
//! matches anything.

use std::fmt;

use super::rules::Rejection;
use super::text::{is_edition_word, is_ordinal, normalize, strip_brackets};

/// How a title was read as the wanted album when the parser's own artist and
/// album did not say so. Shown by `musicagg parse --artist --album` and kept
/// with each candidate of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    /// `Artist Album FLAC`: one name holding the artist, then the album
    /// (also dotted scene names, `Artist.Name.Album.Name.2019.FLAC-GRP`).
    NoSeparator,
    /// `Album - Artist (2019)`: the parser's artist is the wanted album and
    /// its album the wanted artist.
    AlbumFirst,
    /// `Weezer Weezer (1994) FLAC` or `Weezer (1994) FLAC`: a self-titled
    /// album's name twice with no separator, or once (nothing else to name).
    SelfTitled,
    /// `???`, `/\`: a name without letters or digits, compared as written.
    SymbolName,
}

/// Serialised as its sentence: the JSON says what a person reads.
impl serde::Serialize for ReadAs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ReadAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReadAs::NoSeparator => "artist and album found in the title with no separator",
            ReadAs::AlbumFirst => "album named before the artist",
            ReadAs::SelfTitled => "self-titled: the name stands for both artist and album",
            ReadAs::SymbolName => "a name made only of symbols, compared as written",
        })
    }
}

/// One comparison word, and which whitespace-separated word of its text it
/// came from (to quote the title's own words in a rejection).
#[derive(Debug, Clone, PartialEq)]
struct Token {
    key: String,
    word: usize,
}

impl Token {
    /// Words the title may add to a name without it being another name.
    fn optional(&self) -> bool {
        is_edition_word(&self.key) || is_ordinal(&self.key)
    }
}

/// Lone punctuation between words is a separator, not a name.
fn is_separator(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(
        (chars.next(), chars.next()),
        (
            Some('-' | '–' | '—' | '_' | '|' | '~' | ':' | '/' | ',' | '.' | '\'' | '"' | '’'),
            None
        )
    )
}

/// `true` when `text` has no letter or digit, and is not empty: `???`,
/// `/\`, `!!!`. [`normalize`] would leave nothing of it.
pub(super) fn is_symbol_name(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty() && !t.chars().any(char::is_alphanumeric)
}

/// The comparison words of a name, brackets dropped (unless nothing else is
/// left). Words with letters or digits are [`normalize`]d (so `&` and `and`,
/// `Beyoncé` and `Beyonce` agree); a word of symbols only (`???`, `/\`) is
/// kept as written, lower-cased, so it is neither lost nor equal to another
/// symbol word.
fn tokens(text: &str) -> (Vec<Token>, Vec<String>) {
    let stripped = strip_brackets(text);
    let source = if stripped.trim().is_empty() {
        text
    } else {
        &stripped
    };
    let words: Vec<String> = source.split_whitespace().map(str::to_owned).collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let n = normalize(w);
        if !n.is_empty() {
            out.extend(n.split(' ').map(|k| Token {
                key: k.to_owned(),
                word: i,
            }));
        } else if !is_separator(w) {
            out.push(Token {
                key: w.to_lowercase(),
                word: i,
            });
        }
    }
    (out, words)
}

fn keys(text: &str) -> Vec<String> {
    tokens(text).0.into_iter().map(|t| t.key).collect()
}

/// A name as written and without its leading "the" (indexers drop or keep
/// it): the spellings a title may use.
fn spellings(keys: &[String]) -> Vec<&[String]> {
    match keys.split_first() {
        Some((first, rest)) if first == "the" && !rest.is_empty() => vec![keys, rest],
        _ => vec![keys],
    }
}

/// Matches `want` against the start of `name`, skipping the title's
/// optional words where they are not the wanted word; the position after the
/// last matched token. Greedy is exact here: a skipped word is optional, so
/// matching it early never costs a later match.
fn consume(name: &[Token], want: &[String]) -> Option<usize> {
    let (mut i, mut j) = (0, 0);
    while j < want.len() {
        let t = name.get(i)?;
        if t.key == want[j] {
            j += 1;
        } else if !t.optional() {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// `name` is exactly `want` with nothing left but optional words.
fn whole(name: &[Token], want: &[String]) -> bool {
    !want.is_empty()
        && consume(name, want).is_some_and(|end| name[end..].iter().all(Token::optional))
}

/// `name` is exactly the parts in order, each in any of its spellings.
fn whole_parts(name: &[Token], parts: &[&[String]]) -> bool {
    if parts.iter().any(|p| p.is_empty()) {
        return false;
    }
    let name_spellings: Vec<&[Token]> = match name.split_first() {
        Some((first, rest)) if first.key == "the" && !rest.is_empty() => vec![name, rest],
        _ => vec![name],
    };
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for part in parts {
        combos = combos
            .into_iter()
            .flat_map(|prefix| {
                spellings(part).into_iter().map(move |s| {
                    let mut c = prefix.clone();
                    c.extend(s.iter().cloned());
                    c
                })
            })
            .collect();
    }
    name_spellings
        .iter()
        .any(|n| combos.iter().any(|c| whole(n, c)))
}

/// Two names made only of symbols, equal as written (trimmed, spaces
/// collapsed, lower-cased): what lets `???` match `???` where normalised keys
/// are both empty, and keeps `??` from matching it. `false` for any name with
/// a letter or digit: those are compared by key.
pub(super) fn same_symbol_name(found: &str, wanted: &str) -> bool {
    let written = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    is_symbol_name(wanted) && written(found) == written(wanted)
}

/// The title's own words covering `tokens` (for a rejection's `found`).
fn quote(tokens: &[Token], words: &[String]) -> String {
    match (tokens.first(), tokens.last()) {
        (Some(a), Some(b)) => words[a.word..=b.word].join(" "),
        _ => String::new(),
    }
}

/// A guard for a leading symbol name read short (a separator glued to
/// it; the parser keeps `/\` whole but not every symbol name): when
/// the raw title starts with the wanted symbol name, followed by a space or
/// a dash, and the parser's name starts with what is left of it (a symbol
/// word ending the wanted name), that word is the wanted name. Only symbol
/// names: a lettered name is never replaced.
pub(super) fn symbol_name_leads(title: &str, parsed_name: &str, wanted: &str) -> bool {
    let wanted = wanted.trim();
    let first = parsed_name.split_whitespace().next().unwrap_or("");
    is_symbol_name(wanted)
        && is_symbol_name(first)
        && wanted.ends_with(first)
        && title
            .trim_start()
            .strip_prefix(wanted)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_whitespace() || c == '-')
}

/// Reads a title whose parser output has no artist (`name` is everything
/// before the tags) as `artist` + `album`. `Ok` with how it was read, or the
/// rejections: `WrongArtist` when the album is there but the rest is not the
/// artist (`Artist Two Album`, the album alone), `WrongAlbum` when the artist
/// leads but the rest is not the album. `title` is the raw title, for a
/// leading symbol name read short.
pub(super) fn read_one_name(
    title: &str,
    name: &str,
    artist: &str,
    album: &str,
) -> Result<ReadAs, Vec<Rejection>> {
    let (mut n, words) = tokens(name);
    let (a, b) = (keys(artist), keys(album));
    let wrong_artist = |found: String| Rejection::WrongArtist {
        found,
        expected: artist.to_owned(),
    };
    let wrong_album = |found: String| Rejection::WrongAlbum {
        found,
        expected: album.to_owned(),
    };
    if a.is_empty() || b.is_empty() {
        // an empty name matches nothing, never everything
        let mut out = Vec::new();
        if a.is_empty() {
            out.push(wrong_artist(String::new()));
        }
        if b.is_empty() {
            out.push(wrong_album(name.to_owned()));
        }
        return Err(out);
    }
    let mut symbol = false;
    if let ([lead], Some(first)) = (a.as_slice(), n.first_mut())
        && first.key != *lead
        && symbol_name_leads(title, name, artist)
    {
        first.key.clone_from(lead);
        symbol = true;
    }
    let self_titled = spellings(&a).last() == spellings(&b).last();
    if self_titled && (whole_parts(&n, &[&a]) || whole_parts(&n, &[&a, &a])) {
        return Ok(ReadAs::SelfTitled);
    }
    if whole_parts(&n, &[&a, &b]) {
        return Ok(if symbol {
            ReadAs::SymbolName
        } else {
            ReadAs::NoSeparator
        });
    }
    // Why not: find the album at the end, the artist at the start.
    let album_from = (0..n.len()).find(|&j| whole_parts(&n[j..], &[&b]));
    let artist_end = spellings(&a).into_iter().find_map(|s| consume(&n, s));
    Err(match (artist_end, album_from) {
        // "Artist Two Album": the album is there, the artist is someone else
        (_, Some(j)) => vec![wrong_artist(quote(&n[..j], &words))],
        (Some(end), None) => vec![wrong_album(quote(&n[end..], &words))],
        (None, None) => {
            let haystack: Vec<&str> = n.iter().map(|t| t.key.as_str()).collect();
            let needle: Vec<&str> = a.iter().map(String::as_str).collect();
            let artist_inside = haystack
                .windows(needle.len())
                .any(|w| w == needle.as_slice());
            if artist_inside {
                vec![wrong_album(name.to_owned())]
            } else {
                vec![wrong_artist(String::new()), wrong_album(name.to_owned())]
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, artist: &str, album: &str) -> Result<ReadAs, Vec<Rejection>> {
        read_one_name(name, name, artist, album)
    }

    #[test]
    fn symbol_words_are_kept_as_written() {
        let keys = |t: &str| keys(t);
        assert_eq!(keys("???"), ["???"]);
        assert_eq!(keys("/\\ - Title"), ["/\\", "title"]);
        assert_eq!(keys("Simon & Garfunkel"), ["simon", "and", "garfunkel"]);
        assert_eq!(keys("Album (Deluxe)"), ["album"]);
        assert_eq!(keys("(Untitled)"), ["untitled"]);
        assert!(keys(" - ").is_empty());
    }

    #[test]
    fn exact_readings() {
        assert_eq!(
            read("Artist Album", "Artist", "Album"),
            Ok(ReadAs::NoSeparator)
        );
        assert_eq!(
            read("The Artist The Album", "The Artist", "The Album"),
            Ok(ReadAs::NoSeparator)
        );
        assert_eq!(
            read("Artist Album", "The Artist", "The Album"),
            Ok(ReadAs::NoSeparator)
        );
        assert_eq!(
            read("Artist Album Deluxe 20th", "Artist", "Album"),
            Ok(ReadAs::NoSeparator)
        );
        assert_eq!(
            read("Weezer Weezer", "Weezer", "Weezer"),
            Ok(ReadAs::SelfTitled)
        );
        assert_eq!(read("Weezer", "Weezer", "Weezer"), Ok(ReadAs::SelfTitled));
        assert_eq!(read("??? Album", "???", "Album"), Ok(ReadAs::NoSeparator));
        assert_eq!(
            read_one_name("/\\ Title FLAC", "\\ Title", "/\\", "Title"),
            Ok(ReadAs::SymbolName)
        );
    }

    #[test]
    fn near_misses_say_which_name_is_wrong() {
        assert_eq!(
            read("Artist Two Album", "Artist", "Album"),
            Err(vec![Rejection::WrongArtist {
                found: "Artist Two".into(),
                expected: "Artist".into()
            }])
        );
        assert_eq!(
            read("Album", "Artist", "Album"),
            Err(vec![Rejection::WrongArtist {
                found: String::new(),
                expected: "Artist".into()
            }])
        );
        assert_eq!(
            read("Artist Other", "Artist", "Album"),
            Err(vec![Rejection::WrongAlbum {
                found: "Other".into(),
                expected: "Album".into()
            }])
        );
        assert!(read("?? Album", "???", "Album").is_err());
        assert!(read("Weezer Weezer Weezer", "Weezer", "Weezer").is_err());
        // an empty or symbol-free-and-letter-free wanted name matches nothing
        assert!(read("Album", "", "Album").is_err());
        assert!(read("Album", " - ", "Album").is_err());
        assert!(read("", "Artist", "Album").is_err());
        // a lettered name is never replaced by the raw title's lead
        assert!(!symbol_name_leads("Other - Album", "Other", "Artist"));
        assert!(!symbol_name_leads("?? - Album", "??", "???"));
        assert!(!symbol_name_leads("???? - Album", "????", "???"));
        assert!(symbol_name_leads("/\\ - Title", "\\", "/\\"));
    }
}
