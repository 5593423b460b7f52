//! The offer a manual run waits on: what was offered and the one decision
//! taken on it.
//!
//! The store keeps the offered candidates as an opaque JSON document (the
//! workflow owns its shape) and guarantees one thing: [`OfferStore::decide`]
//! records at most one decision per offer, whoever races for it (two clients
//! choosing, a decline, the expiry, a cancel) — a conditional UPDATE, so it
//! holds across connections and processes. Its guard also refuses any answer
//! once the run has ended (the terminal event empties the document in its own
//! transaction, see [`Store::append_event`](super::Store::append_event)) and
//! any choice or decline past the offer's deadline.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::model::{Event, RunId};

/// What ended the wait for a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A client chose the candidate offered under this guid.
    Chosen(String),
    Declined,
    /// No choice within `[manual] choice_timeout`.
    Expired,
    /// CancelWorkflow took the offer first: no choice may follow it.
    Cancelled,
}

/// What a run's offer document becomes when the run ends.
pub(crate) fn ended_document() -> serde_json::Value {
    serde_json::json!([])
}

impl Decision {
    /// (decision, chosen_guid) as stored.
    pub(crate) fn columns(&self) -> (&'static str, Option<&str>) {
        match self {
            Decision::Chosen(guid) => ("chosen", Some(guid)),
            Decision::Declined => ("declined", None),
            Decision::Expired => ("expired", None),
            Decision::Cancelled => ("cancelled", None),
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
            (Some("cancelled"), _) => Ok(Some(Decision::Cancelled)),
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

impl StoredOffer {
    /// True once the run has ended (its document was emptied).
    pub fn is_ended(&self) -> bool {
        self.candidates == ended_document()
    }
}

#[async_trait]
pub trait OfferStore: Send + Sync + 'static {
    /// Appends the run's AWAITING_CHOICE event that carries the offer
    /// (`payload`, what clients see) and writes the offer row (`candidates`,
    /// the workflow's document) in one transaction: whoever sees the event
    /// finds the row. As [`Store::append_event`](super::Store::append_event)
    /// otherwise ([`StoreError::RunFinished`] once the run has ended).
    async fn append_offer(
        &self,
        run_id: RunId,
        message: &str,
        payload: &serde_json::Value,
        expires_at: DateTime<Utc>,
        candidates: &serde_json::Value,
    ) -> Result<Event, StoreError>;

    async fn offer(&self, run_id: RunId) -> Result<Option<StoredOffer>, StoreError>;

    /// Only the decision of a run's offer (None: undecided, or no offer).
    async fn decision(&self, run_id: RunId) -> Result<Option<Decision>, StoreError>;

    /// Records `decision` if the offer has none yet and the run has not
    /// ended; a choice or a decline also only before the offer's deadline
    /// ([`Decision::Expired`] is the deadline's own decision). True when this
    /// call's decision is the one that holds, false otherwise (another came
    /// first, the run ended, the offer expired, or there is no offer).
    async fn decide(&self, run_id: RunId, decision: &Decision) -> Result<bool, StoreError>;
}
