//! B7: the RSS sync's matching. `rss::match_items` over one feed of I items
//! against a wanted list of W albums (the word index built once, as a sync
//! does), beside its limit: a bare hash lookup of each item's normalised
//! artist and album in a set of the wanted albums' normalised names (the
//! item's names given, nothing parsed), in the same run.
//!
//! The names are generated from two word lists (deterministic): wanted
//! albums and the feed's other items share words, so the index has
//! candidates to reject, and a fifth of the items are wanted albums.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::ensure;
use musicagg::indexer::Release;
use musicagg::release::normalize;
use musicagg::wanted::index::WordIndex;
use musicagg::wanted::rss::match_items;

use super::Row;

const ADJECTIVES: &[&str] = &[
    "Black",
    "Silver",
    "Quiet",
    "Electric",
    "Golden",
    "Hollow",
    "Velvet",
    "Broken",
    "Crystal",
    "Distant",
    "Frozen",
    "Gentle",
    "Hidden",
    "Iron",
    "Lonely",
    "Midnight",
    "Neon",
    "Paper",
    "Restless",
    "Scarlet",
    "Secret",
    "Static",
    "Sunken",
    "Tender",
    "Wild",
    "Wooden",
    "Young",
    "Burning",
    "Fading",
    "Northern",
    "Southern",
    "Electric Blue",
];
const NOUNS: &[&str] = &[
    "Rivers",
    "Horses",
    "Lanterns",
    "Mountains",
    "Engines",
    "Gardens",
    "Mirrors",
    "Oceans",
    "Saints",
    "Shadows",
    "Sparrows",
    "Strangers",
    "Tigers",
    "Wolves",
    "Echoes",
    "Bells",
    "Cities",
    "Dreams",
    "Flowers",
    "Ghosts",
    "Harbors",
    "Islands",
    "Kings",
    "Lights",
    "Machines",
    "Orchards",
    "Pilots",
    "Rooms",
    "Signals",
    "Stations",
    "Thieves",
    "Waves",
];

/// Name number `n` (distinct for n < ADJECTIVES × NOUNS²).
fn name(n: usize) -> String {
    let a = ADJECTIVES[n % ADJECTIVES.len()];
    let b = NOUNS[(n / ADJECTIVES.len()) % NOUNS.len()];
    let c = NOUNS[(n / (ADJECTIVES.len() * NOUNS.len())) % NOUNS.len()];
    if n < ADJECTIVES.len() * NOUNS.len() {
        format!("{a} {b}")
    } else {
        format!("{a} {b} of {c}")
    }
}

/// Album `i`: its artist and title.
fn album(i: usize) -> (String, String) {
    // Artists and titles from different stretches of the names, so that
    // one word is not both.
    (name(i * 7 + 3), name(i * 13 + 11 + 5000))
}

fn release(artist: &str, title: &str, i: usize) -> Release {
    let format = ["FLAC", "MP3 320", "FLAC 24bit", "MP3 V0"][i % 4];
    Release {
        indexer: "bench".into(),
        title: format!("{artist} - {title} ({}) [{format}]", 1990 + i % 30),
        guid: format!("guid-{i}"),
        size_bytes: Some(300_000_000),
        seeders: Some(10),
        categories: vec![3040],
        ..Release::default()
    }
}

/// Runs `f` over and over for `time` (after one warm-up call); calls per
/// second.
fn rate(time: Duration, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let found = f();
    let started = Instant::now();
    let mut calls = 0usize;
    while started.elapsed() < time {
        std::hint::black_box(f());
        calls += 1;
    }
    (calls as f64 / started.elapsed().as_secs_f64(), found)
}

pub(super) fn b7(wanted: usize, items: usize, time: Duration) -> anyhow::Result<Row> {
    let albums: Vec<(String, String)> = (0..wanted).map(album).collect();
    // Every fifth item a wanted album; the others albums not wanted, by the
    // same generator (so they share words with the list).
    let expected = items.div_ceil(5).min(wanted);
    let feed_names: Vec<(String, String)> = (0..items)
        .map(|i| {
            if i % 5 == 0 && i / 5 < wanted {
                albums[(i / 5 * 37) % wanted].clone()
            } else {
                album(wanted + i)
            }
        })
        .collect();
    let feed: Vec<Release> = feed_names
        .iter()
        .enumerate()
        .map(|(i, (artist, title))| release(artist, title, i))
        .collect();

    let built = Instant::now();
    let index = WordIndex::build(
        albums
            .iter()
            .enumerate()
            .map(|(i, (artist, title))| (artist.clone(), title.clone(), i)),
    );
    let build_time = built.elapsed();

    let (matched_rate, matched) = rate(time, || match_items(&index, &feed).len());
    ensure!(
        matched == expected,
        "match_items found {matched} wanted albums in the feed, not {expected}"
    );

    let set: HashSet<String> = albums
        .iter()
        .map(|(artist, title)| format!("{} {}", normalize(artist), normalize(title)))
        .collect();
    let (lookup_rate, looked_up) = rate(time, || {
        feed_names
            .iter()
            .filter(|(artist, title)| {
                set.contains(&format!("{} {}", normalize(artist), normalize(title)))
            })
            .count()
    });
    ensure!(
        looked_up == expected,
        "the hash lookup found {looked_up} wanted albums in the feed, not {expected}"
    );

    let pairs = (wanted * items) as f64;
    let per_feed = |r: f64| 1e6 / r.max(f64::MIN_POSITIVE);
    Ok(Row {
        bench: "B7 RSS match vs hash lookup",
        store: "—",
        size: format!("W={wanted} wanted, I={items} items, {expected} wanted in the feed"),
        measured: format!(
            "{:.1} M item×wanted/s ({:.0} µs per feed, {:.2} µs per item; index built in {:.2} ms)",
            matched_rate * pairs / 1e6,
            per_feed(matched_rate),
            per_feed(matched_rate) / items as f64,
            build_time.as_secs_f64() * 1e3
        ),
        limit: format!(
            "{:.1} M item×wanted/s ({:.0} µs per feed): normalised names in a HashSet, nothing parsed",
            lookup_rate * pairs / 1e6,
            per_feed(lookup_rate)
        ),
        ratio: format!("×{:.0}", lookup_rate / matched_rate.max(f64::MIN_POSITIVE)),
    })
}
