//! Property tests: no input makes the parsers panic, and what they return
//! keeps its promises. They run with the normal unit tests in bounded time
//! (a fixed number of cases over small inputs), so CI fuzzes on every run.
//!
//! Three input families: arbitrary bytes; real fixtures (Jackett, Prowlarr,
//! a third-party feed, caps, errors) with random edits; and soups of XML
//! fragments that are likelier than random bytes to reach deep parser states.

use proptest::prelude::*;

use super::caps::parse_caps;
use super::feed::parse_feed;
use super::query::clean_term;
use super::text::{html_unescape, prepare_document};
use super::values::{normalize_info_hash, parse_date};

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../tests/data/torznab/jackett-search.xml"),
    include_bytes!("../../tests/data/torznab/prowlarr-search.xml"),
    include_bytes!("../../tests/data/torznab/thirdparty-search.xml"),
    include_bytes!("../../tests/data/torznab/jackett-caps-music-params.xml"),
    include_bytes!("../../tests/data/torznab/prowlarr-caps.xml"),
    include_bytes!("../../tests/data/torznab/jackett-error-100.xml"),
    include_bytes!("../../tests/data/torznab/proxy-502.html"),
];

const FRAGMENTS: &[&str] = &[
    "<rss>",
    "</rss>",
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<torznab:attr name=\"size\" value=\"",
    "<newznab:attr name=\"seeders\" value=\"",
    "<attr name=\"infohash\" value=\"",
    "\"/>",
    "<enclosure url=\"magnet:?xt=urn:btih:",
    "\" length=\"",
    "<link>http://x/1</link>",
    "<size/>",
    "<pubDate>",
    "Sat, 14 Mar 2015 17:10:42 -0400",
    "<error code=\"",
    "<caps>",
    "<music-search available=\"yes\" supportedParams=\"q,artist,album\"/>",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "&amp;",
    "&eacute;",
    "&#x",
    "&#",
    ";",
    "&",
    "<",
    ">",
    "\"",
    "'",
    "=",
    "\u{FEFF}",
    "\u{0}",
    "é",
    "9F3C2A1B0E4D5C6B7A8F9E0D1C2B3A4F5E6D7C8B",
    "BINSYPKOL5QHDAUTUS24NV7I7EASGRLH",
    "18446744073709551616",
    "-1",
    "NaN",
];

fn seed(index: usize) -> Vec<u8> {
    let raw = FIXTURES[index % FIXTURES.len()];
    String::from_utf8_lossy(raw)
        .replace("{{BASE}}", "http://127.0.0.1:9117")
        .into_bytes()
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Overwrite(usize, Vec<u8>),
    Truncate(usize),
    Duplicate(usize, usize),
    Fragment(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = proptest::collection::vec(any::<u8>(), 1..8);
    prop_oneof![
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<usize>(), bytes.clone()).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), bytes).prop_map(|(at, b)| Edit::Overwrite(at, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1..256usize).prop_map(|(at, len)| Edit::Duplicate(at, len)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, f)| Edit::Fragment(at, f)),
    ]
}

fn apply(mut doc: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = doc.len();
        let at = |position: usize| if len == 0 { 0 } else { position % (len + 1) };
        match edit {
            Edit::Delete(p, n) => {
                let start = at(*p);
                let end = (start + n).min(len);
                doc.drain(start..end);
            }
            Edit::Insert(p, bytes) => {
                let start = at(*p);
                doc.splice(start..start, bytes.iter().copied());
            }
            Edit::Overwrite(p, bytes) => {
                let start = at(*p);
                for (offset, byte) in bytes.iter().enumerate() {
                    if let Some(slot) = doc.get_mut(start + offset) {
                        *slot = *byte;
                    }
                }
            }
            Edit::Truncate(p) => doc.truncate(at(*p)),
            Edit::Duplicate(p, n) => {
                let start = at(*p);
                let end = (start + n).min(len);
                let copy = doc[start..end].to_vec();
                doc.splice(end..end, copy);
            }
            Edit::Fragment(p, f) => {
                let start = at(*p);
                let fragment = FRAGMENTS[f % FRAGMENTS.len()].as_bytes();
                doc.splice(start..start, fragment.iter().copied());
            }
        }
    }
    doc
}

/// Runs every parser on `body` and checks the promises of what comes back.
fn check_everything(body: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(feed) = parse_feed(body, "fuzz") {
        for release in &feed.releases {
            prop_assert!(!release.title.is_empty());
            prop_assert!(!release.guid.is_empty());
            prop_assert!(release.download_url.is_some() || release.magnet_uri.is_some());
            if let Some(hash) = &release.info_hash {
                prop_assert_eq!(hash.len(), 40);
                prop_assert!(
                    hash.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                );
            }
            prop_assert_ne!(release.size_bytes, Some(0));
            let mut categories = release.categories.clone();
            categories.dedup();
            prop_assert_eq!(categories.len(), release.categories.len());
            if let Some(factor) = release.download_volume_factor {
                prop_assert!(factor.is_finite() && factor >= 0.0);
            }
        }
    }
    let _ = parse_caps(body);
    let text = String::from_utf8_lossy(body);
    let _ = prepare_document(body);
    let _ = html_unescape(&text);
    let _ = parse_date(&text);
    let _ = normalize_info_hash(&text);
    let cleaned = clean_term(&text);
    prop_assert_eq!(
        clean_term(&cleaned),
        cleaned.clone(),
        "cleaning is idempotent"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_everything(&body)?;
    }

    #[test]
    fn mutated_real_feeds_never_panic(
        index in 0..FIXTURES.len(),
        edits in proptest::collection::vec(edit(), 1..12),
    ) {
        check_everything(&apply(seed(index), &edits))?;
    }

    #[test]
    fn fragment_soups_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..96)) {
        let body: String = picks.into_iter().map(|i| FRAGMENTS[i]).collect();
        check_everything(body.as_bytes())?;
    }

    #[test]
    fn short_strings_never_panic_the_value_parsers(text in "\\PC{0,40}") {
        check_everything(text.as_bytes())?;
    }
}

#[test]
fn the_unmutated_fixtures_parse() {
    for index in 0..3 {
        let feed = parse_feed(&seed(index), "fixture").expect("a fixture parses");
        assert!(!feed.releases.is_empty(), "fixture {index}");
        assert_eq!(feed.skipped, 0, "fixture {index}");
    }
}
