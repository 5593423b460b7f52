//! Is this release the requested album? Artist and album are compared by
//! normalised keys (see [`super::text`]), so typography never causes a
//! rejection but a different artist or album always does.

use std::sync::LazyLock;

use regex::Regex;

use super::known::{self, ReadAs};
use super::rules::Rejection;
use super::text::{loose_key, match_key};
use super::title::ParsedTitle;
use crate::metadata::Album;

/// Words joining credited artists; "A feat. B" is still A's album.
const JOINERS: &[&str] = &[
    "feat",
    "ft",
    "featuring",
    "and",
    "with",
    "x",
    "vs",
    "presents",
    "meets",
];

static PACK_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:discography|anthology|collection|albums|complete works)\b")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// `true` when `needle`'s words appear contiguously in `hay`'s words.
fn contains_words(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let hay: Vec<&str> = hay.split(' ').collect();
    let needle: Vec<&str> = needle.split(' ').collect();
    hay.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Where `needle`'s words end in `hay`'s words (first contiguous match).
fn words_end(hay: &[&str], needle: &str) -> Option<usize> {
    let needle: Vec<&str> = needle.split(' ').collect();
    if needle.is_empty() || needle == [""] {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w == needle.as_slice())
        .map(|i| i + needle.len())
}

/// A fully dotted title ("Artist.Name.Album.Name.2019.FLAC-GRP") has one
/// name holding both: the album must follow the artist in it, as scene names
/// put them. Without a known artist, anywhere.
fn dotted_album_matches(found: &str, artist: &str, album: &str) -> bool {
    let key = loose_key(found);
    let hay: Vec<&str> = key.split(' ').collect();
    let after_artist = words_end(&hay, &loose_key(artist)).unwrap_or(0);
    let rest = hay[after_artist..].join(" ");
    contains_words(&rest, &loose_key(album))
}

/// Equal keys, or one credit extending the other with a joiner ("Artist feat.
/// Guest", "Artist & Other"), or the release naming one of the credited
/// artists.
pub fn artist_matches(found: &str, expected: &str) -> bool {
    let (f, e) = (match_key(found), match_key(expected));
    if f.is_empty() || e.is_empty() {
        return false;
    }
    if f == e || loose_key(found) == loose_key(expected) {
        return true;
    }
    let extends = |long: &str, short: &str| {
        long.strip_prefix(short)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|rest| rest.split(' ').next())
            .is_some_and(|w| JOINERS.contains(&w))
    };
    if extends(&f, &e) || extends(&e, &f) {
        return true;
    }
    // "Artist A & Artist B" credited; the release says "Artist B"
    let parts = e.split(' ').fold(vec![String::new()], |mut acc, w| {
        if JOINERS.contains(&w) {
            acc.push(String::new());
        } else if let Some(last) = acc.last_mut() {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(w);
        }
        acc
    });
    parts.len() > 1 && parts.contains(&f)
}

/// Equal keys, or equal once brackets and edition words are dropped ("Album
/// (Deluxe Edition)" is "Album").
pub fn album_matches(found: &str, expected: &str) -> bool {
    let (f, e) = (match_key(found), match_key(expected));
    !f.is_empty() && (f == e || loose_key(found) == loose_key(expected))
}

/// The verdict of [`match_album`]: every album-match rejection (empty when
/// it matches), and how the title was read when the parser's own artist and
/// album were not enough.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlbumMatch {
    pub rejections: Vec<Rejection>,
    /// `None` when the parser's artist and album matched as they are (or
    /// nothing was compared).
    pub read_as: Option<ReadAs>,
}

/// Every album-match rejection for `parsed`; empty when it matches or when
/// the album's artist and title are both unknown (nothing to compare with).
/// Without the raw title a symbol name is compared as the parser read it;
/// [`match_album`] also compares it as the title writes it.
pub fn check_album(
    parsed: &ParsedTitle,
    album: &Album,
    allow_discographies: bool,
) -> Vec<Rejection> {
    match_names("", parsed, &album.artist, &album.title, allow_discographies).rejections
}

/// [`check_album`] with the raw `title` at hand, saying how it was read.
pub fn match_album(
    title: &str,
    parsed: &ParsedTitle,
    album: &Album,
    allow_discographies: bool,
) -> AlbumMatch {
    match_names(
        title,
        parsed,
        &album.artist,
        &album.title,
        allow_discographies,
    )
}

