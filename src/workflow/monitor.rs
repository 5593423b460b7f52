//! The monitor workflow of one album at one quality (the diagram's
//! `monitorWorkflow`), and the supervisor that guarantees it ends.
//!
//! [`supervise`] writes the run row, runs the steps in a task of their own
//! (so a panic is caught as a `JoinError`), races them against the entry's
//! cancellation, and always writes exactly one terminal event — COMPLETE,
//! ALREADY_OWNED, NOT_FOUND, NO_RESULTS, FAILED or CANCELLED — before it
//! removes the registry entry. One exception, on purpose: a manual run
//! waiting for a choice when the service shuts down records nothing; it
//! stays AWAITING_CHOICE and is resumed at the next start ([`Start::Resume`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tracing::Instrument;

use super::steps::Steps;
use super::{StopRequest, WorkflowEntry, Workflows};
use crate::metrics::RunMeter;
use crate::model::{Event, Outcome, WorkflowStatus};
use crate::store::StoreError;

/// Where a supervised workflow starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Start {
    /// A new run: the row is written, the steps run from the first.
    New,
    /// A new run whose candidates are these releases (an RSS match); the
    /// indexers are searched only if none of them is acceptable.
    Found(Vec<crate::indexer::Release>),
    /// A manual run found AWAITING_CHOICE at start-up: it waits for its
    /// stored offer's decision again (the deadline is the stored one).
    Resume { last_seq: i64 },
}

/// How a run ended, before it is written.
pub(super) struct Ending {
    pub(super) status: WorkflowStatus,
    pub(super) message: String,
    pub(super) outcome: Outcome,
}

impl Ending {
    pub(super) fn new(
        status: WorkflowStatus,
        message: impl Into<String>,
        outcome: Outcome,
    ) -> Self {
        Self {
            status,
            message: message.into(),
            outcome,
        }
    }
}

