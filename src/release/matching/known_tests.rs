//! The known-album reading through [`match_album`] on the real parser's
//! output, case by case and near-miss by near-miss, and through the selector.

use super::tests::album;
use super::*;
use crate::config::ReleaseConfig;
use crate::indexer::Release;
use crate::model::Quality;
use crate::release::{History, RankingSelector, parse_title};

/// `match_album` on the real parser's reading of `title`.
fn verdict(title: &str, artist: &str, name: &str) -> AlbumMatch {
    match_album(title, &parse_title(title), &album(artist, name), false)
}

#[test]
fn known_album_readings_match_and_say_how() {
    let no_sep = Some(ReadAs::NoSeparator);
    let symbol = Some(ReadAs::SymbolName);
    for (title, artist, name, read_as) in [
        ("Artist Album FLAC", "Artist", "Album", no_sep),
        (
            "Artist Album 2015 CD FLAC PERFECT",
            "Artist",
            "Album",
            no_sep,
        ),
        (
            "Artist Album Deluxe Edition 2015 FLAC",
            "Artist",
            "Album",
            no_sep,
        ),
        (
            "The Artist The Album FLAC",
            "The Artist",
            "The Album",
            no_sep,
        ),
        (
            "Artist.Name.Album.Name.2019.FLAC-GRP",
            "Artist Name",
            "Album Name",
            no_sep,
        ),
        (
            "Weezer Weezer (1994) FLAC",
            "Weezer",
            "Weezer",
            Some(ReadAs::SelfTitled),
        ),
        // one occurrence names a self-titled album too: nothing else to name
        (
            "Weezer (1994) FLAC",
            "Weezer",
            "Weezer",
            Some(ReadAs::SelfTitled),
        ),
        // the parser's own split already matches: nothing to say
        ("Weezer - Weezer (1994) [FLAC]", "Weezer", "Weezer", None),
        (
            "+44 - When Your Heart Stops Beating (2006) [FLAC]",
            "+44",
            "When Your Heart Stops Beating",
            None,
        ),
        ("??? - Album (2019) [FLAC]", "???", "Album", symbol),
        ("Artist - ??? (2019) [FLAC]", "Artist", "???", symbol),
        // the parser reads `/\` as `\`; the raw title says `/\`
        ("/\\ - Title (2019) [FLAC]", "/\\", "Title", symbol),
        // the parser keeps `/\` whole, so it reads like "!!! Thr!!!er FLAC"
        ("/\\ Title FLAC", "/\\", "Title", no_sep),
        ("!!! - Thr!!!er (2013) [FLAC]", "!!!", "Thr!!!er", symbol),
        ("!!! Thr!!!er FLAC", "!!!", "Thr!!!er", no_sep),
        (
            "Album - Artist (2019) [FLAC]",
            "Artist",
            "Album",
            Some(ReadAs::AlbumFirst),
        ),
        (
            "Album Name - The Artist [FLAC]",
            "The Artist",
            "Album Name",
            Some(ReadAs::AlbumFirst),
        ),
    ] {
        let v = verdict(title, artist, name);
        assert_eq!(v.rejections, vec![], "{title}");
        assert_eq!(v.read_as, read_as, "{title}");
    }
}

#[test]
fn known_album_near_misses_are_rejected_with_the_reason() {
    let wrong_artist = |found: &str, expected: &str| Rejection::WrongArtist {
        found: found.into(),
        expected: expected.into(),
    };
    let wrong_album = |found: &str, expected: &str| Rejection::WrongAlbum {
        found: found.into(),
        expected: expected.into(),
    };
    for (title, artist, name, reasons) in [
        // another artist whose name starts with the wanted one
        (
            "Artist Two Album FLAC",
            "Artist",
            "Album",
            vec![wrong_artist("Artist Two", "Artist")],
        ),
        // the album alone, without the artist
        (
            "Album (2019) FLAC",
            "Artist",
            "Album",
            vec![wrong_artist("", "Artist")],
        ),
        // the artist, then something that is not the album
        (
            "Artist Other Album Two FLAC",
            "Artist",
            "Album",
            vec![wrong_album("Other Album Two", "Album")],
        ),
        // the artist's name only inside the album's
        (
            "Here Comes the Sun FLAC",
            "Sun",
            "Here Comes the Sun",
            vec![wrong_artist("", "Sun")],
        ),
        // no separator: the album first is not read (scene names put the artist first)
        (
            "Album Name Artist Name FLAC",
            "Artist Name",
            "Album Name",
            vec![wrong_album("Album Name Artist Name", "Album Name")],
        ),
        // a self-titled name three times is not the album
        (
            "Weezer Weezer Weezer FLAC",
            "Weezer",
            "Weezer",
            vec![wrong_artist("Weezer Weezer", "Weezer")],
        ),
        // a symbol name is not another symbol name
        (
            "?? - Album (2019) [FLAC]",
            "???",
            "Album",
            vec![wrong_artist("??", "???")],
        ),
        (
            "???? - Album (2019) [FLAC]",
            "???",
            "Album",
            vec![wrong_artist("????", "???")],
        ),
        (
            "Artist - ?? (2019) [FLAC]",
            "Artist",
            "???",
            vec![wrong_album("??", "???")],
        ),
        // a lettered artist for a symbol name, and the other way round
        (
            "Other - Album [FLAC]",
            "???",
            "Album",
            vec![wrong_artist("Other", "???")],
        ),
        (
            "??? - Album [FLAC]",
            "Artist",
            "Album",
            vec![wrong_artist("???", "Artist")],
        ),
        // swapped, but one of the names is not the wanted one
        (
            "Album - Other (2019) [FLAC]",
            "Artist",
            "Album",
            vec![
                wrong_artist("Album", "Artist"),
                wrong_album("Other", "Album"),
            ],
        ),
    ] {
        let v = verdict(title, artist, name);
        assert_eq!(v.rejections, reasons, "{title}");
        assert_eq!(v.read_as, None, "{title}");
    }
}

