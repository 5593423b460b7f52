//! The title corpus: every row of `tests/data/release_titles.tsv` (written
//! by `tests/data/make_corpus.py`: titles made up for this project, a
//! near-miss beside every rule, and the titles of the real-format feeds in
//! `tests/data/torznab`) parsed, and every field compared. `~` means "none".
//! Then real titles with another project's expectations.

use musicagg::release::{ParsedTitle, parse_title};

const CORPUS: &str = include_str!("data/release_titles.tsv");

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "~".into())
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// The parsed fields in the corpus's column order (after the title).
fn fields(p: &ParsedTitle) -> Vec<(&'static str, String)> {
    vec![
        ("codec", p.codec.name().to_owned()),
        ("bitrate_kbps", opt(p.bitrate_kbps)),
        ("vbr_preset", opt(p.vbr_preset)),
        ("vorbis_quality", opt(p.vorbis_quality)),
        ("bit_depth", opt(p.bit_depth)),
        ("sample_rate_hz", opt(p.sample_rate_hz)),
        ("source", opt(p.source)),
        ("artist", opt(p.artist.as_deref())),
        ("album", opt(p.album.as_deref())),
        ("year", opt(p.year)),
        (
            "editions",
            if p.editions.is_empty() {
                "~".into()
            } else {
                p.editions.join(",")
            },
        ),
        ("discography", yes_no(p.discography)),
        ("discography_start", opt(p.discography_start)),
        ("discography_end", opt(p.discography_end)),
        ("release_group", opt(p.release_group.as_deref())),
        ("revision", opt(p.revision)),
        ("lossless_word", yes_no(p.lossless_word)),
        ("various_artists", yes_no(p.various_artists)),
        ("unparseable", yes_no(p.unparseable)),
    ]
}

