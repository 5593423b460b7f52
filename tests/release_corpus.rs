//! The title corpus: every row of `tests/data/release_titles.tsv` (titles
//! made up for this project by `tests/data/make_corpus.py`) parsed, and every
//! field compared. `~` means "none".

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
