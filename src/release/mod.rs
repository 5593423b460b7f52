//! Choosing among the releases an indexer search found (the diagram's
//! `filterByQuality + selectBest`).
//!
//! A [`ReleaseSelector`] turns releases into candidates: accepted ones ranked
//! best first, rejected ones with every reason. [`RankingSelector`] is the
//! real one; [`NoRanking`] accepts nothing and says why (for tests and
//! set-ups without ranking).
//!
//! One concept per module: [`parse_title`] (title → [`ParsedTitle`]),
//! [`infer_quality`] (title + category + size → [`QualityGuess`]),
//! [`tier_rank`] (quality tiers), [`check_album`] (album match),
//! [`Rejection`] and its inputs ([`TermFilter`], [`Blocklist`]), the score
//! ([`ScoreParts`]), and [`parse_report`] for `musicagg parse`.

mod audio;
mod evidence;
mod known;
mod matching;
mod rank;
mod report;
mod rules;
mod selector;
mod text;
mod tier;
mod title;
mod vocab;

pub use audio::{Codec, Revision, Source, VbrPreset};
pub use evidence::{
    CATEGORY_LOSSLESS, CATEGORY_MP3, Evidence, QualityGuess, album_duration, average_kbps,
    infer_quality, vorbis_kbps,
};
pub use known::ReadAs;
pub use matching::{
    AlbumMatch, album_matches, artist_matches, check_album, match_album, match_names,
};
pub use rank::{DEFAULT_INDEXER_PRIORITY, ScoreParts, compare, seeder_bucket, size_closeness};
pub use report::{Wanted, details_json, parse_report};
pub use rules::{Blocklist, Rejection, TermError, TermFilter, human_size, release_info_hash};
pub use selector::{Evaluation, RankingSelector};
pub use text::{loose_key, match_key, normalize};
pub use tier::{
    EXTRAS_ALLOWANCE_BYTES, expected_kbps, expected_size, narrowest_tier, quality_label, tier_rank,
};
pub use title::{ParsedTitle, parse_title};

use async_trait::async_trait;

use crate::indexer::Release;
use crate::metadata::Album;
pub use crate::model::CandidateSummary;
use crate::model::Quality;

/// One release with its evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub release: Release,
    /// Human-readable parsed quality, e.g. "FLAC 24-bit"; empty when unknown.
    pub quality: String,
    pub score: f64,
    /// Empty for an accepted candidate.
    pub rejections: Vec<String>,
    /// The evaluation behind the verdict: parsed fields, quality evidence,
    /// score parts (JSON, stored with the run; `Null` when not known).
    pub details: serde_json::Value,
}

/// What the selector must know about the album beyond the search results.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Info hashes already grabbed for this album (pending or added).
    pub grabbed: std::collections::HashSet<String>,
    /// Releases not to grab again (their download failed).
    pub blocklist: Blocklist,
}

impl Candidate {
    pub fn summary(&self) -> CandidateSummary {
        CandidateSummary {
            indexer: self.release.indexer.clone(),
            title: self.release.title.clone(),
            // Stored and shown: a guid may be a download link with a key.
            guid: shown_guid(&self.release.guid),
            info_hash: self.release.info_hash.clone(),
            size_bytes: self.release.size_bytes,
            seeders: self.release.seeders,
            quality: self.quality.clone(),
            score: self.score,
            rejections: self.rejections.clone(),
            details: self.details.clone(),
        }
    }
}

/// A guid as stored and shown: URL-like guids lose their query values and
/// opaque path segments (Jackett and Prowlarr links carry API keys).
fn shown_guid(guid: &str) -> String {
    match url::Url::parse(guid) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => crate::magnet::redact(&url),
        _ => guid.to_owned(),
    }
}

/// The result of evaluating every release of a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Best first.
    pub accepted: Vec<Candidate>,
    pub rejected: Vec<Candidate>,
}

impl Selection {
    /// The rejected candidates counted by kind of rejection, most first
    /// ("3 not in the requested tier, 2 not a release title"); a candidate
    /// with several reasons counts once under each. Empty when nothing was
    /// rejected or the kinds are not known.
    pub fn rejection_counts(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for c in &self.rejected {
            let kinds = c.details["rejection_kinds"].as_array();
            for kind in kinds.into_iter().flatten().filter_map(|k| k.as_str()) {
                match counts.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((kind, 1)),
                }
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[async_trait]
pub trait ReleaseSelector: Send + Sync + 'static {
    async fn select(
        &self,
        album: &Album,
        quality: Quality,
        releases: Vec<Release>,
        history: &History,
    ) -> Selection;
}

/// The stand-in until release ranking exists: rejects every release with that
/// reason, so nothing is ever grabbed blindly.
#[derive(Debug, Default)]
pub struct NoRanking;

#[async_trait]
impl ReleaseSelector for NoRanking {
    async fn select(
        &self,
        _album: &Album,
        _quality: Quality,
        releases: Vec<Release>,
        _history: &History,
    ) -> Selection {
        Selection {
            accepted: Vec::new(),
            rejected: releases
                .into_iter()
                .map(|release| Candidate {
                    release,
                    quality: String::new(),
                    score: 0.0,
                    rejections: vec!["release ranking is not available yet".into()],
                    details: serde_json::Value::Null,
                })
                .collect(),
        }
    }
}
