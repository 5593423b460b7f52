//! Manual mode: the run offers every candidate and waits for a decision.
//!
//! After PARSING_RESULTS a manual run writes AWAITING_CHOICE, then one offer
//! event whose payload is the clients' `CandidateOffer` (accepted candidates
//! best first, then rejected ones with every reason). The offer event and the
//! offer row (the releases with their download links, for the grab) are
//! committed together ([`crate::store::OfferStore::append_offer`]), then the
//! event is published: a client that saw the offer, live or replayed, always
//! finds its row. The run's terminal event empties the row's document.
//!
//! The decision (a choice, a decline, the expiry, a cancel) is taken in the
//! store, once ([`crate::store::OfferStore::decide`]); the registry entry only
//! wakes the waiting run, which reads the decision at least every minute and
//! rides out a failing database there (a day-long wait is not ended by one
//! error). The run counts as waiting until ADDING_TORRENT is stored: a
//! shutdown before that leaves it AWAITING_CHOICE, and the next start carries
//! out the stored decision. The chosen release then goes through the same
//! grab as an automatic run's best one ([`Steps::grab_first_that_works`]),
//! with the blocklist lifted for it: the user knows better, and the event
//! names every rule the choice overrides.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StopRequest;
use super::monitor::{Ending, StepError};
use super::steps::{Steps, describe, history, stored_order};
use crate::indexer::Release;
use crate::metadata::Album;
use crate::model::{CandidateSummary, Offer, OfferedCandidate, Outcome, WorkflowStatus};
use crate::release::{Candidate, Selection};
use crate::store::Decision;

/// The longest a waiting run sleeps before it looks at the store again (a
/// wake-up is never needed for correctness, only for promptness).
const RECHECK: Duration = Duration::from_secs(60);

/// The first wait after the store failed to answer (doubling up to
/// [`RECHECK`]).
const RETRY: Duration = Duration::from_millis(500);

/// What the offer row keeps: enough to grab any candidate after a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OfferDocument {
    pub album: Album,
    pub candidates: Vec<OfferedRelease>,
}

/// One offered candidate with its whole release (download link included).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OfferedRelease {
    /// Unique within the offer: what a client chooses by.
    pub guid: String,
    /// Its place in the run's stored candidates.
    pub position: usize,
    pub accepted: bool,
    pub release: Release,
    pub quality: String,
    pub score: f64,
    pub rejections: Vec<String>,
    #[serde(default)]
    pub details: serde_json::Value,
}

impl OfferedRelease {
    fn from_candidate(c: &Candidate, guid: String, position: usize, accepted: bool) -> Self {
        Self {
            guid,
            position,
            accepted,
            release: c.release.clone(),
            quality: c.quality.clone(),
            score: c.score,
            rejections: c.rejections.clone(),
            details: c.details.clone(),
        }
    }

    pub(super) fn candidate(&self) -> Candidate {
        Candidate {
            release: self.release.clone(),
            quality: self.quality.clone(),
            score: self.score,
            rejections: self.rejections.clone(),
            details: self.details.clone(),
        }
    }

    /// As clients see it: the shown release, under its offered guid.
    pub(super) fn summary(&self) -> CandidateSummary {
        CandidateSummary {
            guid: self.guid.clone(),
            ..self.candidate().summary()
        }
    }
}

impl OfferDocument {
    /// Accepted best first, then rejected, each under a guid unique in the
    /// offer: the shown guid (links lose their keys, so two may look alike),
    /// with `#2`, `#3`… when it is already taken.
    fn new(album: Album, selection: &Selection) -> Self {
        let mut taken = HashSet::new();
        let candidates = stored_order(selection)
            .enumerate()
            .map(|(position, (accepted, c))| {
                let shown = c.summary().guid;
                let base = if shown.is_empty() {
                    format!("#{}", position + 1)
                } else {
                    shown
                };
                let mut guid = base.clone();
                let mut n = 1;
                while !taken.insert(guid.clone()) {
                    n += 1;
                    guid = format!("{base}#{n}");
                }
                OfferedRelease::from_candidate(c, guid, position, accepted)
            })
            .collect();
        Self { album, candidates }
    }

    pub(super) fn find(&self, guid: &str) -> Option<&OfferedRelease> {
        self.candidates.iter().find(|c| c.guid == guid)
    }

    fn offer(&self, expires_at: DateTime<Utc>) -> Offer {
        Offer {
            expires_at,
            candidates: self
                .candidates
                .iter()
                .map(|c| OfferedCandidate {
                    accepted: c.accepted,
                    candidate: c.summary(),
                })
                .collect(),
        }
    }

    pub(super) fn parse(value: serde_json::Value) -> Result<Self, StepError> {
        serde_json::from_value(value)
            .map_err(|e| StepError::Offer(format!("the stored offer cannot be read: {e}")))
    }
}