#[test]
fn an_empty_or_unreadable_wanted_name_matches_nothing_by_itself() {
    // a name normalising to nothing is not a wildcard
    for title in ["Album FLAC", "Other Album FLAC", "- Album FLAC"] {
        let v = verdict(title, " - ", "Album");
        assert!(!v.rejections.is_empty(), "{title}");
    }
    // one name given: only it is compared
    let v = match_names(
        "Artist Album FLAC",
        &parse_title("Artist Album FLAC"),
        "Artist",
        "",
        false,
    );
    assert_eq!(v, AlbumMatch::default());
    let t = "Other - Album [FLAC]";
    let v = match_names(t, &parse_title(t), "", "Album", false);
    assert_eq!(v, AlbumMatch::default());
    let v = match_names(t, &parse_title(t), "Artist", "", false);
    assert!(
        matches!(v.rejections.as_slice(), [Rejection::WrongArtist { .. }]),
        "{v:?}"
    );
    // nothing given: nothing compared
    assert_eq!(
        match_names(t, &parse_title(t), "", " ", false),
        AlbumMatch::default()
    );
    // the parser keeps `/\` whole: without the raw title it matches too,
    // and a different symbol name still does not
    let t = "/\\ - Title (2019) [FLAC]";
    let r = check_album(&parse_title(t), &album("/\\", "Title"), false);
    assert_eq!(r, vec![]);
    let r = check_album(&parse_title(t), &album("\\", "Title"), false);
    assert!(
        matches!(r.as_slice(), [Rejection::WrongArtist { .. }]),
        "{r:?}"
    );
}

/// In a run: the wanted album with no separator is accepted (and the
/// candidate says how it was read); the near-miss is rejected with the reason.
#[test]
fn the_selector_accepts_the_album_without_a_separator_and_rejects_the_near_miss() {
    let release = |title: &str, guid: &str| Release {
        indexer: "jackett".into(),
        title: title.into(),
        guid: guid.into(),
        seeders: Some(12),
        categories: vec![3040],
        ..Release::default()
    };
    let selector = RankingSelector::new(&ReleaseConfig::default()).expect("no terms");
    let selection = selector.select_now(
        &album("Artist", "Album"),
        Quality::Lossless,
        vec![
            release("Artist Album 2015 CD FLAC PERFECT", "a"),
            release("Artist Two Album 2015 CD FLAC PERFECT", "b"),
            release("Artist Album Two 2015 CD FLAC PERFECT", "c"),
        ],
        &History::default(),
    );
    let accepted: Vec<&str> = selection
        .accepted
        .iter()
        .map(|c| c.release.guid.as_str())
        .collect();
    assert_eq!(accepted, ["a"]);
    assert_eq!(
        selection.accepted[0].details["read_as"],
        "artist and album found in the title with no separator"
    );
    let rejected = |guid: &str| {
        selection
            .rejected
            .iter()
            .find(|c| c.release.guid == guid)
            .map(|c| c.rejections.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        rejected("b"),
        [Rejection::WrongArtist {
            found: "Artist Two".into(),
            expected: "Artist".into()
        }
        .to_string()]
    );
    assert_eq!(
        rejected("c"),
        [Rejection::WrongAlbum {
            found: "Album Two".into(),
            expected: "Album".into()
        }
        .to_string()]
    );
    assert!(
        selection
            .rejected
            .iter()
            .all(|c| c.details["read_as"].is_null())
    );
}