/// Failures that end a run FAILED. Expected outcomes (not found, nothing
/// acceptable) are [`Ending`]s, not errors.
#[derive(Debug, thiserror::Error)]
pub(super) enum StepError {
    #[error("metadata: {0}")]
    Metadata(String),
    #[error("indexer search: {0}")]
    Indexers(String),
    #[error("the offer: {0}")]
    Offer(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs one workflow to its terminal event. Never panics, never returns early
/// without a terminal event unless the database refuses every write (or the
/// run is a manual one left waiting at shutdown, see the module doc).
pub(super) async fn supervise(w: Workflows, entry: Arc<WorkflowEntry>, start: Start) {
    let (created, first_seq) = match start {
        Start::New | Start::Found(_) => (create_run(&w, &entry).await, 0),
        Start::Resume { last_seq } => (Ok(()), last_seq),
    };
    let last_seq = Arc::new(AtomicI64::new(first_seq));
    if let Err(e) = created {
        // Without a run row nothing can be stored: tell the subscribers
        // directly, then leave.
        tracing::error!(error = %e, "could not create the run");
        announce_unstored(
            &w,
            &entry,
            &last_seq,
            &format!("could not start the run: {e}"),
        );
        finish(&w, &entry);
        return;
    }
    // A resumed run's clock starts again at its waiting step.
    let resumed = matches!(start, Start::Resume { .. }).then_some(WorkflowStatus::AwaitingChoice);
    let meter = Arc::new(w.providers.metrics.run_started(entry.mode, resumed));
    let ending = run_steps(&w, &entry, &last_seq, &meter, start).await;
    match ending {
        Some(ending) => {
            let interrupted = entry.stop_request() == Some(StopRequest::Shutdown);
            let status = ending.status;
            let message = ending.message.clone();
            let outcome = ending.outcome.clone();
            // The terminal event empties a manual run's offer in its transaction.
            record_ending(&w, &entry, &last_seq, &meter, ending).await;
            // The wanted list follows its albums' runs (after the end is
            // stored: a failure here never changes how the run ended).
            let end = crate::wanted::transitions::RunEnd {
                key: &entry.key,
                run_id: entry.run_id,
                status,
                message: &message,
                outcome: &outcome,
                interrupted,
            };
            if let Err(e) = crate::wanted::transitions::after_run(w.store.as_ref(), end).await {
                tracing::warn!(error = %e, "could not update the wanted list after the run");
            }
        }
        None => tracing::info!("left waiting for a choice; resumed at the next start"),
    }
    finish(&w, &entry);
}

/// Writes the run row. An unfinished row of the same album and quality with
/// no live workflow (its terminal write failed earlier) would block the album
/// until the next restart: it is ended FAILED here, and the row written.
async fn create_run(w: &Workflows, entry: &WorkflowEntry) -> Result<(), StoreError> {
    match w
        .store
        .create_run_as(entry.run_id, &entry.key, entry.mode)
        .await
    {
        Err(StoreError::AlreadyRunning(_)) => {
            if let Some(orphan) = w.store.latest_run(&entry.key).await?
                && !orphan.is_finished()
                && w.registry.get_by_run(orphan.id).is_none()
            {
                let message = "interrupted: its workflow ended without recording an outcome";
                match w
                    .store
                    .append_event(orphan.id, WorkflowStatus::Failed, message, None)
                    .await
                {
                    Ok(event) => {
                        w.providers
                            .metrics
                            .run_ended_elsewhere(event.status, orphan.mode);
                        w.bus.publish(event);
                    }
                    Err(StoreError::RunFinished(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            w.store
                .create_run_as(entry.run_id, &entry.key, entry.mode)
                .await
                .map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

/// The steps in a task of their own, raced against cancellation. None: the
/// run was waiting for a choice when the service shut down, and stays so.
async fn run_steps(
    w: &Workflows,
    entry: &Arc<WorkflowEntry>,
    last_seq: &Arc<AtomicI64>,
    meter: &Arc<RunMeter>,
    start: Start,
) -> Option<Ending> {
    let critical = Arc::new(tokio::sync::Mutex::new(()));
    let awaiting = Arc::new(AtomicBool::new(false));
    let steps = Steps {
        w: w.clone(),
        entry: Arc::clone(entry),
        last_seq: Arc::clone(last_seq),
        meter: Arc::clone(meter),
        critical: Arc::clone(&critical),
        awaiting: Arc::clone(&awaiting),
    };
    let mut task = match start {
        Start::New => tokio::spawn(steps.run(None).in_current_span()),
        Start::Found(found) => tokio::spawn(steps.run(Some(found)).in_current_span()),
        Start::Resume { .. } => tokio::spawn(steps.resume().in_current_span()),
    };
    let ending = tokio::select! {
        joined = &mut task => match joined {
            Ok(Ok(ending)) => ending,
            Ok(Err(e)) => Ending::new(WorkflowStatus::Failed, e.to_string(), Outcome::default()),
            Err(e) if e.is_panic() => {
                let panic = e.into_panic();
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                tracing::error!(panic = %what, "workflow step panicked");
                Ending::new(
                    WorkflowStatus::Failed,
                    format!("internal error: a workflow step panicked: {what}"),
                    Outcome::default(),
                )
            }
            Err(e) => Ending::new(WorkflowStatus::Failed, format!("internal error: {e}"), Outcome::default()),
        },
        () = entry.cancellation().cancelled() => {
            // Never between a download's row and the client's answer: wait
            // for the grab in progress to settle, then stop.
            let _settled = critical.lock().await;
            task.abort();
            let _ = task.await;
            let waiting = awaiting.load(Ordering::SeqCst);
            match entry.stop_request() {
                // The choice may come days later: a restart must not lose it.
                Some(StopRequest::Shutdown) if waiting => return None,
                Some(StopRequest::Shutdown) => Ending::new(
                    WorkflowStatus::Failed,
                    "interrupted: the service shut down",
                    Outcome::default(),
                ),
                Some(StopRequest::Cancel(reason)) => {
                    Ending::new(WorkflowStatus::Cancelled, reason, Outcome::default())
                }
                None => Ending::new(WorkflowStatus::Cancelled, "cancelled", Outcome::default()),
            }
        }
    };
    Some(ending)
}

/// Writes the terminal event, retrying a failing database a few times. If it
/// never succeeds the subscribers are still told (unstored) and the run is
/// found unfinished, and failed, at the next start.
async fn record_ending(
    w: &Workflows,
    entry: &WorkflowEntry,
    last_seq: &AtomicI64,
    meter: &RunMeter,
    ending: Ending,
) {
    let payload = serde_json::to_value(&ending.outcome).ok();
    let mut delay = Duration::from_millis(100);
    for attempt in 1..=5 {
        match w
            .store
            .append_event(
                entry.run_id,
                ending.status,
                &ending.message,
                payload.as_ref(),
            )
            .await
        {
            Ok(event) => {
                tracing::info!(status = %event.status, seq = event.seq, "run ended: {}", event.message);
                meter.ended(event.status);
                w.bus.publish(event);
                return;
            }
            // Someone else (CancelWorkflow on an orphan) ended it first.
            Err(StoreError::RunFinished(_)) => return,
            Err(e) => {
                tracing::warn!(attempt, error = %e, "could not record the end of the run");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    announce_unstored(
        w,
        entry,
        last_seq,
        &format!(
            "{}: {} (the outcome could not be stored; the run will be marked interrupted at the next start)",
            ending.status, ending.message
        ),
    );
}

/// Publishes a FAILED end that the database did not take, so that watching
/// clients are not left waiting.
fn announce_unstored(w: &Workflows, entry: &WorkflowEntry, last_seq: &AtomicI64, message: &str) {
    w.bus.publish(Event {
        run_id: entry.run_id,
        album_id: entry.key.album_id.clone(),
        quality: entry.key.quality,
        mode: entry.mode,
        seq: last_seq.load(Ordering::SeqCst) + 1,
        status: WorkflowStatus::Failed,
        message: message.to_owned(),
        payload: None,
        created_at: chrono::Utc::now(),
    });
}

fn finish(w: &Workflows, entry: &WorkflowEntry) {
    w.registry.remove(&entry.key, entry.run_id);
    entry.mark_finished();
}
