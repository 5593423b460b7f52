//! The monitor workflow of one album at one quality (the diagram's
//! `monitorWorkflow`), and the supervisor that guarantees it ends.
//!
//! [`supervise`] writes the run row, runs the steps in a task of their own
//! (so a panic is caught as a `JoinError`), races them against the entry's
//! cancellation, and always writes exactly one terminal event — COMPLETE,
//! ALREADY_OWNED, NOT_FOUND, NO_RESULTS, FAILED or CANCELLED — before it
//! removes the registry entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tracing::Instrument;

use super::{StopRequest, WorkflowEntry, Workflows};
use crate::library::owned::Owned;
use crate::magnet::{ResolvedTorrent, check_contents};
use crate::metadata::{Album, MetadataError};
use crate::model::{DownloadState, DownloadSummary, Event, Outcome, WorkflowKey, WorkflowStatus};
use crate::release::{Candidate, History};
use crate::store::{DownloadRecord, NewDownload, StoreError, StoredCandidate};
use crate::torrent_client::{AddRequest, TorrentClientError};

/// How a run ended, before it is written.
struct Ending {
    status: WorkflowStatus,
    message: String,
    outcome: Outcome,
}

impl Ending {
    fn new(status: WorkflowStatus, message: impl Into<String>, outcome: Outcome) -> Self {
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
enum StepError {
    #[error("metadata: {0}")]
    Metadata(String),
    #[error("indexer search: {0}")]
    Indexers(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs one workflow to its terminal event. Never panics, never returns early
/// without a terminal event unless the database refuses every write.
pub(super) async fn supervise(w: Workflows, entry: Arc<WorkflowEntry>) {
    let last_seq = Arc::new(AtomicI64::new(0));
    let ending = match create_run(&w, &entry).await {
        Ok(_) => run_steps(&w, &entry, &last_seq).await,
        Err(e) => {
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
    };
    record_ending(&w, &entry, &last_seq, ending).await;
    finish(&w, &entry);
}

/// Writes the run row. An unfinished row of the same album and quality with
/// no live workflow (its terminal write failed earlier) would block the album
/// until the next restart: it is ended FAILED here, and the row written.
async fn create_run(w: &Workflows, entry: &WorkflowEntry) -> Result<(), StoreError> {
    match w.store.create_run(entry.run_id, &entry.key).await {
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
                    Ok(event) => w.bus.publish(event),
                    Err(StoreError::RunFinished(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            w.store
                .create_run(entry.run_id, &entry.key)
                .await
                .map(|_| ())
        }
        other => other.map(|_| ()),
    }
}

async fn run_steps(w: &Workflows, entry: &Arc<WorkflowEntry>, last_seq: &Arc<AtomicI64>) -> Ending {
    let critical = Arc::new(tokio::sync::Mutex::new(()));
    let steps = Steps {
        w: w.clone(),
        entry: Arc::clone(entry),
        last_seq: Arc::clone(last_seq),
        critical: Arc::clone(&critical),
    };
    let mut task = tokio::spawn(steps.run().in_current_span());
    tokio::select! {
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
            match entry.stop_request() {
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
    }
}

/// Writes the terminal event, retrying a failing database a few times. If it
/// never succeeds the subscribers are still told (unstored) and the run is
/// found unfinished, and failed, at the next start.
async fn record_ending(w: &Workflows, entry: &WorkflowEntry, last_seq: &AtomicI64, ending: Ending) {
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

/// What this album went through before: torrents on their way (not to grab
/// twice) and those whose download failed for a reason that speaks against
/// the release (blocklisted). An imported release is not "grabbed": if its
/// folder was deleted, the album may be fetched again, the same release
/// included.
fn history(downloads: &[DownloadRecord]) -> History {
    let mut history = History::default();
    for download in downloads {
        if download.blocklisted {
            history.blocklist.block_info_hash(&download.info_hash);
            // Feeds without hashes are matched by title on the indexer.
            history
                .blocklist
                .block_title(&download.indexer, &download.title);
        } else if download.state.is_in_flight() {
            history.grabbed.insert(download.info_hash.clone());
        }
    }
    history
}

/// The steps of the diagram, each announced by a stored, published event.
struct Steps {
    w: Workflows,
    entry: Arc<WorkflowEntry>,
    last_seq: Arc<AtomicI64>,
    /// Held from a download's row to the client's answer; cancellation
    /// waits for it (no `pending` row left behind by a cancel).
    critical: Arc<tokio::sync::Mutex<()>>,
}

/// How one grab attempt went.
enum Grab {
    Added(DownloadSummary),
    /// This release cannot be had: try the next one.
    Skip(String),
    /// The torrent client cannot take anything now: stop trying.
    Stop(String),
}

/// A failed download whose message starts with this was refused by the
/// client for itself: it is blocklisted for the album. Other failures (the
/// client unreachable or misconfigured) say nothing against the release.
const REFUSED: &str = "refused by ";

impl Steps {
    async fn emit(&self, status: WorkflowStatus, message: String) -> Result<(), StepError> {
        let event = self
            .w
            .store
            .append_event(self.entry.run_id, status, &message, None)
            .await?;
        self.last_seq.store(event.seq, Ordering::SeqCst);
        tracing::info!(status = %status, seq = event.seq, "{message}");
        self.w.bus.publish(event);
        Ok(())
    }

    async fn run(self) -> Result<Ending, StepError> {
        let key = &self.entry.key;
        let providers = &self.w.providers;
        let mut outcome = Outcome::default();

        self.emit(
            WorkflowStatus::FetchingMetadata,
            format!("fetching metadata of album {}", key.album_id),
        )
        .await?;
        let fetched = match providers.metadata.album(&key.album_id).await {
            Ok(fetched) => fetched,
            Err(MetadataError::NotFound(id)) => {
                return Ok(Ending::new(
                    WorkflowStatus::NotFound,
                    format!("no album with id {id}"),
                    outcome,
                ));
            }
            Err(MetadataError::Unavailable(e)) => return Err(StepError::Metadata(e)),
        };
        // The provider has stored it (getAlbumWithPersist).
        let album = fetched.album;
        outcome.album = Some(album.clone());

        let mut found = format!("album: {}", album.display_name());
        if !album.tracks.is_empty() {
            found.push_str(&format!(" ({} tracks)", album.tracks.len()));
        }
        if let Some(note) = fetched.note {
            found.push_str(&format!("; {note}"));
        }
        self.emit(
            WorkflowStatus::CheckingOwned,
            format!("{found}; checking the library"),
        )
        .await?;
        // One query serves the owned check now and the history later.
        // Keyed by the canonical id (a merged id's downloads live there too).
        let downloads = self.w.store.album_downloads(&album.id).await?;
        let library = self.w.library.as_ref().map(|l| l.root());
        let owned = crate::library::owned::check(
            self.w.store.as_ref(),
            library,
            &album,
            key.quality,
            &downloads,
        )
        .await?;
        if let Some(owned) = owned {
            if let Owned::Downloading(d) = &owned {
                outcome.download = Some(DownloadSummary {
                    id: d.id,
                    info_hash: d.info_hash.clone(),
                    client: d.client.clone(),
                    state: d.state,
                });
            }
            return Ok(Ending::new(
                WorkflowStatus::AlreadyOwned,
                format!("already owned: {}", owned.message()),
                outcome,
            ));
        }

        self.emit(
            WorkflowStatus::Searching,
            "not in the library; searching the indexers".into(),
        )
        .await?;
        let report = providers
            .indexers
            .search(&album)
            .await
            .map_err(|e| StepError::Indexers(e.to_string()))?;
        let found = report.releases.len();
        self.emit(
            WorkflowStatus::ParsingResults,
            format!(
                "{found} release{} found ({}); evaluating them for {}",
                if found == 1 { "" } else { "s" },
                report.summary(),
                key.quality
            ),
        )
        .await?;
        let no_indexers = report.indexers.is_empty();
        let summary = report.summary();
        let history = history(&downloads);
        let selection = providers
            .selector
            .select(&album, key.quality, report.releases, &history)
            .await;
        let stored: Vec<StoredCandidate> = selection
            .accepted
            .iter()
            .map(|c| (true, c))
            .chain(selection.rejected.iter().map(|c| (false, c)))
            .map(|(accepted, c)| StoredCandidate {
                accepted,
                candidate: c.summary(),
            })
            .collect();
        self.w
            .store
            .save_candidates(self.entry.run_id, &stored)
            .await?;
        outcome.rejected = selection.rejected.iter().map(Candidate::summary).collect();
        if selection.accepted.is_empty() {
            let message = if no_indexers {
                "no indexers configured".to_owned()
            } else if found == 0 {
                format!("no releases found ({summary})")
            } else {
                format!(
                    "none of the {found} releases is acceptable for {} (see the rejected candidates)",
                    key.quality
                )
            };
            return Ok(Ending::new(WorkflowStatus::NoResults, message, outcome));
        }

        let best = &selection.accepted[0];
        self.emit(
            WorkflowStatus::AddingTorrent,
            format!(
                "best of {} acceptable: {} [{}] from {}, {}; adding it to {}",
                selection.accepted.len(),
                best.release.title,
                if best.quality.is_empty() {
                    "quality unknown"
                } else {
                    &best.quality
                },
                best.release.indexer,
                match best.release.seeders {
                    Some(1) => "1 seeder".to_owned(),
                    Some(n) => format!("{n} seeders"),
                    None => "seeders unknown".to_owned(),
                },
                providers.torrent_client.name()
            ),
        )
        .await?;
        self.grab_first_that_works(&album, &history, selection.accepted, stored, outcome)
            .await
    }

    /// Tries the accepted candidates in rank order (bounded): resolve, look
    /// inside, write the rows, add. A candidate that fails joins the rejected
    /// ones with the reason, in the outcome and in the stored candidates
    /// (`stored` starts with the accepted ones, in the same order).
    async fn grab_first_that_works(
        &self,
        album: &Album,
        history: &History,
        accepted: Vec<Candidate>,
        mut stored: Vec<StoredCandidate>,
        mut outcome: Outcome,
    ) -> Result<Ending, StepError> {
        let attempts = self.w.options.max_grab_attempts.max(1);
        let mut last_error = String::new();
        let mut ending = None;
        for (index, mut candidate) in accepted.into_iter().take(attempts).enumerate() {
            match self.grab(album, history, &candidate).await? {
                Grab::Added(download) => {
                    let message =
                        format!("added to {}: {}", download.client, candidate.release.title);
                    let mut selected = candidate.summary();
                    // The feed may not have said; resolving told us.
                    selected
                        .info_hash
                        .get_or_insert_with(|| download.info_hash.clone());
                    outcome.selected = Some(selected);
                    outcome.download = Some(download);
                    ending = Some((WorkflowStatus::Complete, message));
                    break;
                }
                Grab::Stop(reason) => {
                    tracing::warn!(title = %candidate.release.title, %reason, "the torrent client cannot take torrents; stopping");
                    ending = Some((WorkflowStatus::Failed, reason));
                    break;
                }
                Grab::Skip(reason) => {
                    tracing::warn!(title = %candidate.release.title, %reason, "grab failed; trying the next release");
                    last_error = reason.clone();
                    candidate.rejections.push(reason);
                    outcome.rejected.push(candidate.summary());
                    if let Some(slot) = stored.get_mut(index) {
                        *slot = StoredCandidate {
                            accepted: false,
                            candidate: candidate.summary(),
                        };
                    }
                }
            }
        }
        if !last_error.is_empty() {
            self.w
                .store
                .save_candidates(self.entry.run_id, &stored)
                .await?;
        }
        let (status, message) = ending.unwrap_or_else(|| {
            (
                WorkflowStatus::Failed,
                format!("could not add any acceptable release; last error: {last_error}"),
            )
        });
        Ok(Ending::new(status, message, outcome))
    }

    /// One candidate; a store error ends the run.
    async fn grab(
        &self,
        album: &Album,
        history: &History,
        candidate: &Candidate,
    ) -> Result<Grab, StepError> {
        let providers = &self.w.providers;
        let release = &candidate.release;
        let resolved: ResolvedTorrent = match providers.resolver.resolve(release).await {
            Ok(resolved) => resolved,
            Err(e) => return Ok(Grab::Skip(format!("download link: {e}"))),
        };
        // The feed may not have carried the info hash: check it now.
        if history.grabbed.contains(&resolved.info_hash) {
            return Ok(Grab::Skip(format!(
                "already grabbed for this album ({})",
                resolved.info_hash
            )));
        }
        if history.blocklist.is_blocked_hash(&resolved.info_hash) {
            return Ok(Grab::Skip(format!(
                "blocklisted: the client refused {} before",
                resolved.info_hash
            )));
        }
        // Look inside before grabbing, when the file list is known.
        if let Some(Err(reason)) = resolved
            .files
            .as_ref()
            .map(|files| check_contents(files, album, &candidate.quality))
        {
            return Ok(Grab::Skip(reason));
        }
        let client = providers.torrent_client.name().to_owned();
        let _critical = self.critical.lock().await;
        // The rows exist BEFORE the client is asked (no orphan torrents).
        let download = self
            .w
            .downloads
            .create(&NewDownload {
                run_id: self.entry.run_id,
                key: WorkflowKey {
                    album_id: album.id.clone(),
                    quality: self.entry.key.quality,
                },
                info_hash: resolved.info_hash.clone(),
                magnet_uri: resolved.magnet_uri.clone(),
                torrent_file: resolved.torrent_file.clone(),
                title: release.title.clone(),
                size_bytes: release.size_bytes,
                indexer: release.indexer.clone(),
                parsed_quality: candidate.quality.clone(),
                client: client.clone(),
            })
            .await?;
        let added = providers
            .torrent_client
            .add(AddRequest {
                torrent: &resolved,
                run_id: self.entry.run_id,
                name: &release.title,
            })
            .await;
        let mut download = download;
        let grab = match added {
            Ok(()) => {
                download.state = DownloadState::Queued;
                download.message = format!("added to {client}");
                download.progressed_at = Some(chrono::Utc::now());
                None
            }
            Err(TorrentClientError::Refused(e)) => {
                let reason = format!("{REFUSED}{client}: {e}");
                download.state = DownloadState::Failed;
                download.message = reason.clone();
                // The client refused this torrent itself: never again for
                // this album.
                download.blocklisted = true;
                Some(Grab::Skip(reason))
            }
            Err(e) => {
                let reason = format!("{client}: {e}");
                download.state = DownloadState::Failed;
                download.message = format!("not added: {reason}");
                Some(Grab::Stop(reason))
            }
        };
        self.w.downloads.save(&mut download, true).await?;
        Ok(match grab {
            Some(grab) => grab,
            None => Grab::Added(DownloadSummary {
                id: download.id,
                info_hash: resolved.info_hash,
                client,
                state: download.state,
            }),
        })
    }
}
