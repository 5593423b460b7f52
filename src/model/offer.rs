//! What a manual run offers its clients: every candidate with its verdict,
//! and until when the offer stands.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CandidateSummary;

/// The payload of a run's offer event, under the key `offer` (so an event is
/// an offer by its payload, whatever else its status event says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub expires_at: DateTime<Utc>,
    /// Accepted candidates best first, then the rejected ones. Each guid is
    /// unique within the offer: it is what a client chooses by.
    pub candidates: Vec<OfferedCandidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferedCandidate {
    pub accepted: bool,
    pub candidate: CandidateSummary,
}

impl Offer {
    /// The event payload that carries this offer.
    pub fn to_payload(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self)
            .ok()
            .map(|offer| serde_json::json!({ "offer": offer }))
    }

    /// The offer an event's payload carries, if it is an offer event.
    pub fn from_payload(payload: Option<&serde_json::Value>) -> Option<Self> {
        payload
            .and_then(|p| p.get("offer"))
            .and_then(|o| serde_json::from_value(o.clone()).ok())
    }
}
