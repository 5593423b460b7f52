#!/usr/bin/env python3
"""Writes release_titles.tsv: a corpus of release titles made up for musicagg.

Every row's expectations come from the template or the hand-written row that
produced it, never from the parser. Columns (see HEADER); `~` = none.
Run from this directory: python3 make_corpus.py > release_titles.tsv
"""

HEADER = ["title", "codec", "bitrate_kbps", "vbr_preset", "vorbis_quality", "bit_depth",
          "sample_rate_hz", "source", "artist", "album", "year", "editions", "discography",
          "release_group", "revision", "lossless_word", "various_artists"]
NONE = "~"

def row(title, **kw):
    r = {k: NONE for k in HEADER}
    r.update(discography="no", lossless_word="no", various_artists="no", codec="unknown")
    r["title"] = title
    for k, v in kw.items():
        r[k] = str(v)
    return r

# (artist, album, year): spaced style, including names that look like tags
SPACED = [
    ("Radiohead", "OK Computer", 1997),
    ("Mp3 Killer", "Night Shift", 2015),
    ("Brain Ape", "Jungle Tapes", 2012),
    ("Roberta Flack", "First Take", 1969),
    ("Simon & Garfunkel", "Bookends", 1968),
    ("Кино", "Группа крови", 1988),
    ("宇多田ヒカル", "First Love", 1999),
    ("Sigur Rós", "Ágætis byrjun", 1999),
    ("Blink-182", "Enema of the State", 1999),
    ("The Weeknd", "320 Days", 2020),
    ("Kamasi Washington", "Magnum Opus", 2018),
    ("Moloko", "Charlotte's Web", 2003),
    ("Daft Punk", "Random Access Memories", 2013),
    ("Björk", "Homogenic", 1997),
]

# template, expectations (year is filled in)
SPACED_TEMPLATES = [
    ("{a} - {b} ({y}) [FLAC]", dict(codec="FLAC")),
    ("{a} - {b} ({y}) [FLAC 24-96]", dict(codec="FLAC", bit_depth=24, sample_rate_hz=96000)),
    ("{a} - {b} [{y}] [WEB] [FLAC]", dict(codec="FLAC", source="WEB")),
    ("{a} - {b} ({y}) [MP3 320]", dict(codec="MP3", bitrate_kbps=320)),
    ("{a} - {b} ({y}) [MP3 V0]", dict(codec="MP3", vbr_preset="V0")),
    ("{a} - {b} ({y}) [MP3, 320 kbps]", dict(codec="MP3", bitrate_kbps=320)),
    ("(Rock) [CD] {a} - {b} - {y}, FLAC (tracks+.cue), lossless",
     dict(codec="FLAC", source="CD", lossless_word="yes")),
    ("{a} - {b} - {y}, MP3, 256 kbps", dict(codec="MP3", bitrate_kbps=256)),
    ("{a} - {b} ({y}) [FLAC 24bit/192kHz] [WEB]",
     dict(codec="FLAC", bit_depth=24, sample_rate_hz=192000, source="WEB")),
    ("{a} - {b} [{y}] [AAC 256] [iTunes]", dict(codec="AAC", bitrate_kbps=256, source="WEB")),
    ("{a} - {b} ({y}) [OGG q8]", dict(codec="Vorbis", vorbis_quality=8)),
    ("{a} - {b} ({y}) [Opus 160]", dict(codec="Opus", bitrate_kbps=160)),
    ("{a} - {b} ({y}) [Vinyl] [FLAC 24-96]",
     dict(codec="FLAC", bit_depth=24, sample_rate_hz=96000, source="Vinyl")),
    ("{a} - {b} ({y}) [ALAC]", dict(codec="ALAC")),
    ("{a} - {b} ({y}) [APE] [CD]", dict(codec="APE", source="CD")),
    ("{a} - {b} (Deluxe Edition) ({y}) [FLAC]", dict(codec="FLAC", editions="deluxe,edition")),
    ("{a} - {b} ({y}) [MP3 VBR V2]", dict(codec="MP3", vbr_preset="V2")),
    ("{a} - {b} {y} FLAC", dict(codec="FLAC")),
    ("{a} - {b} ({y}) [FLAC / Lossless / Log / Cue / CD]",
     dict(codec="FLAC", source="CD", lossless_word="yes")),
    ("{a} - {b} ({y}) [WavPack]", dict(codec="WavPack")),
    ("{a} - {b} ({y}) [16-44 FLAC]", dict(codec="FLAC", bit_depth=16, sample_rate_hz=44100)),
    ("{a} - {b} ({y}) [Hi-Res]", dict(bit_depth=24)),
    ("{a} - {b} ({y}) [MP3] [CBR 320]", dict(codec="MP3", bitrate_kbps=320)),
    ("{a} - {b} [{y} Remastered] [FLAC] [PROPER]",
     dict(codec="FLAC", editions="remastered", revision="PROPER")),
]

