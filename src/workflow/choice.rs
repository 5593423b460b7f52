//! A client's answer to a manual run's offer: checked, then decided in the
//! store (the first valid one wins, whoever sends it and however), then the
//! waiting run is woken.

use std::time::Duration;

use super::Workflows;
use super::manual::OfferDocument;
use crate::model::{CandidateSummary, Event, MonitorMode, Run, RunId, WorkflowStatus};
use crate::store::{Decision, StoreError, StoredOffer};

/// What a client answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The offered candidate with this guid.
    Guid(String),
    Decline,
}

/// A choice that was taken.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The chosen candidate as offered (None when declined).
    pub candidate: Option<CandidateSummary>,
    /// Whether it was an accepted candidate.
    pub accepted: bool,
}

/// Why a choice was not taken; the run is never affected by it.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    #[error("no run with id {0}")]
    UnknownRun(RunId),
    #[error("run {0} is automatic: it offers nothing to choose from")]
    Automatic(RunId),
    #[error("run {run_id} has made no offer yet (it is at {status}); wait for its CandidateOffer")]
    NoOfferYet {
        run_id: RunId,
        status: WorkflowStatus,
    },
    #[error("run {run_id} has already ended ({status}); there is nothing to choose")]
    Ended {
        run_id: RunId,
        status: WorkflowStatus,
    },
    #[error("{guid:?} is not one of the {offered} candidates run {run_id} offered")]
    NotOffered {
        run_id: RunId,
        guid: String,
        offered: usize,
    },
    #[error("run {run_id}'s offer was already answered: {what}")]
    AlreadyDecided { run_id: RunId, what: String },
    #[error("the offer of run {0} cannot be read")]
    Unreadable(RunId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The answer refused because `decision` holds. A cancel is no answer: the
/// run ended (or is ending) CANCELLED without one.
fn already(run: &Run, decision: &Decision) -> ChooseError {
    let run_id = run.id;
    let what = match decision {
        Decision::Chosen(guid) => format!("{guid:?} was chosen"),
        Decision::Declined => "it was declined".into(),
        Decision::Expired => "it expired".into(),
        Decision::Cancelled => {
            return ChooseError::Ended {
                run_id,
                status: WorkflowStatus::Cancelled,
            };
        }
    };
    ChooseError::AlreadyDecided { run_id, what }
}

/// Why an offer cannot be answered, or None if it still can.
fn unanswerable(run: &Run, offer: Option<&StoredOffer>) -> Option<ChooseError> {
    let run_id = run.id;
    let ended = ChooseError::Ended {
        run_id,
        status: run.status,
    };
    let Some(offer) = offer else {
        return Some(if run.is_finished() {
            ended
        } else if run.mode == MonitorMode::Automatic {
            ChooseError::Automatic(run_id)
        } else {
            ChooseError::NoOfferYet {
                run_id,
                status: run.status,
            }
        });
    };
    if let Some(decision) = &offer.decision {
        return Some(already(run, decision));
    }
    // An emptied document is an ended run, even if the run was read before
    // it ended.
    if run.is_finished() || offer.is_ended() {
        return Some(ended);
    }
    None
}

impl Workflows {
    /// Answers the offer of `run_id`: exactly one answer per offer is ever
    /// taken ([`crate::store::OfferStore::decide`]), and none once the run
    /// has ended, has been cancelled or is past its deadline; every other
    /// gets its [`ChooseError`].
    pub async fn choose(&self, run_id: RunId, pick: Pick) -> Result<Chosen, ChooseError> {
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or(ChooseError::UnknownRun(run_id))?;
        let offer = self.store.offer(run_id).await?;
        if let Some(refused) = unanswerable(&run, offer.as_ref()) {
            return Err(refused);
        }
        let Some(StoredOffer {
            candidates,
            expires_at,
            ..
        }) = offer
        else {
            unreachable!("unanswerable() refuses a run without an offer");
        };
        if expires_at <= chrono::Utc::now() {
            return Err(already(&run, &Decision::Expired));
        }
        let document =
            OfferDocument::parse(candidates).map_err(|_| ChooseError::Unreadable(run_id))?;
        let (decision, chosen) = match pick {
            Pick::Decline => (
                Decision::Declined,
                Chosen {
                    candidate: None,
                    accepted: false,
                },
            ),
            Pick::Guid(guid) => {
                let offered = document
                    .find(&guid)
                    .ok_or_else(|| ChooseError::NotOffered {
                        run_id,
                        guid: guid.clone(),
                        offered: document.candidates.len(),
                    })?;
                let chosen = Chosen {
                    candidate: Some(offered.summary()),
                    accepted: offered.accepted,
                };
                (Decision::Chosen(guid), chosen)
            }
        };
        if !self.store.decide(run_id, &decision).await? {
            // Refused by the store's guard: say which of its reasons held.
            let run = self
                .store
                .run(run_id)
                .await?
                .ok_or(ChooseError::UnknownRun(run_id))?;
            let offer = self.store.offer(run_id).await?;
            return Err(unanswerable(&run, offer.as_ref())
                .unwrap_or_else(|| already(&run, &Decision::Expired)));
        }
        tracing::info!(%run_id, ?decision, "offer answered");
        if let Some(entry) = self.registry.get_by_run(run_id) {
            entry.wake_decided();
        }
        Ok(chosen)
    }

    /// Waits up to `wait` for `run_id` to end; its terminal event if it did.
    pub async fn wait_for_end(
        &self,
        run_id: RunId,
        wait: Duration,
    ) -> Result<(Run, Option<Event>), StoreError> {
        if let Some(entry) = self.registry.get_by_run(run_id) {
            let _ = tokio::time::timeout(wait, entry.finished()).await;
        }
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or(StoreError::RunNotFound(run_id))?;
        let terminal = if run.is_finished() {
            self.store
                .events_after(run_id, run.last_seq - 1, 1)
                .await?
                .pop()
                .filter(|e| e.status.is_terminal())
        } else {
            None
        };
        Ok((run, terminal))
    }
}