/// The matcher behind [`match_album`], on names alone (`musicagg parse
/// --artist --album` has no album id). An empty `artist` or `album` is not
/// compared; both empty, nothing is.
///
/// The parser's artist and album are compared first. When they do not
/// match, the title is read knowing what is wanted ([`super::known`]): a
/// title with no separator must be exactly the artist then the album (or a
/// self-titled album's name, once or twice); a separated one may name the
/// album first; a symbol-only name is compared as written.
pub fn match_names(
    title: &str,
    parsed: &ParsedTitle,
    artist: &str,
    album: &str,
    allow_discographies: bool,
) -> AlbumMatch {
    let mut verdict = AlbumMatch::default();
    // never matched by accident, whatever the album
    if parsed.unparseable {
        verdict.rejections.push(Rejection::Unparseable);
        return verdict;
    }
    let (want_artist, want_title) = (!artist.trim().is_empty(), !album.trim().is_empty());
    if !want_artist && !want_title {
        return verdict;
    }
    let out = &mut verdict.rejections;
    // An album really called "The Collection" is not a pack of albums.
    let album_is_pack_named = PACK_WORD.is_match(&album.to_lowercase());
    let pack = parsed.discography && !album_is_pack_named;
    if pack && !allow_discographies {
        out.push(Rejection::Discography);
    }
    let want_album = want_title && !pack;
    let found_album = parsed.album.clone().unwrap_or_default();
    let wrong_artist = || Rejection::WrongArtist {
        found: parsed.artist.clone().unwrap_or_default(),
        expected: artist.to_owned(),
    };
    let wrong_album = || Rejection::WrongAlbum {
        found: found_album.clone(),
        expected: album.to_owned(),
    };
    match &parsed.artist {
        // one name holding both, with both wanted: the exact reading
        None if want_artist && want_album => {
            match known::read_one_name(title, &found_album, artist, album) {
                Ok(read_as) => verdict.read_as = Some(read_as),
                Err(reasons) => out.extend(reasons),
            }
        }
        // one name, one hint: the hint anywhere in it (dotted titles)
        None => {
            if want_artist && !contains_words(&match_key(&found_album), &match_key(artist)) {
                out.push(wrong_artist());
            }
            if want_album
                && !album_matches(&found_album, album)
                && !dotted_album_matches(&found_album, artist, album)
            {
                out.push(wrong_album());
            }
        }
        Some(a) => {
            let by_key = artist_matches(a, artist)
                || (parsed.various_artists && match_key(artist) == "various artists");
            let by_symbols = !by_key && known::same_symbol_name(a, artist);
            let artist_ok = !want_artist || by_key || by_symbols;
            // one symbol word the parser may have read short (a separator
            // glued to it), compared with the title as written
            let symbol_lead = !artist_ok
                && a.split_whitespace().count() == 1
                && known::symbol_name_leads(title, a, artist);
            let album_by_key = album_matches(&found_album, album);
            let album_by_symbols = !album_by_key && known::same_symbol_name(&found_album, album);
            let album_ok = !want_album || album_by_key || album_by_symbols;
            let symbols = by_symbols || symbol_lead || album_by_symbols;
            if (artist_ok || symbol_lead) && album_ok {
                verdict.read_as = symbols.then_some(ReadAs::SymbolName);
            } else if want_artist && want_album && album_first(a, &found_album, artist, album) {
                verdict.read_as = Some(ReadAs::AlbumFirst);
            } else {
                if !artist_ok && !symbol_lead {
                    out.push(wrong_artist());
                }
                if !album_ok {
                    out.push(wrong_album());
                }
            }
        }
    }
    verdict
}

/// `Album - Artist`: the parser's artist is the wanted album and its album
/// the wanted artist. Not for a self-titled album (its names are equal: the
/// parser's order is already right).
fn album_first(found_artist: &str, found_album: &str, artist: &str, album: &str) -> bool {
    let artist_is =
        |found: &str| artist_matches(found, artist) || known::same_symbol_name(found, artist);
    let album_is =
        |found: &str| album_matches(found, album) || known::same_symbol_name(found, album);
    let self_titled = (match_key(artist) == match_key(album) && !match_key(artist).is_empty())
        || known::same_symbol_name(artist, album);
    !self_titled && artist_is(found_album) && album_is(found_artist)
}

