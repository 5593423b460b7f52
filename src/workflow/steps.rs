//! The steps of the monitor workflow (the diagram's `monitorWorkflow`), each
//! announced by a stored, published event, and the one grab path: automatic
//! and manual runs add a torrent through [`Steps::grab_first_that_works`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::monitor::{Ending, StepError};
use super::{WorkflowEntry, Workflows};
use crate::indexer::Release;
use crate::library::owned::Owned;
use crate::magnet::{ResolvedTorrent, check_contents};
use crate::metadata::{Album, MetadataError};
use crate::model::{
    DownloadState, DownloadSummary, MonitorMode, Outcome, WorkflowKey, WorkflowStatus,
};
use crate::release::{Candidate, History, Selection};
use crate::store::{DownloadRecord, NewDownload, StoredCandidate};
use crate::torrent_client::{AddRequest, TorrentClientError};

/// What this album went through before: torrents on their way (not to grab
/// twice) and those whose download failed for a reason that speaks against
/// the release (blocklisted). An imported release is not "grabbed": if its
/// folder was deleted, the album may be fetched again, the same release
/// included.
pub(super) fn history(downloads: &[DownloadRecord]) -> History {
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

/// A selection in the order its candidates are stored (accepted best first,
/// then rejected), each with whether it was accepted. The stored candidates
/// and a manual run's offer are both built from it: an offered candidate's
/// `position` indexes the stored ones.
pub(super) fn stored_order(selection: &Selection) -> impl Iterator<Item = (bool, &Candidate)> {
    selection
        .accepted
        .iter()
        .map(|c| (true, c))
        .chain(selection.rejected.iter().map(|c| (false, c)))
}

/// "TITLE [QUALITY] from INDEXER, N seeders", as the events say it.
pub(super) fn describe(candidate: &Candidate) -> String {
    format!(
        "{} [{}] from {}, {}",
        candidate.release.title,
        if candidate.quality.is_empty() {
            "quality unknown"
        } else {
            &candidate.quality
        },
        candidate.release.indexer,
        match candidate.release.seeders {
            Some(1) => "1 seeder".to_owned(),
            Some(n) => format!("{n} seeders"),
            None => "seeders unknown".to_owned(),
        },
    )
}

/// The steps of the diagram, each announced by a stored, published event.
pub(super) struct Steps {
    pub(super) w: Workflows,
    pub(super) entry: Arc<WorkflowEntry>,
    pub(super) last_seq: Arc<AtomicI64>,
    /// Times each step and counts the events stored.
    pub(super) meter: Arc<crate::metrics::RunMeter>,
    /// Held from a download's row to the client's answer; cancellation
    /// waits for it (no `pending` row left behind by a cancel).
    pub(super) critical: Arc<tokio::sync::Mutex<()>>,
    /// True while a manual run waits for its decision: a shutdown then
    /// leaves the run AWAITING_CHOICE instead of failing it.
    pub(super) awaiting: Arc<AtomicBool>,
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
    pub(super) async fn emit(
        &self,
        status: WorkflowStatus,
        message: String,
    ) -> Result<(), StepError> {
        let event = self
            .w
            .store
            .append_event(self.entry.run_id, status, &message, None)
            .await?;
        self.last_seq.store(event.seq, Ordering::SeqCst);
        self.meter.event(status);
        tracing::info!(status = %status, seq = event.seq, "{message}");
        self.w.bus.publish(event);
        Ok(())
    }

    /// The steps from the first. `rss`: releases an RSS sync matched to
    /// the album, evaluated before (and instead of) a search.
    pub(super) async fn run(self, rss: Option<Vec<Release>>) -> Result<Ending, StepError> {
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

        let history = history(&downloads);
        if let Some(rss) = rss
            && let Some(ending) = self
                .found_on_rss(&album, &history, rss, &mut outcome)
                .await?
        {
            return Ok(ending);
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
        let selection = providers
            .selector
            .select(&album, key.quality, report.releases, &history)
            .await;
        let stored = self.store_candidates(&selection).await?;
        outcome.rejected = selection.rejected.iter().map(Candidate::summary).collect();
        let nothing_to_offer = selection.accepted.is_empty() && selection.rejected.is_empty();
        if self.entry.mode == MonitorMode::Manual && !nothing_to_offer {
            return self.offer(album, selection).await;
        }
        if selection.accepted.is_empty() {
            let message = if no_indexers {
                "no indexers configured".to_owned()
            } else if found == 0 {
                format!("no releases found ({summary})")
            } else {
                format!(
                    "none of the {found} releases is acceptable for {}: {} (see the rejected candidates)",
                    key.quality,
                    selection.rejection_counts()
                )
            };
            return Ok(Ending::new(WorkflowStatus::NoResults, message, outcome));
        }

        self.emit(
            WorkflowStatus::AddingTorrent,
            format!(
                "best of {} acceptable: {}; adding it to {}",
                selection.accepted.len(),
                describe(&selection.accepted[0]),
                providers.torrent_client.name()
            ),
        )
        .await?;
        let accepted = selection.accepted.into_iter().enumerate().collect();
        self.grab_first_that_works(&album, &history, accepted, stored, outcome)
            .await
    }

    /// Stores a run's evaluated candidates, accepted best first, then the
    /// rejected ones (what ListCandidates shows).
    async fn store_candidates(
        &self,
        selection: &crate::release::Selection,
    ) -> Result<Vec<StoredCandidate>, StepError> {
        let stored: Vec<StoredCandidate> = stored_order(selection)
            .map(|(accepted, c)| StoredCandidate {
                accepted,
                candidate: c.summary(),
            })
            .collect();
        self.w
            .store
            .save_candidates(self.entry.run_id, &stored)
            .await?;
        Ok(stored)
    }

    /// An RSS match: the matched releases are the candidate list. Some
    /// ending when one was acceptable (grabbed through the one grab path);
    /// None when all were rejected: the run then searches as usual (their
    /// rejections are said in an event and kept in the outcome).
    async fn found_on_rss(
        &self,
        album: &Album,
        history: &History,
        found: Vec<Release>,
        outcome: &mut Outcome,
    ) -> Result<Option<Ending>, StepError> {
        let providers = &self.w.providers;
        let titles = found
            .iter()
            .map(|r| format!("{} from {}", r.title, r.indexer))
            .collect::<Vec<_>>()
            .join("; ");
        self.emit(
            WorkflowStatus::ParsingResults,
            format!(
                "not in the library; found on an RSS feed: {titles}; evaluating it for {}",
                self.entry.key.quality
            ),
        )
        .await?;
        let selection = providers
            .selector
            .select(album, self.entry.key.quality, found, history)
            .await;
        if selection.accepted.is_empty() {
            outcome
                .rejected
                .extend(selection.rejected.iter().map(Candidate::summary));
            self.emit(
                WorkflowStatus::ParsingResults,
                format!(
                    "the RSS release is not acceptable ({}); searching the indexers",
                    selection.rejection_counts()
                ),
            )
            .await?;
            return Ok(None);
        }
        let stored = self.store_candidates(&selection).await?;
        outcome
            .rejected
            .extend(selection.rejected.iter().map(Candidate::summary));
        self.emit(
            WorkflowStatus::AddingTorrent,
            format!(
                "found on RSS, no search needed: {}; adding it to {}",
                describe(&selection.accepted[0]),
                providers.torrent_client.name()
            ),
        )
        .await?;
        let accepted = selection.accepted.into_iter().enumerate().collect();
        self.grab_first_that_works(album, history, accepted, stored, std::mem::take(outcome))
            .await
            .map(Some)
    }

    /// Tries the candidates in the order given (bounded): resolve, look
    /// inside, write the rows, add. Each comes with its position in `stored`.
    /// A candidate that fails joins the rejected ones with the reason, in the
    /// outcome and in the stored candidates. Automatic runs pass the accepted
    /// candidates in rank order; a manual run passes the chosen one.
    pub(super) async fn grab_first_that_works(
        &self,
        album: &Album,
        history: &History,
        candidates: Vec<(usize, Candidate)>,
        mut stored: Vec<StoredCandidate>,
        mut outcome: Outcome,
    ) -> Result<Ending, StepError> {
        let attempts = self.w.options.max_grab_attempts.max(1);
        let mut last_error = String::new();
        let mut ending = None;
        for (index, mut candidate) in candidates.into_iter().take(attempts) {
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
            let message = if self.entry.mode == MonitorMode::Manual {
                // One candidate, the chosen one, maybe a rejected one.
                format!("could not add the chosen release: {last_error}")
            } else {
                format!("could not add any acceptable release; last error: {last_error}")
            };
            (WorkflowStatus::Failed, message)
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