/// "24 h", "90 s", "2 d", "30 min": a duration as the configuration says it.
pub(super) fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s >= 86_400 && s.is_multiple_of(86_400) => format!("{} d", s / 86_400),
        _ if s >= 3600 && s.is_multiple_of(3600) => format!("{} h", s / 3600),
        _ if s >= 60 && s.is_multiple_of(60) => format!("{} min", s / 60),
        _ => format!("{s} s"),
    }
}

impl Steps {
    /// AWAITING_CHOICE, the offer, then the wait (see the module doc).
    pub(super) async fn offer(
        &self,
        album: Album,
        selection: Selection,
    ) -> Result<Ending, StepError> {
        let run_id = self.entry.run_id;
        let timeout = self.w.options.choice_timeout;
        let now = Utc::now();
        let expires_at = chrono::TimeDelta::from_std(timeout)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let document = OfferDocument::new(album, &selection);
        let acceptable = selection.accepted.len();
        let total = document.candidates.len();
        self.emit(
            WorkflowStatus::AwaitingChoice,
            format!(
                "{total} candidate{}, {acceptable} acceptable; waiting for a choice until {} ({})",
                if total == 1 { "" } else { "s" },
                expires_at.format("%Y-%m-%d %H:%M:%S UTC"),
                human(timeout),
            ),
        )
        .await?;
        let payload = document
            .offer(expires_at)
            .to_payload()
            .ok_or_else(|| StepError::Offer("cannot encode the offer".into()))?;
        let stored = serde_json::to_value(&document)
            .map_err(|e| StepError::Offer(format!("cannot store the offer: {e}")))?;
        let event = self
            .w
            .store
            .append_offer(
                run_id,
                &format!("offer of {total} candidates"),
                &payload,
                expires_at,
                &stored,
            )
            .await?;
        self.last_seq.store(event.seq, Ordering::SeqCst);
        self.meter.event(event.status);
        tracing::info!(
            seq = event.seq,
            candidates = total,
            "offered; waiting for a choice"
        );
        self.w.bus.publish(event);
        self.await_decision(document, expires_at).await
    }

    /// A recovered manual run: the stored offer, waited on again until its
    /// own deadline.
    pub(super) async fn resume(self) -> Result<Ending, StepError> {
        let offer = self
            .w
            .store
            .offer(self.entry.run_id)
            .await?
            .ok_or_else(|| StepError::Offer("no stored offer to resume".into()))?;
        let document = OfferDocument::parse(offer.candidates)?;
        tracing::info!(expires_at = %offer.expires_at, "resumed waiting for a choice");
        self.await_decision(document, offer.expires_at).await
    }

    async fn await_decision(
        &self,
        document: OfferDocument,
        expires_at: DateTime<Utc>,
    ) -> Result<Ending, StepError> {
        self.awaiting.store(true, Ordering::SeqCst);
        let decision = self.decision(expires_at).await;
        let mut outcome = Outcome {
            album: Some(document.album.clone()),
            ..Outcome::default()
        };
        let guid = match decision {
            Decision::Declined => {
                outcome.rejected = unchosen(&document, None);
                return Ok(Ending::new(WorkflowStatus::Cancelled, "declined", outcome));
            }
            Decision::Expired => {
                outcome.rejected = unchosen(&document, None);
                return Ok(Ending::new(
                    WorkflowStatus::Cancelled,
                    format!(
                        "no choice within {} ([manual] choice_timeout): the offer expired",
                        human(self.w.options.choice_timeout)
                    ),
                    outcome,
                ));
            }
            Decision::Cancelled => {
                // CancelWorkflow took the offer and asked the run to stop.
                let reason = match self.entry.stop_request() {
                    Some(StopRequest::Cancel(reason)) => reason,
                    _ => "cancelled".to_owned(),
                };
                outcome.rejected = unchosen(&document, None);
                return Ok(Ending::new(WorkflowStatus::Cancelled, reason, outcome));
            }
            Decision::Chosen(guid) => guid,
        };
        let chosen = document
            .find(&guid)
            .ok_or_else(|| StepError::Offer(format!("the chosen {guid:?} is not in the offer")))?;
        outcome.rejected = unchosen(&document, Some(&guid));
        let candidate = chosen.candidate();
        let overriding = if chosen.accepted {
            String::new()
        } else {
            format!(
                "; overriding {}: {}",
                if candidate.rejections.len() == 1 {
                    "one rule"
                } else {
                    "the rules"
                },
                candidate.rejections.join("; ")
            )
        };
        self.emit(
            WorkflowStatus::AddingTorrent,
            format!(
                "chosen by a client: {}{overriding}; adding it to {}",
                describe(&candidate),
                self.w.providers.torrent_client.name()
            ),
        )
        .await?;
        // Only now: a shutdown before ADDING_TORRENT was stored leaves the run
        // AWAITING_CHOICE, and the next start carries out the decision.
        self.awaiting.store(false, Ordering::SeqCst);
        let album = &document.album;
        let downloads = self.w.store.album_downloads(&album.id).await?;
        // A chosen release is grabbed even if blocklisted; one already on its
        // way is still not grabbed twice.
        let mut history = history(&downloads);
        history.blocklist = Default::default();
        let stored = self.w.store.candidates(self.entry.run_id).await?;
        self.grab_first_that_works(
            album,
            &history,
            vec![(chosen.position, candidate)],
            stored,
            outcome,
        )
        .await
    }
}