#[cfg(test)]
mod known_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlbumId;
    use crate::release::parse_title;

    /// An album of which only `artist` and `title` matter (shared with `known_tests`).
    pub(super) fn album(artist: &str, title: &str) -> Album {
        let id = AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").expect("valid id");
        Album {
            artist: artist.into(),
            title: title.into(),
            ..Album::unknown(id)
        }
    }

    #[test]
    fn typography_is_not_a_mismatch() {
        for (t, a, b) in [
            (
                "Simon and Garfunkel - Bookends (1968) [FLAC]",
                "Simon & Garfunkel",
                "Bookends",
            ),
            (
                "Beatles - Abbey Road (2019) [FLAC]",
                "The Beatles",
                "Abbey Road",
            ),
            ("Beyonce - Lemonade [FLAC]", "Beyoncé", "Lemonade"),
            ("Artist - Album (Deluxe Edition) [FLAC]", "Artist", "Album"),
            (
                "Artist - Album [2011 Remaster] [FLAC]",
                "Artist",
                "Album (Remastered)",
            ),
            (
                "Artist.Name-Album_Name-WEB-2019-GRP",
                "Artist Name",
                "Album Name",
            ),
            (
                "Artist.Name.Album.Name.2019.FLAC-GRP",
                "Artist Name",
                "Album Name",
            ),
            (
                "Nils.Frahm.All.Melody.2018.WEB.FLAC-GRP",
                "Nils Frahm",
                "All Melody",
            ),
            (
                "The.Artist.Album.Name.Deluxe.Edition.2019.FLAC-GRP",
                "The Artist",
                "Album Name",
            ),
            (
                "VA - Summer Hits (2019) [MP3 320]",
                "Various Artists",
                "Summer Hits",
            ),
        ] {
            assert_eq!(
                check_album(&parse_title(t), &album(a, b), false),
                vec![],
                "{t}"
            );
        }
    }

    #[test]
    fn wrong_artist_album_and_packs() {
        let r = check_album(
            &parse_title("Other - Album [FLAC]"),
            &album("Artist", "Album"),
            false,
        );
        assert!(
            matches!(r.as_slice(), [Rejection::WrongArtist { .. }]),
            "{r:?}"
        );
        let r = check_album(
            &parse_title("Artist - Other [FLAC]"),
            &album("Artist", "Album"),
            false,
        );
        assert!(
            matches!(r.as_slice(), [Rejection::WrongAlbum { .. }]),
            "{r:?}"
        );
        let t = parse_title("Artist - Discography 1990-2000 [FLAC]");
        let r = check_album(&t, &album("Artist", "Album"), false);
        assert_eq!(r, vec![Rejection::Discography]);
        assert_eq!(check_album(&t, &album("Artist", "Album"), true), vec![]);
        let t = parse_title("Artist - The Collection (2001) [FLAC]");
        assert_eq!(
            check_album(&t, &album("Artist", "The Collection"), false),
            vec![]
        );
        // dotted: both names, artist first
        let t = parse_title("Artist.Name.Other.Album.2019.FLAC-GRP");
        let r = check_album(&t, &album("Artist Name", "Album Name"), false);
        assert!(
            matches!(r.as_slice(), [Rejection::WrongAlbum { .. }]),
            "{r:?}"
        );
        let t = parse_title("Album.Name.Artist.Name.2019.FLAC-GRP");
        let r = check_album(&t, &album("Artist Name", "Album Name"), false);
        assert!(
            matches!(r.as_slice(), [Rejection::WrongAlbum { .. }]),
            "{r:?}"
        );
        let t = parse_title("Other.Artist.Album.Name.2019.FLAC-GRP");
        let r = check_album(&t, &album("Artist Name", "Album Name"), false);
        assert!(
            matches!(r.as_slice(), [Rejection::WrongArtist { .. }]),
            "{r:?}"
        );
        let unknown = Album::unknown(album("", "").id);
        assert_eq!(
            check_album(&parse_title("Whatever"), &unknown, false),
            vec![]
        );
    }
}
