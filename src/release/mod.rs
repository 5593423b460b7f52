//! Choosing among the releases an indexer search found (the diagram's
//! `filterByQuality + selectBest`).
//!
//! A [`ReleaseSelector`] turns releases into candidates: accepted ones ranked
//! best first, rejected ones with every reason. Title parsing, quality tiers
//! and ranking come with the [releases] issue; until then `serve` uses
//! [`NoRanking`], which accepts nothing and says why.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::indexer::Release;
use crate::metadata::Album;
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
}

impl Candidate {
    pub fn summary(&self) -> CandidateSummary {
        CandidateSummary {
            indexer: self.release.indexer.clone(),
            title: self.release.title.clone(),
            guid: self.release.guid.clone(),
            info_hash: self.release.info_hash.clone(),
            size_bytes: self.release.size_bytes,
            seeders: self.release.seeders,
            quality: self.quality.clone(),
            score: self.score,
            rejections: self.rejections.clone(),
        }
    }
}

/// What clients are told about a candidate (stored in the run's outcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateSummary {
    pub indexer: String,
    pub title: String,
    pub guid: String,
    pub info_hash: Option<String>,
    pub size_bytes: Option<u64>,
    pub seeders: Option<u32>,
    pub quality: String,
    pub score: f64,
    #[serde(default)]
    pub rejections: Vec<String>,
}

/// The result of evaluating every release of a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Best first.
    pub accepted: Vec<Candidate>,
    pub rejected: Vec<Candidate>,
}

#[async_trait]
pub trait ReleaseSelector: Send + Sync + 'static {
    async fn select(&self, album: &Album, quality: Quality, releases: Vec<Release>) -> Selection;
}

/// The stand-in until release ranking exists: rejects every release with that
/// reason, so nothing is ever grabbed blindly.
#[derive(Debug, Default)]
pub struct NoRanking;

#[async_trait]
impl ReleaseSelector for NoRanking {
    async fn select(&self, _album: &Album, _quality: Quality, releases: Vec<Release>) -> Selection {
        Selection {
            accepted: Vec::new(),
            rejected: releases
                .into_iter()
                .map(|release| Candidate {
                    release,
                    quality: String::new(),
                    score: 0.0,
                    rejections: vec!["release ranking is not available yet".into()],
                })
                .collect(),
        }
    }
}