# scene names: (artist as written, album as written, artist, album, year)
SCENE = [
    ("Daft_Punk", "Random_Access_Memories", "Daft Punk", "Random Access Memories", 2013),
    ("Artist.Name", "Album_Name", "Artist Name", "Album Name", 2019),
    ("Boards_of_Canada", "Geogaddi", "Boards of Canada", "Geogaddi", 2002),
    ("Nils.Frahm", "All.Melody", "Nils Frahm", "All Melody", 2018),
    ("Four_Tet", "Sixteen_Oceans", "Four Tet", "Sixteen Oceans", 2020),
    ("Burial", "Untrue", "Burial", "Untrue", 2007),
    ("Mp3_Killer", "Night_Shift", "Mp3 Killer", "Night Shift", 2015),
    ("Jon_Hopkins", "Singularity", "Jon Hopkins", "Singularity", 2018),
]
GROUPS = ["NOiR", "KLV", "dh", "QMX", "WRE", "PTC", "ZEN", "MOLE"]

SCENE_TEMPLATES = [
    ("{a}-{b}-WEB-FLAC-{y}-{g}", dict(codec="FLAC", source="WEB")),
    ("{a}-{b}-(CAT123)-WEB-{y}-{g}", dict(source="WEB")),
    ("{a}-{b}-2CD-FLAC-{y}-{g}", dict(codec="FLAC", source="CD")),
    ("{a}-{b}-24BIT-WEB-FLAC-{y}-{g}", dict(codec="FLAC", source="WEB", bit_depth=24)),
    ("{a}-{b}-PROPER-WEB-FLAC-{y}-{g}", dict(codec="FLAC", source="WEB", revision="PROPER")),
    ("{a}-{b}-(Deluxe_Edition)-WEB-{y}-{g}", dict(source="WEB", editions="deluxe,edition")),
    ("{a}-{b}-VINYL-FLAC-{y}-{g}", dict(codec="FLAC", source="Vinyl")),
    ("{a}-{b}-WEB-V0-{y}-{g}", dict(source="WEB", vbr_preset="V0")),
    ("{a}-{b}-CD-MP3-320-{y}-{g}", dict(codec="MP3", source="CD", bitrate_kbps=320)),
    ("{a}-{b}-REPACK-CD-{y}-{g}", dict(source="CD", revision="REPACK")),
]

