//! The tag scanner on single tag groups.
use super::*;

fn scan(s: &str) -> AudioTags {
    let mut a = AudioTags::default();
    a.scan(s);
    a
}

#[test]
fn depth_and_rate_forms() {
    for (s, d, r) in [
        ("FLAC 24-96", 24, 96_000),
        ("24/192", 24, 192_000),
        ("24bit/96kHz", 24, 96_000),
        ("24 bit 44.1 kHz", 24, 44_100),
        ("16-44", 16, 44_100),
        ("24-88.2", 24, 88_200),
    ] {
        let a = scan(s);
        assert_eq!((a.bit_depth, a.sample_rate_hz), (Some(d), Some(r)), "{s}");
        assert_eq!(a.bitrate_kbps, None, "{s}");
    }
    assert_eq!(scan("Hi-Res").bit_depth, Some(24));
    assert_eq!(scan("FLAC24").bit_depth, Some(24));
    for s in [
        "FLAC24bit",
        "FLAC 24 bit",
        "24BIT",
        "24bit",
        "[TR24]",
        "FLAC24-bit",
    ] {
        assert_eq!(scan(s).bit_depth, Some(24), "{s}");
        assert_eq!(scan(s).bitrate_kbps, None, "{s}");
    }
    assert_eq!(scan("FLAC24bit").codec, Some(Codec::Flac));
    let a = scan("24-bit/96kHz");
    assert_eq!((a.bit_depth, a.sample_rate_hz), (Some(24), Some(96_000)));
    // near misses: not a depth
    assert_eq!(scan("24 Hours").bit_depth, None);
    assert_eq!(scan("TR2400").bit_depth, None);
}

#[test]
fn bitrates_need_context() {
    assert_eq!(scan("MP3, 320 kbps").bitrate_kbps, Some(320));
    assert_eq!(scan("MP3 320").bitrate_kbps, Some(320));
    assert_eq!(scan("CBR 320").bitrate_kbps, Some(320));
    assert_eq!(scan("320kbps").bitrate_kbps, Some(320));
    assert_eq!(scan("Live at 320 Club").bitrate_kbps, None);
    assert_eq!(scan("MP3 2019").bitrate_kbps, None);
    assert_eq!(scan("MP3 128 tracks").bitrate_kbps, None);
    assert_eq!(scan("WEB 320").bitrate_kbps, Some(320));
    assert_eq!(scan("2017 320").bitrate_kbps, Some(320));
    assert_eq!(scan("MP3 @256").bitrate_kbps, Some(256));
    assert_eq!(scan("MP3-192kbps").bitrate_kbps, Some(192));
    assert_eq!(scan("WEB 320").codec, None);
    // near misses: not alone, or not a standard bitrate
    assert_eq!(scan("WEB 182").bitrate_kbps, None);
    assert_eq!(scan("2LP 64").bitrate_kbps, None);
    assert_eq!(scan("CD 320 Days").bitrate_kbps, None);
    assert_eq!(scan("OGG q8").vorbis_quality, Some(8));
    assert_eq!(scan("Opus 160").bitrate_kbps, Some(160));
    assert_eq!(scan("VBR V0").vbr_preset, Some(VbrPreset(0)));
    assert_eq!(scan("APS").vbr_preset, Some(VbrPreset(2)));
}

#[test]
fn whole_words_only() {
    assert_eq!(scan("Flack").codec, None);
    assert_eq!(scan("Apes").codec, None);
    assert_eq!(scan("CAT320").bitrate_kbps, None);
    assert_eq!(scan("M4A ALAC").codec, Some(Codec::Alac));
    assert_eq!(scan("M4A").codec, Some(Codec::Aac));
    assert_eq!(scan("Dsdx").codec(), None);
}

#[test]
fn dsd_forms() {
    for (s, rate) in [
        ("DSD64", Some(2_822_400)),
        ("DSD 128", Some(5_644_800)),
        ("DSF", None),
        ("DFF", None),
        ("SACD ISO", None),
        ("SACD-ISO", None),
    ] {
        let a = scan(s);
        assert_eq!(
            (a.codec(), a.sample_rate_hz),
            (Some(Codec::Dsd), rate),
            "{s}"
        );
    }
    // DSD converted to PCM: the PCM codec is what the files are
    let a = scan("DSD64 > FLAC 24-88");
    assert_eq!(
        (a.codec(), a.sample_rate_hz),
        (Some(Codec::Flac), Some(88_200))
    );
    assert_eq!(scan("SACD").codec(), None);
    assert_eq!(scan("24B-96K").sample_rate_hz, Some(96_000));
    let a = scan("FLAC 24B 96K");
    assert_eq!(
        (a.bit_depth, a.sample_rate_hz, a.bitrate_kbps),
        (Some(24), Some(96_000), None)
    );
    assert_eq!(scan("DSD 5.6 MHz").sample_rate_hz, Some(5_644_800));
    assert_eq!(scan("DSD 22.5 MHz").sample_rate_hz, Some(22_579_200));
    assert_eq!(scan("2LP").source, Some(Source::Vinyl));
    assert_eq!(scan("EAC").source, Some(Source::Cd));
}

#[test]
fn dates_underscores_and_lone_bitrates() {
    let a = scan("2019-03-15");
    assert_eq!((a.year, a.year_range), (Some(2019), false));
    assert!(scan("1990-95").year_range);
    assert_eq!(scan("MP3_320").bitrate_kbps, Some(320));
    assert_eq!(scan("320").bitrate_kbps, Some(320));
    assert_eq!(scan("320 Days").bitrate_kbps, None);
    assert_eq!(scan("64").bitrate_kbps, None);
    assert_eq!(scan("FLAC 24").bit_depth, Some(24));
}

#[test]
fn glued_and_store_codec_forms() {
    for (s, codec, source) in [
        ("WEBFLAC", Codec::Flac, Some(Source::Web)),
        ("CDFLAC", Codec::Flac, Some(Source::Cd)),
        ("FLAC M4A", Codec::Flac, None),
        ("iTunes Plus", Codec::Aac, Some(Source::Web)),
        ("AAC-VBR", Codec::Aac, None),
        ("Ogg-Vorbis Q10", Codec::Vorbis, None),
    ] {
        let a = scan(s);
        assert_eq!((a.codec, a.source), (Some(codec), source), "{s}");
    }
    assert!(scan("iTunes Plus").itunes);
    assert_eq!(scan("Ogg-Vorbis Q10").vorbis_quality, Some(10));
    assert_eq!(scan("AAC, 256 kbps VBR").bitrate_kbps, Some(256));
    // a group named NBFLAC is not a codec
    assert_eq!(scan("NBFLAC").codec, None);
    assert_eq!(scan("WEBFLACK").codec, None);
}
