//! Is this release the requested album? Artist and album are compared by
//! normalised keys (see [`super::text`]), so typography never causes a
//! rejection but a different artist or album always does.

use std::sync::LazyLock;

use regex::Regex;

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

/// Every album-match rejection for `parsed`; empty when it matches or when
/// the album's artist and title are both unknown (nothing to compare with).
pub fn check_album(
    parsed: &ParsedTitle,
    album: &Album,
    allow_discographies: bool,
) -> Vec<Rejection> {
    // never matched by accident, whatever the album
    if parsed.unparseable {
        return vec![Rejection::Unparseable];
    }
    let mut out = Vec::new();
    if album.artist.trim().is_empty() && album.title.trim().is_empty() {
        return out;
    }
    // An album really called "The Collection" is not a pack of albums.
    let album_is_pack_named = PACK_WORD.is_match(&album.title.to_lowercase());
    let pack = parsed.discography && !album_is_pack_named;
    if pack && !allow_discographies {
        out.push(Rejection::Discography);
    }
    let found_album = parsed.album.clone().unwrap_or_default();
    if !album.artist.trim().is_empty() {
        let ok = match &parsed.artist {
            Some(a) => {
                artist_matches(a, &album.artist)
                    || (parsed.various_artists && match_key(&album.artist) == "various artists")
            }
            // fully dotted titles: artist and album are one name
            None => contains_words(&match_key(&found_album), &match_key(&album.artist)),
        };
        if !ok {
            out.push(Rejection::WrongArtist {
                found: parsed.artist.clone().unwrap_or_default(),
                expected: album.artist.clone(),
            });
        }
    }
    if !album.title.trim().is_empty() && !pack {
        let ok = match parsed.artist {
            Some(_) => album_matches(&found_album, &album.title),
            None => {
                album_matches(&found_album, &album.title)
                    || dotted_album_matches(&found_album, &album.artist, &album.title)
            }
        };
        if !ok {
            out.push(Rejection::WrongAlbum {
                found: found_album,
                expected: album.title.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlbumId;
    use crate::release::parse_title;

    fn album(artist: &str, title: &str) -> Album {
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
