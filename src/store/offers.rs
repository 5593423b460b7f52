//! The offer a manual run waits on: what was offered and the one decision
//! taken on it.
//!
//! The store keeps the offered candidates as an opaque JSON document (the
//! workflow owns its shape) and guarantees one thing: [`OfferStore::decide`]
//! records at most one decision per offer, whoever races for it (two clients
//! choosing, a decline, the expiry) — a conditional UPDATE, so it holds across
//! connections and processes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::model::RunId;

/// What ended the wait for a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A client chose the candidate offered under this guid.
    Chosen(String),
    Declined,
    /// No choice within `[manual] choice_timeout`.
    Expired,
}

impl Decision {
    /// (decision, chosen_guid) as stored.
    pub(crate) fn columns(&self) -> (&'static str, Option<&str>) {
        match self {
            Decision::Chosen(guid) => ("chosen", Some(guid)),
            Decision::Declined => ("declined", None),
            Decision::Expired => ("expired", None),
        }
    }

    pub(crate) fn from_columns(
        decision: Option<&str>,
        guid: Option<String>,
    ) -> Result<Option<Self>, StoreError> {
        match (decision, guid) {
            (None, _) => Ok(None),
            (Some("chosen"), Some(guid)) => Ok(Some(Decision::Chosen(guid))),
            (Some("declined"), _) => Ok(Some(Decision::Declined)),
            (Some("expired"), _) => Ok(Some(Decision::Expired)),
            (Some(other), _) => Err(StoreError::corrupt(
                "offers",
                format!("unknown decision {other:?}"),
            )),
        }
    }
}

/// A stored offer.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOffer {
    pub run_id: RunId,
    pub expires_at: DateTime<Utc>,
    /// The workflow's document (empty once the run ended).
    pub candidates: serde_json::Value,
    pub decision: Option<Decision>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait OfferStore: Send + Sync + 'static {
    /// Writes the offer of a run (once; a second call replaces the document
    /// but never a decision).
    async fn save_offer(
        &self,
        run_id: RunId,
        expires_at: DateTime<Utc>,
        candidates: &serde_json::Value,
    ) -> Result<(), StoreError>;

    async fn offer(&self, run_id: RunId) -> Result<Option<StoredOffer>, StoreError>;

    /// Records `decision` if the offer has none yet: true when this call's
    /// decision is the one that holds, false when another came first (or
    /// there is no offer).
    async fn decide(&self, run_id: RunId, decision: &Decision) -> Result<bool, StoreError>;

    /// Empties the offered document once the run has ended: the download
    /// links in it may carry an indexer's API key and are no longer needed.
    async fn forget_offer(&self, run_id: RunId) -> Result<(), StoreError>;
}
