//! What a run's end, or a grabbed download's end, does to a wanted album.
//!
//! | event | album becomes |
//! |---|---|
//! | run COMPLETE | GRABBED |
//! | run NO_RESULTS, FAILED, CANCELLED | WANTED, next search per its interval (at once after an interruption) |
//! | run ALREADY_OWNED at the cutoff | SATISFIED |
//! | run ALREADY_OWNED below the cutoff | WANTED (an upgrade is looked for in the cutoff tier) |
//! | run ALREADY_OWNED, a download on its way | GRABBED |
//! | run NOT_FOUND | PAUSED |
//! | download IMPORTED | older copies moved aside (the new folder takes back their name); SATISFIED at the cutoff, else WANTED |
//! | download FAILED, no retry on its way | WANTED |

use chrono::Utc;

use super::{Wanted, WantedError, schedule};
use crate::model::{Outcome, RunId, WorkflowKey, WorkflowStatus};
use crate::store::{Store, StoreError, WantedState};

/// How a run ended, as the wanted list needs it.
pub struct RunEnd<'a> {
    pub key: &'a WorkflowKey,
    pub run_id: RunId,
    pub status: WorkflowStatus,
    pub message: &'a str,
    pub outcome: &'a Outcome,
    /// Stopped by a shutdown or a crash: searched again at once.
    pub interrupted: bool,
}

/// Called by the workflow supervisor once a run's end is recorded. An album
/// not on the list (or listed at another quality) is left alone.
pub async fn after_run(store: &dyn Store, end: RunEnd<'_>) -> Result<(), StoreError> {
    let Some(mut record) = store.wanted(&end.key.album_id).await? else {
        return Ok(());
    };
    if record.quality != end.key.quality && record.cutoff != end.key.quality {
        return Ok(());
    }
    if record.state == WantedState::Paused {
        return Ok(());
    }
    let now = Utc::now();
    let run = end.run_id;
    match end.status {
        WorkflowStatus::Complete => {
            record.state = WantedState::Grabbed;
            record.attempts = 0;
            record.message = format!("grabbed by run {run}: {}", end.message);
        }
        WorkflowStatus::AlreadyOwned if end.outcome.download.is_some() => {
            record.state = WantedState::Grabbed;
            record.message = format!("on its way (run {run}): {}", end.message);
        }
        WorkflowStatus::AlreadyOwned if end.key.quality == record.cutoff => {
            record.state = WantedState::Satisfied;
            record.next_search_at = None;
            record.message = format!("satisfied (run {run}): {}", end.message);
        }
        WorkflowStatus::AlreadyOwned => {
            record.state = WantedState::Wanted;
            record.next_search_at = Some(now);
            record.message = format!(
                "in the library below its cutoff {}: looking for an upgrade (run {run})",
                record.cutoff
            );
        }
        WorkflowStatus::NotFound => {
            record.state = WantedState::Paused;
            record.next_search_at = None;
            record.message = format!("paused: {} (run {run})", end.message);
        }
        WorkflowStatus::NoResults | WorkflowStatus::Failed | WorkflowStatus::Cancelled => {
            record.state = WantedState::Wanted;
            record.last_searched_at = Some(now);
            if end.interrupted {
                record.next_search_at = Some(now);
            } else if record.next_search_at.is_none_or(|at| at <= now) {
                record.next_search_at = Some(now + schedule::interval_after(record.attempts));
                record.attempts = record.attempts.saturating_add(1);
            }
            record.message = format!("still wanted after run {run}: {}", end.message);
        }
        _ => return Ok(()),
    }
    record.updated_at = now;
    store.save_wanted(&record).await.map(|_| ())
}

/// GRABBED albums whose download has ended: imported → the older copies
/// moved aside, then SATISFIED at the cutoff or WANTED for an upgrade;
/// failed with nothing else on its way → WANTED.
pub(super) async fn follow_grabbed(wanted: &Wanted) -> Result<(), WantedError> {
    let w = &wanted.w;
    for mut record in w.store.list_wanted(Some(WantedState::Grabbed)).await? {
        let downloads = w.store.album_downloads(&record.album_id).await?;
        if downloads.iter().any(|d| d.state.is_in_flight()) {
            continue;
        }
        let running = crate::model::Quality::ALL.into_iter().any(|quality| {
            w.registry
                .get(&WorkflowKey {
                    album_id: record.album_id.clone(),
                    quality,
                })
                .is_some()
        });
        if running {
            continue;
        }
        let now = Utc::now();
        let last = downloads.last();
        match last {
            Some(d) if d.state == crate::model::DownloadState::Imported => {
                if let (Some(library), Some(folder)) = (&w.library, &d.library_path)
                    && let Some(renamed) =
                        super::replace::move_older_copies(w, library, &record.album_id, folder)
                            .await
                {
                    // The download says where its album is (owned checks read it).
                    let mut moved = d.clone();
                    moved.library_path = Some(renamed);
                    if let Err(e) = w.store.save_download(&moved, false).await {
                        tracing::warn!(download = %d.id, error = %e, "the renamed album's folder could not be recorded");
                    }
                }
                // Grabbed in the cutoff tier, or the library (refreshed after
                // the move) holds it there.
                let at_cutoff = d.quality == record.cutoff || owned_at_cutoff(w, &record).await?;
                if at_cutoff {
                    record.state = WantedState::Satisfied;
                    record.next_search_at = None;
                    record.message = format!("satisfied: imported {}", d.title);
                } else {
                    record.state = WantedState::Wanted;
                    record.next_search_at = Some(now);
                    record.message = format!(
                        "imported {} below its cutoff {}: looking for an upgrade",
                        d.title, record.cutoff
                    );
                }
            }
            Some(d) if d.state == crate::model::DownloadState::Completed => {
                // Without a library the download ends in the client.
                record.state = WantedState::Satisfied;
                record.next_search_at = None;
                record.message = format!("satisfied: {} completed in the client", d.title);
            }
            other => {
                record.state = WantedState::Wanted;
                record.next_search_at = Some(now);
                record.message = match other {
                    Some(d) => format!("still wanted: {} {}", d.title, d.message),
                    None => "still wanted: the grabbed download is gone".into(),
                };
            }
        }
        record.updated_at = now;
        w.store.save_wanted(&record).await?;
    }
    Ok(())
}

/// Whether the library holds the album in its cutoff tier.
async fn owned_at_cutoff(
    w: &crate::workflow::Workflows,
    record: &crate::store::WantedRecord,
) -> Result<bool, StoreError> {
    let Some((album, _)) = w.store.album(&record.album_id).await? else {
        return Ok(false);
    };
    let Some(library) = &w.library else {
        return Ok(false);
    };
    Ok(crate::library::owned::check(
        w.store.as_ref(),
        Some(library.root()),
        &album,
        record.cutoff,
        &[],
    )
    .await?
    .is_some())
}
