//! Start-up recovery: nothing an earlier process left half-done stays so.
//!
//! - A run without a terminal event belonged to a process that died: it gets
//!   FAILED "interrupted by restart", so no run stays "running" forever and a
//!   client resuming it receives that final response. Its album stays (or
//!   becomes) wanted and a new run of it starts at once; the FAILED message
//!   names that run.
//! - Except a manual run AWAITING_CHOICE with its stored offer: the choice
//!   may come days later, so it waits again (registered and supervised as
//!   before), its deadline still the one of the offer.
//! - A `pending` download was written before the torrent client was asked, so
//!   the process stopped between the two. If the client has the torrent, the
//!   row becomes `added`; otherwise `failed` (the album can simply be asked
//!   for again). If the client cannot be asked, the row stays `pending` for
//!   the next start.

use super::Workflows;
use super::monitor::Start;
use crate::model::{DownloadState, MonitorMode, RunId, WorkflowStatus};
use crate::store::{StoreError, WantedRecord};

/// What [`recover`] did, for the start-up log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub interrupted_runs: usize,
    /// Interrupted runs started again (each named by its interrupted run).
    pub restarted_runs: usize,
    /// Manual runs waiting for a choice again.
    pub resumed_offers: usize,
    pub downloads_confirmed: usize,
    pub downloads_failed: usize,
    pub downloads_unchecked: usize,
}

pub(super) async fn recover(w: &Workflows) -> Result<Recovered, StoreError> {
    let mut recovered = Recovered::default();
    let mut restarts = Vec::new();
    for run in w.store.unfinished_runs().await? {
        if run.mode == MonitorMode::Manual
            && run.status == WorkflowStatus::AwaitingChoice
            && w.store.offer(run.id).await?.is_some()
            && let Some(entry) = w.registry.adopt(&run.key(), run.id, run.mode)
        {
            tracing::info!(run_id = %run.id, album = %run.key(), "still waiting for a choice");
            w.spawn(
                entry,
                Start::Resume {
                    last_seq: run.last_seq,
                },
            );
            recovered.resumed_offers += 1;
            continue;
        }
        // Nothing asked for is lost to a restart: the album stays wanted
        // and a new run of it starts now; the interrupted run names it.
        let next = RunId::new();
        let message = format!(
            "interrupted by restart: the service stopped while this run was at {}; \
             the album stays wanted and is searched again as run {next}",
            run.status
        );
        match w
            .store
            .append_event(run.id, WorkflowStatus::Failed, &message, None)
            .await
        {
            Ok(event) => {
                tracing::warn!(run_id = %run.id, album = %run.key(), "{message}");
                w.providers
                    .metrics
                    .run_ended_elsewhere(event.status, run.mode);
                w.bus.publish(event);
                recovered.interrupted_runs += 1;
                let key = run.key();
                let record = WantedRecord {
                    message: format!("interrupted by restart; searched again as run {next}"),
                    // searched again at once below; the schedule still
                    // finds it if that run never gets going
                    next_search_at: Some(chrono::Utc::now() + chrono::TimeDelta::hours(1)),
                    ..WantedRecord::new(
                        key.album_id.clone(),
                        key.quality,
                        crate::wanted::default_cutoff(key.quality),
                        chrono::Utc::now(),
                    )
                };
                w.store.put_wanted(&record, false).await?;
                restarts.push((key, next, run.mode));
            }
            Err(StoreError::RunFinished(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let client = &w.providers.torrent_client;
    for download in w.store.pending_downloads().await? {
        if download.client != client.name() {
            // Grabbed through the client configured before: not asked here
            // (the tracker leaves it alone too, and says so).
            continue;
        }
        match client.contains(&download.info_hash).await {
            Ok(true) => {
                w.downloads
                    .set_state(
                        download.id,
                        DownloadState::Queued,
                        &format!("found in {} at start-up", client.name()),
                    )
                    .await?;
                recovered.downloads_confirmed += 1;
            }
            Ok(false) => {
                w.downloads
                    .set_state(
                        download.id,
                        DownloadState::Failed,
                        &format!(
                            "the service stopped before {} confirmed the torrent; \
                             it is not in the client",
                            client.name()
                        ),
                    )
                    .await?;
                recovered.downloads_failed += 1;
            }
            Err(e) => {
                tracing::warn!(info_hash = %download.info_hash, error = %e,
                    "could not check a pending download; it stays pending");
                recovered.downloads_unchecked += 1;
            }
        }
    }
    // After the pending downloads are settled: the new runs' owned checks
    // read them.
    for (key, run_id, mode) in restarts {
        if let Some(entry) = w.registry.adopt(&key, run_id, mode) {
            w.spawn(entry, Start::New);
            recovered.restarted_runs += 1;
        }
    }
    Ok(recovered)
}
