//! Parser throughput: `parse_title` over every title of the corpus.
//!
//! Run: `cargo bench --bench parse`. Criterion reports time per iteration
//! and, through `Throughput::Elements`, titles per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use musicagg::release::parse_title;

const CORPUS: &str = include_str!("../tests/data/release_titles.tsv");

fn titles() -> Vec<&'static str> {
    CORPUS
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|t| !t.is_empty())
        .collect()
}

fn parse_corpus(c: &mut Criterion) {
    let titles = titles();
    // compile the lazily built patterns outside the measurement
    for t in &titles {
        black_box(parse_title(t));
    }
    let mut group = c.benchmark_group("parse_title");
    group.throughput(Throughput::Elements(titles.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for t in &titles {
                black_box(parse_title(black_box(t)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse_corpus);
criterion_main!(benches);