#[test]
fn every_field_of_every_title() {
    let mut lines = CORPUS.lines();
    let header: Vec<&str> = lines.next().expect("header row").split('\t').collect();
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cells.len(),
            header.len(),
            "row {} has {} cells",
            n + 2,
            cells.len()
        );
        rows += 1;
        let parsed = parse_title(cells[0]);
        let got = fields(&parsed);
        assert_eq!(
            got.len() + 1,
            header.len(),
            "the test and the corpus disagree on columns"
        );
        for ((name, value), (column, expected)) in
            got.iter().zip(header[1..].iter().zip(&cells[1..]))
        {
            assert_eq!(name, column, "column order");
            if value != expected {
                failures.push(format!(
                    "line {}: {:?}\n    {name}: expected {expected:?}, got {value:?}",
                    n + 2,
                    cells[0]
                ));
            }
        }
    }
    assert!(rows >= 300, "only {rows} titles in the corpus");
    assert!(
        failures.is_empty(),
        "{} mismatches in {rows} titles:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Real titles collected by another project for its own parser tests
/// (`tests/data/real_titles.tsv`): the shapes indexers really return, with
/// expectations nobody here wrote. Known misreads stay listed and must stay
/// wrong until fixed (then the row says `ok`), so the figure is honest.
#[test]
fn real_titles_from_another_projects_tests() {
    let data = include_str!("data/real_titles.tsv");
    let mut lines = data.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header row").split('\t').collect();
    assert_eq!(
        header,
        [
            "title",
            "artist",
            "album",
            "discography",
            "quality",
            "group",
            "unparseable",
            "status"
        ]
    );
    let (mut right, mut misread, mut failures) = (0, 0, Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), header.len(), "bad row: {line}");
        let report =
            musicagg::release::parse_report(cells[0], None, None, None, None, &Default::default());
        let p = parse_title(cells[0]);
        let got = [
            opt(p.artist.as_deref()),
            opt(p.album.as_deref()),
            yes_no(p.discography),
            quality_class(&report),
            opt(p.release_group.as_deref()),
            yes_no(p.unparseable),
        ];
        let wrong: Vec<String> = got
            .iter()
            .zip(&cells[1..7])
            .filter(|(g, e)| **e != "-" && g.as_str() != **e)
            .map(|(g, e)| format!("expected {e:?}, got {g:?}"))
            .collect();
        match (cells[7], wrong.is_empty()) {
            ("ok", true) => right += 1,
            ("misread", false) => misread += 1,
            ("ok", false) => failures.push(format!("{:?}: {}", cells[0], wrong.join("; "))),
            ("misread", true) => {
                failures.push(format!("{:?} is read right now: mark it ok", cells[0]))
            }
            (other, _) => panic!("bad status {other:?} in {line}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} real titles read wrong:\n{}",
        failures.len(),
        right + misread + failures.len(),
        failures.join("\n")
    );
    assert!(right >= 100, "only {right} real titles checked");
    eprintln!("{right} real titles read right, {misread} known misreads");
}

/// "MP3 320", "MP3 V0", "FLAC", "FLAC 24", "AAC 256", "Vorbis q10",
/// "unknown": the quality a title names, in the terms of the real-title
/// file. A bitrate without a codec is MP3 by convention; a 24-bit title
/// without a codec is 24-bit lossless.
fn quality_class(report: &serde_json::Value) -> String {
    let codec = match report["codec"].as_str() {
        Some(c) => c.to_owned(),
        None if report["decided_by"]
            .as_str()
            .is_some_and(|d| d.starts_with("bitrate without a codec")) =>
        {
            "MP3".into()
        }
        None if report["quality_tier"] == "lossless_hires" => return "FLAC 24".into(),
        None => return "unknown".into(),
    };
    let detail = match codec.as_str() {
        "MP3" => report["vbr_preset"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| report["bitrate_kbps"].as_u64().map(|b| b.to_string())),
        "AAC" => report["bitrate_kbps"].as_u64().map(|b| b.to_string()),
        "Vorbis" => report["vorbis_quality"].as_u64().map(|q| format!("q{q}")),
        "FLAC" => (report["bit_depth"].as_u64() >= Some(24)).then(|| "24".into()),
        _ => None,
    };
    match detail {
        Some(d) => format!("{codec} {d}"),
        None => codec,
    }
}

/// Real titles another project (Lidarr) reads knowing the wanted artist and
/// album, with its verdicts: the same title, wanted names, and whether it
/// is that album. Read through the same matcher the selector uses.
#[test]
fn real_titles_read_knowing_the_wanted_album() {
    let cases: &[(&str, &str, &str, bool)] = &[
        (
            "Black Sabbath - Black Sabbath FLAC",
            "Black Sabbath",
            "Black Sabbath",
            true,
        ),
        (
            "Black Sabbath Black Sabbath FLAC",
            "Black Sabbath",
            "Black Sabbath",
            true,
        ),
        (
            "BlaCk SabBaTh Black SabBatH FLAC",
            "Black Sabbath",
            "Black Sabbath",
            true,
        ),
        (
            "Black.Sabbath-FLAC-Black.Sabbath",
            "Black Sabbath",
            "Black Sabbath",
            true,
        ),
        (
            "Black_Sabbath-FLAC-Black_Sabbath",
            "Black Sabbath",
            "Black Sabbath",
            true,
        ),
        ("Black Sabbath  Black Sabbath FLAC", "Abba", "Abba", false),
        ("Ed Sheeran   ? Divide FLAC", "Ed Sheeran", "Divide", true),
        ("Hey - BŁYSK FLAC", "Hey", "BŁYSK", true),
        ("??? Album FLAC", "???", "Album", true),
        (
            "+44 When Your Heart Stops Beating FLAC",
            "+44",
            "When Your Heart Stops Beating",
            true,
        ),
        (
            "Michael Buble Michael Buble CD FLAC 2003 PERFECT",
            "Michael Bublé",
            "Michael Bublé",
            true,
        ),
    ];
    let mut wrong = Vec::new();
    for &(title, artist, album, expected) in cases {
        let verdict =
            musicagg::release::match_names(title, &parse_title(title), artist, album, false);
        if verdict.rejections.is_empty() != expected {
            wrong.push(format!(
                "{title:?} for {artist:?} / {album:?}: expected {}, got {:?}",
                if expected { "a match" } else { "no match" },
                verdict.rejections
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
