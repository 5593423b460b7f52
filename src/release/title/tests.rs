//! The parser on whole titles.
use super::*;

#[test]
fn scene_title() {
    let p = parse_title("Artist_Name-Album_Name-(CAT123)-WEB-FLAC-2019-GRP");
    assert_eq!(p.artist.as_deref(), Some("Artist Name"));
    assert_eq!(p.album.as_deref(), Some("Album Name"));
    assert_eq!(p.codec, Codec::Flac);
    assert_eq!(p.source, Some(Source::Web));
    assert_eq!(p.year, Some(2019));
    assert_eq!(p.release_group.as_deref(), Some("GRP"));
}

#[test]
fn gazelle_title() {
    let p = parse_title("Artist - Album (2019) [FLAC 24-96]");
    assert_eq!(p.artist.as_deref(), Some("Artist"));
    assert_eq!(p.album.as_deref(), Some("Album"));
    assert_eq!((p.bit_depth, p.sample_rate_hz), (Some(24), Some(96_000)));
    assert_eq!(p.release_group, None);
}

#[test]
fn rutracker_title() {
    let p = parse_title("(Rock) [CD] Artist - Album - 1999, FLAC (tracks+.cue), lossless");
    assert_eq!(p.artist.as_deref(), Some("Artist"));
    assert_eq!(p.album.as_deref(), Some("Album"));
    assert_eq!(p.year, Some(1999));
    assert_eq!(p.codec, Codec::Flac);
    assert_eq!(p.source, Some(Source::Cd));
    assert!(p.lossless_word);
}

#[test]
fn names_that_look_like_tags_stay_names() {
    let p = parse_title("Brain Ape - Magnum Opus (2019) [FLAC]");
    assert_eq!(p.artist.as_deref(), Some("Brain Ape"));
    assert_eq!(p.album.as_deref(), Some("Magnum Opus"));
    assert_eq!(p.codec, Codec::Flac);
    let p = parse_title("Prince - 1999 (1982) [MP3 320]");
    assert_eq!(p.album.as_deref(), Some("1999"));
    assert_eq!(p.year, Some(1982));
    assert_eq!(p.bitrate_kbps, Some(320));
    let p = parse_title("Roberta Flack - First Take (1969) [MP3 V0]");
    assert_eq!(p.codec, Codec::Mp3);
}

#[test]
fn source_words_by_position_and_neighbours() {
    let p = parse_title("Artist - Album WEB 2019 FLAC");
    assert_eq!(p.album.as_deref(), Some("Album"));
    assert_eq!(p.source, Some(Source::Web));
    let p = parse_title("Moloko - Charlotte's Web 2003 FLAC");
    assert_eq!(p.album.as_deref(), Some("Charlotte's Web"));
    assert_eq!(p.source, None);
    let p = parse_title("Artist - Live on CD 2003 FLAC");
    assert_eq!(p.album.as_deref(), Some("Live on CD"));
    let p = parse_title("Artist - Live at 1999 (2001) [MP3 320]");
    assert_eq!(p.album.as_deref(), Some("Live at 1999"));
    assert_eq!(p.year, Some(2001));
}

#[test]
fn bitrate_without_codec() {
    for (t, kbps) in [
        ("Artist - Album-192kbps", 192),
        ("Artist - Album (2017) MP3 @256", 256),
        ("Artist - Album 2017 320", 320),
        ("Artist - Album [WEB 320]", 320),
    ] {
        let p = parse_title(t);
        assert_eq!(p.album.as_deref(), Some("Album"), "{t}");
        assert_eq!(p.bitrate_kbps, Some(kbps), "{t}");
    }
    for t in [
        "Blink-182 - Album-182",
        "Artist - Album-320",
        "Artist - 1999",
    ] {
        assert_eq!(parse_title(t).bitrate_kbps, None, "{t}");
    }
    assert_eq!(unglue_bitrate("Blink-182 - Album"), "Blink-182 - Album");
    assert_eq!(unglue_bitrate("A-320kbps kbps"), "A 320kbps kbps");
}

#[test]
fn run_on_codecs() {
    let p = parse_title("Artist Album 2015 CD FLAC PERFECT");
    assert_eq!((p.artist, p.album.as_deref()), (None, Some("Artist Album")));
    assert_eq!(
        (p.codec, p.source, p.year),
        (Codec::Flac, Some(Source::Cd), Some(2015))
    );
    let p = parse_title("Artist - Album (2016) [AAC M4A] [iTunes]");
    assert_eq!((p.codec, p.bitrate_kbps), (Codec::Aac, Some(256)));
    let p = parse_title("Artist - Album (2016) AAC-VBR");
    assert_eq!((p.codec, p.bitrate_kbps), (Codec::Aac, None));
    let p = parse_title("Artist-Album-2019-NBFLAC");
    assert_eq!(
        (p.codec, p.release_group.as_deref()),
        (Codec::Unknown, Some("NBFLAC"))
    );
    for t in [
        "Artist - The FLAC Sessions (2019)",
        "Artist - Mp3 Kids Live",
    ] {
        let p = parse_title(t);
        assert_eq!(p.codec, Codec::Unknown, "{t}");
    }
}

#[test]
fn layouts() {
    let p = parse_title("宇多田ヒカル「BADモード」(2022) [FLAC]");
    assert_eq!(p.artist.as_deref(), Some("宇多田ヒカル"));
    assert_eq!(p.album.as_deref(), Some("BADモード"));
    for t in [
        "Artist - 2019 - Album [FLAC]",
        "Artist - [2019] Album [FLAC]",
    ] {
        let p = parse_title(t);
        assert_eq!(p.album.as_deref(), Some("Album"), "{t}");
        assert_eq!(p.year, Some(2019), "{t}");
    }
    let p = parse_title("Artist-Album-WEB-2019-GRP_INT");
    assert_eq!(p.release_group.as_deref(), Some("GRP"));
    let p = parse_title("Artist - Album (XLCD121) (1997) [FLAC]");
    assert_eq!(p.album.as_deref(), Some("Album"));
}

#[test]
fn discography_spans() {
    let p = parse_title("Artist - Complete Discography (46 CD) [1985 - 2015] [FLAC]");
    assert!(p.discography);
    assert_eq!(
        (p.discography_start, p.discography_end),
        (Some(1985), Some(2015))
    );
    let p = parse_title("Artist - Box (12 CD) [FLAC]");
    assert!(p.discography);
    assert_eq!(p.discography_start, None);
    assert!(parse_title("Artist-Discography_1998-2001-CD-FLAC-2007-GRP").discography);
    // near misses: an album on a few discs, a range that is no pack
    assert!(!parse_title("Artist - Album (2CD) (2019) [FLAC]").discography);
    let p = parse_title("Artist - Live 1998-2001 (2003) [FLAC]");
    assert!(!p.discography);
    assert_eq!(p.discography_start, None);
}