impl Steps {
    /// Waits for the offer's decision: a client's (woken by the entry, or
    /// read at least every [`RECHECK`]) or the expiry's, which races the
    /// clients like any decision. A failing database is retried with backoff
    /// (up to [`RECHECK`] apart): the wait may last days, one error must not
    /// end it.
    async fn decision(&self, expires_at: DateTime<Utc>) -> Decision {
        let run_id = self.entry.run_id;
        let mut failures: u32 = 0;
        loop {
            let now = Utc::now();
            let read = if now >= expires_at {
                match self.w.store.decide(run_id, &Decision::Expired).await {
                    Ok(true) => return Decision::Expired,
                    // Another decision came first: read it.
                    Ok(false) => self.w.store.decision(run_id).await,
                    Err(e) => Err(e),
                }
            } else {
                self.w.store.decision(run_id).await
            };
            let wait = match read {
                Ok(Some(decision)) => return decision,
                Ok(None) if now >= expires_at => {
                    // Neither expired nor decided: the offer row is gone or
                    // unreadable as such; look again later.
                    tracing::warn!("the expired offer could not be decided; retrying");
                    RECHECK
                }
                Ok(None) => {
                    failures = 0;
                    (expires_at - now).to_std().unwrap_or_default().min(RECHECK)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = RETRY
                        .saturating_mul(2u32.saturating_pow(failures - 1))
                        .min(RECHECK);
                    tracing::warn!(error = %e, failures, ?wait,
                        "could not read the offer's decision; retrying");
                    wait
                }
            };
            tokio::select! {
                () = self.entry.decided() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// The rejected candidates that were not chosen, as the final response
/// lists them.
fn unchosen(document: &OfferDocument, chosen: Option<&str>) -> Vec<CandidateSummary> {
    document
        .candidates
        .iter()
        .filter(|c| !c.accepted && Some(c.guid.as_str()) != chosen)
        .map(OfferedRelease::summary)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(guid: &str, rejections: &[&str]) -> Candidate {
        Candidate {
            release: Release {
                title: format!("title {guid}"),
                guid: guid.into(),
                ..Release::default()
            },
            quality: String::new(),
            score: 0.0,
            rejections: rejections.iter().map(|r| (*r).to_owned()).collect(),
            details: serde_json::Value::Null,
        }
    }

    #[test]
    fn offered_guids_are_unique_and_in_offer_order() {
        let album = Album {
            id: crate::model::AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").unwrap(),
            title: "Album".into(),
            artist: "Artist".into(),
            first_release_date: String::new(),
            primary_type: None,
            secondary_types: Vec::new(),
            tracks: Vec::new(),
        };
        let selection = Selection {
            accepted: vec![
                candidate("https://t.example/dl?id=1", &[]),
                candidate("a", &[]),
            ],
            rejected: vec![
                candidate("https://t.example/dl?id=2", &["wrong tier"]),
                candidate("", &["no seeders"]),
            ],
        };
        let document = OfferDocument::new(album, &selection);
        let guids: Vec<&str> = document
            .candidates
            .iter()
            .map(|c| c.guid.as_str())
            .collect();
        assert_eq!(
            guids,
            vec![
                "https://t.example/dl?id=***",
                "a",
                "https://t.example/dl?id=***#2",
                "#4"
            ],
            "keys are never shown, and two redacted links stay apart"
        );
        let positions: Vec<(usize, bool)> = document
            .candidates
            .iter()
            .map(|c| (c.position, c.accepted))
            .collect();
        assert_eq!(
            positions,
            vec![(0, true), (1, true), (2, false), (3, false)]
        );
        let chosen = document.find("https://t.example/dl?id=***#2").unwrap();
        assert_eq!(
            chosen.release.guid, "https://t.example/dl?id=2",
            "the real link is kept"
        );
        assert_eq!(chosen.summary().guid, "https://t.example/dl?id=***#2");
        let unchosen = unchosen(&document, Some("#4"));
        assert_eq!(unchosen.len(), 1);
    }

    #[test]
    fn durations_read_as_configured() {
        assert_eq!(human(Duration::from_secs(86_400)), "1 d");
        assert_eq!(human(Duration::from_secs(7200)), "2 h");
        assert_eq!(human(Duration::from_secs(1800)), "30 min");
        assert_eq!(human(Duration::from_secs(90)), "90 s");
    }
}
