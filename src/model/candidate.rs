//! What clients are told about a release a run evaluated.

use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}