SPECIAL = [
    # years and numbers that look like other things
    row("Prince - 1999 (1982) [FLAC]", codec="FLAC", artist="Prince", album="1999", year=1982),
    row("Prince - 1999 (1982) [MP3 320]", codec="MP3", bitrate_kbps=320, artist="Prince",
        album="1999", year=1982),
    row("Artist - 2019 [FLAC]", codec="FLAC", artist="Artist", album="2019"),
    row("Artist - 128 Beats (2010) [MP3 V2]", codec="MP3", vbr_preset="V2", artist="Artist",
        album="128 Beats", year=2010),
    row("Artist - Album (2019) [MP3] [128 tracks]", codec="MP3", artist="Artist",
        album="Album", year=2019),
    row("Artist - Album (2019) [MP3 2019]", codec="MP3", artist="Artist", album="Album",
        year=2019),
    row("Artist - Album (2005) [FLAC] [CAT320]", codec="FLAC", artist="Artist", album="Album",
        year=2005),
    row("Artist - Live at 320 Club (2011) [FLAC]", codec="FLAC", artist="Artist",
        album="Live at 320 Club", year=2011),
    row("Artist - Album (1998) [FLAC 24-192]", codec="FLAC", bit_depth=24,
        sample_rate_hz=192000, artist="Artist", album="Album", year=1998),
    row("Artist - Album (2016) [192 kHz]", sample_rate_hz=192000, artist="Artist",
        album="Album", year=2016),
    row("Artist - Album (2014) [FLAC] [100% Log]", codec="FLAC", artist="Artist",
        album="Album", year=2014),
    row("Sum 41 - All Killer No Filler (2001) [MP3 192]", codec="MP3", bitrate_kbps=192,
        artist="Sum 41", album="All Killer No Filler", year=2001),
    row("Artist - Album (2001) [MP3@320]", codec="MP3", bitrate_kbps=320, artist="Artist",
        album="Album", year=2001),
    row("Artist - Album (2001) [MP3 320kbps]", codec="MP3", bitrate_kbps=320, artist="Artist",
        album="Album", year=2001),
    row("Artist - Album (2001) [MP3 128]", codec="MP3", bitrate_kbps=128, artist="Artist",
        album="Album", year=2001),
    row("Artist - Album (2001) [MP3 (V0)]", codec="MP3", vbr_preset="V0", artist="Artist",
        album="Album", year=2001),
    # words that look like codecs
    row("Roberta Flack - Killing Me Softly (1973)", artist="Roberta Flack",
        album="Killing Me Softly", year=1973),
    row("Brain Ape - Jungle Tapes", artist="Brain Ape", album="Jungle Tapes"),
    row("Mp3 Killer - Night Shift", artist="Mp3 Killer", album="Night Shift"),
    row("Artist - Magnum Opus", artist="Artist", album="Magnum Opus"),
    row("Artist - Flackery (2009) [MP3 320]", codec="MP3", bitrate_kbps=320, artist="Artist",
        album="Flackery", year=2009),
    row("Wavves - Afraid of Heights (2013) [FLAC]", codec="FLAC", artist="Wavves",
        album="Afraid of Heights", year=2013),
    row("Artist - Apes and Angels (2017) [WEB] [MP3 V0]", codec="MP3", vbr_preset="V0",
        source="WEB", artist="Artist", album="Apes and Angels", year=2017),
    row("Opeth - Damnation (2003) [FLAC]", codec="FLAC", artist="Opeth", album="Damnation",
        year=2003),
    # VA compilations
    row("VA - Summer Hits (2019) [MP3 320]", codec="MP3", bitrate_kbps=320,
        artist="Various Artists", album="Summer Hits", year=2019, various_artists="yes"),
    row("Various Artists - Late Night Tales (2008) [FLAC]", codec="FLAC",
        artist="Various Artists", album="Late Night Tales", year=2008, various_artists="yes"),
    row("VA-Club_Classics-2CD-2004-KLV", source="CD", artist="Various Artists",
        album="Club Classics", year=2004, release_group="KLV", various_artists="yes"),
    row("V.A. - Jazz Moods (2011) [AAC 256]", codec="AAC", bitrate_kbps=256,
        artist="Various Artists", album="Jazz Moods", year=2011, various_artists="yes"),
    row("(Pop) VA - Хиты 90-х - 2005, MP3, 320 kbps", codec="MP3", bitrate_kbps=320,
        artist="Various Artists", album="Хиты 90-х", year=2005, various_artists="yes"),
    # discographies and packs
    row("Artist - Discography 1990-2000 [FLAC]", codec="FLAC", artist="Artist",
        album="Discography", discography="yes"),
    row("Artist - Discography (1990-2000) [MP3 320]", codec="MP3", bitrate_kbps=320,
        artist="Artist", album="Discography", discography="yes"),
    row("Artist - The Collection (2001) [FLAC]", codec="FLAC", artist="Artist",
        album="The Collection", year=2001, discography="yes"),
    row("Artist - Anthology 1965-1975 [FLAC]", codec="FLAC", artist="Artist",
        album="Anthology", discography="yes"),
    row("(Rock) Кино - Дискография - 1982-1990, FLAC (image+.cue), lossless", codec="FLAC",
        artist="Кино", album="Дискография", discography="yes", lossless_word="yes"),
    row("Artist - Complete Studio Albums (2015) [FLAC 24-96]", codec="FLAC", bit_depth=24,
        sample_rate_hz=96000, artist="Artist", album="Complete Studio Albums", year=2015,
        discography="yes"),
    # non-Latin
    row("Кино - Группа крови (1988) [FLAC]", codec="FLAC", artist="Кино",
        album="Группа крови", year=1988),
    row("(Рок) [LP] Аквариум - Радио Африка - 1983, FLAC (tracks), lossless", codec="FLAC",
        source="Vinyl", artist="Аквариум", album="Радио Африка", year=1983,
        lossless_word="yes"),
    row("【FLAC】宇多田ヒカル - First Love (1999)", codec="FLAC", artist="宇多田ヒカル",
        album="First Love", year=1999),
    row("坂本龍一 - 音楽図鑑 (1984) [FLAC 24-96]", codec="FLAC", bit_depth=24,
        sample_rate_hz=96000, artist="坂本龍一", album="音楽図鑑", year=1984),
    row("방탄소년단 - Map of the Soul (2020) [MP3 320]", codec="MP3", bitrate_kbps=320,
        artist="방탄소년단", album="Map of the Soul", year=2020),
    # brackets and editions
    row("Artist - Album (Live at Wembley) (1986) [FLAC]", codec="FLAC", artist="Artist",
        album="Album (Live at Wembley)", year=1986),
    row("Artist - Album [Deluxe] [2CD] [2011] [FLAC]", codec="FLAC", source="CD",
        artist="Artist", album="Album", year=2011, editions="deluxe"),
    row("Artist - Album (20th Anniversary Edition) (2017) [FLAC 24-96] [WEB]", codec="FLAC",
        bit_depth=24, sample_rate_hz=96000, source="WEB", artist="Artist", album="Album",
        year=2017, editions="anniversary,edition"),
    row("Artist - Album {2019} [FLAC] [WEB] [Hi-Res]", codec="FLAC", bit_depth=24,
        source="WEB", artist="Artist", album="Album", year=2019),
    row("[2019] Artist - Album [FLAC]", codec="FLAC", artist="Artist", album="Album",
        year=2019),
    row("Artist - Album Deluxe Edition 2019 FLAC", codec="FLAC", artist="Artist",
        album="Album", year=2019, editions="deluxe,edition"),
    row("Taylor Swift - Fearless (Taylor's Version) (2021) [FLAC]", codec="FLAC",
        artist="Taylor Swift", album="Fearless (Taylor's Version)", year=2021),
    row("Artist - Album (2019) [SACD] [DSD]", source="SACD", artist="Artist", album="Album",
        year=2019),
    row("Artist - Album (1977) [Cassette] [MP3 V0]", codec="MP3", vbr_preset="V0",
        source="Cassette", artist="Artist", album="Album", year=1977),
    row("Artist - Album (2005) [DVD-A] [FLAC 24-96]", codec="FLAC", bit_depth=24,
        sample_rate_hz=96000, source="DVD", artist="Artist", album="Album", year=2005),
    row("Artist - Album (2012) [WAV]", codec="WAV", artist="Artist", album="Album",
        year=2012),
    row("Artist - Album (2012) [WMA 192]", codec="WMA", bitrate_kbps=192, artist="Artist",
        album="Album", year=2012),
    row("Artist - Album (2012) [M4A ALAC]", codec="ALAC", artist="Artist", album="Album",
        year=2012),
    row("Artist - Album (2012) [Vorbis q6]", codec="Vorbis", vorbis_quality=6,
        artist="Artist", album="Album", year=2012),
    row("Artist - Album (2012) FLAC-GRP", codec="FLAC", artist="Artist", album="Album",
        year=2012, release_group="GRP"),
    row("Artist - Album 2012 MP3 320kbps", codec="MP3", bitrate_kbps=320, artist="Artist",
        album="Album", year=2012),
    # dotted and underscored, scene variants
    row("Artist.Name.Album.Name.2019.FLAC-GRP", codec="FLAC", album="Artist Name Album Name",
        year=2019, release_group="GRP"),
    row("Artist_Name-Album_Name-WEB-2019", source="WEB", artist="Artist Name",
        album="Album Name", year=2019),
    row("Artist-Album-DE-WEB-FLAC-2019-GRP", codec="FLAC", source="WEB", artist="Artist",
        album="Album", year=2019, release_group="GRP"),
    row("Artist-Album-Vol.2-WEB-2019-GRP", source="WEB", artist="Artist",
        album="Album - Vol 2", year=2019, release_group="GRP"),
    row("Artist-Album-(Remastered)-WEB-FLAC-2019-GRP", codec="FLAC", source="WEB",
        artist="Artist", album="Album", year=2019, editions="remastered",
        release_group="GRP"),
    row("Artist-Album-24BIT-96KHZ-WEB-FLAC-2019-GRP", codec="FLAC", bit_depth=24,
        sample_rate_hz=96000, source="WEB", artist="Artist", album="Album", year=2019,
        release_group="GRP"),
    row("Artist-Album-RERIP-CD-FLAC-2001-GRP", codec="FLAC", source="CD", artist="Artist",
        album="Album", year=2001, revision="RERIP", release_group="GRP"),
    # nothing recognisable
    row("Artist - Album", artist="Artist", album="Album"),
    row("Just a Title", album="Just a Title"),
]


def main():
    rows = []
    for i, (a, b, y) in enumerate(SPACED):
        for tpl, exp in SPACED_TEMPLATES:
            kw = dict(artist=a, album=b, year=y)
            kw.update(exp)
            rows.append(row(tpl.format(a=a, b=b, y=y), **kw))
    for i, (a, b, artist, album, y) in enumerate(SCENE):
        for j, (tpl, exp) in enumerate(SCENE_TEMPLATES):
            g = GROUPS[(i + j) % len(GROUPS)]
            kw = dict(artist=artist, album=album, year=y, release_group=g)
            kw.update(exp)
            rows.append(row(tpl.format(a=a, b=b, y=y, g=g), **kw))
    rows.extend(SPECIAL)
    print("\t".join(HEADER))
    for r in rows:
        print("\t".join(r[k] for k in HEADER))


if __name__ == "__main__":
    main()
