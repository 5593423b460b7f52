//! The download tracker: one per service. Each poll reads the downloads
//! that are not terminal (one query), asks the torrent client for all its
//! torrents (one incremental call, whatever their number), and writes only
//! what changed. A completed download is imported; a dead, broken or
//! removed one fails (see [`super::failure`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::failure::{Failure, fail};
use crate::config::{Config, ImportMode, PathMapping};
use crate::import::{ClientFile, ImportError, ImportRequest, map_path};
use crate::model::DownloadState;
use crate::store::{DownloadRecord, StoreError};
use crate::torrent_client::{ClientState, TorrentStatus};
use crate::workflow::Workflows;

/// `[downloads]` and `[library]`, as the tracker uses them.
#[derive(Debug, Clone)]
pub struct TrackerOptions {
    pub poll_interval: Duration,
    pub stalled_timeout: Duration,
    pub remove_failed: bool,
    pub retry_failed: bool,
    pub max_retries: u32,
    pub path_mappings: Vec<PathMapping>,
    pub import_mode: ImportMode,
}

impl TrackerOptions {
    pub fn from_config(config: &Config) -> Self {
        let d = &config.downloads;
        Self {
            poll_interval: d.poll_interval.duration().max(Duration::from_millis(200)),
            stalled_timeout: d.stalled_timeout.duration(),
            remove_failed: d.remove_failed,
            retry_failed: d.retry_failed,
            max_retries: d.max_retries,
            path_mappings: d.path_mappings.clone(),
            import_mode: config.library.import_mode,
        }
    }
}

/// What one poll did (logs, benchmarks).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollReport {
    pub tracked: usize,
    /// Downloads written (each change one row, and an event when notable).
    pub written: usize,
    pub failed: usize,
    pub imports_started: usize,
    /// Downloads of another torrent client than the configured one, left
    /// as they are.
    pub other_client: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("torrent client: {0}")]
    Client(String),
}

/// Follows downloads until they are imported or failed.
#[derive(Clone)]
pub struct Tracker {
    w: Workflows,
    options: Arc<TrackerOptions>,
    /// Downloads with an import in progress (not looked at meanwhile).
    importing: Arc<Mutex<HashSet<Uuid>>>,
    /// Since when the tracker has been watching without a break (its start,
    /// or the last poll the client did not answer): time nobody watched
    /// never counts against `stalled_timeout`.
    watching_since: Arc<Mutex<DateTime<Utc>>>,
    /// Imports that failed for our own reasons (disk full, library not
    /// mounted) wait before the next attempt: (when, how long it waited).
    backoff: Arc<Mutex<HashMap<Uuid, (Instant, Duration)>>>,
    /// Downloads of another client already warned about.
    other_client: Arc<Mutex<HashSet<Uuid>>>,
}

/// A completed download where no library is configured: as far as it goes.
const NO_LIBRARY: &str = "downloaded; no [library] path is configured, so it stays in the client";

/// The first wait after an import failed for our own reasons; doubled each
/// time up to [`IMPORT_BACKOFF_MAX`].
const IMPORT_BACKOFF: Duration = Duration::from_secs(30);
const IMPORT_BACKOFF_MAX: Duration = Duration::from_secs(3600);

impl Tracker {
    pub fn new(w: Workflows, options: TrackerOptions) -> Self {
        Self {
            w,
            options: Arc::new(options),
            importing: Arc::default(),
            watching_since: Arc::new(Mutex::new(Utc::now())),
            backoff: Arc::default(),
            other_client: Arc::default(),
        }
    }

    /// Polls every `poll_interval` until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let mut interval = tokio::time::interval(self.options.poll_interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = interval.tick() => {}
            }
            match self.poll_once().await {
                Ok(report) if report.written > 0 => tracing::debug!(?report, "download poll"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "download poll failed; trying again next time")
                }
            }
        }
    }

    /// One poll. No client call when nothing of this client's is tracked.
    pub async fn poll_once(&self) -> Result<PollReport, TrackerError> {
        let active = self.w.store.active_downloads().await?;
        let mut report = PollReport {
            tracked: active.len(),
            ..Default::default()
        };
        let client = self.w.providers.torrent_client.name().to_owned();
        // Grabbed by the client configured before (`torrent_client`
        // changed): that client is not asked here, so those downloads are
        // left as they are, never failed for being "missing".
        let (active, others): (Vec<_>, Vec<_>) =
            active.into_iter().partition(|d| d.client == client);
        for download in &others {
            self.warn_other_client(download, &client);
        }
        report.other_client = others.len();
        if active.is_empty() {
            return Ok(report);
        }
        let torrents = match self.w.providers.torrent_client.poll().await {
            Ok(torrents) => torrents,
            Err(e) => {
                // Nobody watched meanwhile: the stall clock restarts.
                if let Ok(mut since) = self.watching_since.lock() {
                    *since = Utc::now();
                }
                return Err(TrackerError::Client(e.to_string()));
            }
        };
        for download in active {
            if self.is_importing(download.id) {
                continue;
            }
            let torrent = torrents.get(&download.info_hash.to_ascii_lowercase());
            match self.follow(download, torrent, &mut report).await {
                // An import finished meanwhile: its state wins.
                Err(TrackerError::Store(StoreError::StaleDownload(id))) => {
                    tracing::debug!(download = %id, "changed meanwhile; next poll");
                }
                other => other?,
            }
        }
        Ok(report)
    }

    /// Once per download and process: the log says why it is not followed.
    fn warn_other_client(&self, d: &DownloadRecord, client: &str) {
        let first = self
            .other_client
            .lock()
            .is_ok_and(|mut seen| seen.insert(d.id));
        if first {
            tracing::warn!(
                download = %d.id,
                grabbed_by = %d.client,
                now = %client,
                "download left alone: it is in another torrent client than the one configured; \
                 switch torrent_client back to follow it"
            );
        }
    }

    fn is_importing(&self, id: Uuid) -> bool {
        self.importing.lock().is_ok_and(|set| set.contains(&id))
    }

    async fn follow(
        &self,
        mut d: DownloadRecord,
        torrent: Option<&TorrentStatus>,
        report: &mut PollReport,
    ) -> Result<(), TrackerError> {
        let client = self.w.providers.torrent_client.name().to_owned();
        let Some(t) = torrent else {
            return self.missing(d, &client, report).await;
        };
        let now = Utc::now();
        let mut changed = false;
        let mut notable = false;
        if t.completed > d.downloaded_bytes
            || (t.has_metadata && d.progress == 0.0 && t.size > 0 && d.size_bytes != Some(t.size))
        {
            d.progressed_at = Some(now);
            changed = true;
        }
        if t.completed != d.downloaded_bytes {
            d.downloaded_bytes = t.completed;
            changed = true;
        }
        if t.size > 0 && d.size_bytes != Some(t.size) {
            d.size_bytes = Some(t.size);
            changed = true;
        }
        // Events at whole-percent steps; the row follows every change.
        if (t.progress * 100.0).floor() != (d.progress * 100.0).floor() {
            notable = true;
        }
        if t.progress != d.progress {
            d.progress = t.progress;
            changed = true;
        }
        let (state, message) = match t.state {
            // Mostly the client's own disk (full, permissions): not the
            // release's fault, so not blocklisted.
            ClientState::Error => {
                let reason = format!(
                    "{client} reports an error for this torrent ({})",
                    t.raw_state
                );
                return self.failed(d, Failure::ours(reason), report).await;
            }
            ClientState::MissingFiles => {
                let reason = format!("{client} reports the files missing");
                return self.failed(d, Failure::ours(reason), report).await;
            }
            // Moving its files (e.g. out of an incomplete-downloads folder):
            // complete or not, nothing may be read until it is done.
            ClientState::Moving => (
                if keep_done(d.state) {
                    d.state
                } else {
                    DownloadState::Queued
                },
                format!("{client} is moving its files"),
            ),
            _ if t.is_complete() => (
                DownloadState::Completed,
                match self.w.library {
                    Some(_) => format!("downloaded; importing from {client}"),
                    None => NO_LIBRARY.to_owned(),
                },
            ),
            ClientState::Paused => (DownloadState::Queued, format!("paused in {client}")),
            ClientState::Queued => (DownloadState::Queued, format!("queued in {client}")),
            ClientState::FetchingMetadata => (
                DownloadState::Stalled,
                "fetching the magnet's metadata".to_owned(),
            ),
            ClientState::Stalled => (DownloadState::Stalled, "no peer is sending data".to_owned()),
            ClientState::Downloading => (DownloadState::Downloading, String::new()),
            ClientState::Complete | ClientState::Unknown => (d.state, d.message.clone()),
        };
        // Waiting in the client (paused by the user, in its queue, moving) is
        // not the release's fault: the clock runs only once the client works
        // on it, and starts when it does.
        let waiting = matches!(
            t.state,
            ClientState::Paused | ClientState::Queued | ClientState::Moving
        );
        if !waiting && d.state == DownloadState::Queued {
            d.progressed_at = Some(now);
            changed = true;
        }
        if state != DownloadState::Completed && !waiting && !keep_done(d.state) {
            let watching = self.watching_since.lock().map(|s| *s).unwrap_or(now);
            let since = d.progressed_at.unwrap_or(d.created_at).max(watching);
            let idle = (now - since).to_std().unwrap_or_default();
            if idle >= self.options.stalled_timeout {
                let why = if t.has_metadata {
                    "no bytes arrived"
                } else {
                    "nobody sent the magnet's metadata"
                };
                let reason = format!(
                    "no progress for {} s ({why}); stalled_timeout is {} s",
                    idle.as_secs(),
                    self.options.stalled_timeout.as_secs()
                );
                return self.failed(d, Failure::release(reason), report).await;
            }
        }
        // COMPLETED waiting for its import is not moved back by the client.
        if !keep_done(d.state) && (state != d.state || message != d.message) {
            d.state = state;
            d.message = message;
            changed = true;
            notable = true;
        }
        if changed {
            self.w.downloads.save(&mut d, notable).await?;
            report.written += 1;
        }
        if keep_done(d.state) && t.state != ClientState::Moving {
            self.complete(d, t.save_path.clone(), report).await?;
        }
        Ok(())
    }

    /// The torrent is not in the client.
    async fn missing(
        &self,
        d: DownloadRecord,
        client: &str,
        report: &mut PollReport,
    ) -> Result<(), TrackerError> {
        match d.state {
            // Not importing now (this poll skips live imports): an import
            // interrupted after a `move` import let go of the torrent. If
            // its album folder was placed, the retry run finds it owned.
            DownloadState::Importing => {
                let reason =
                    format!("the import was interrupted and the torrent is no longer in {client}");
                self.failed(d, Failure::ours(reason), report).await
            }
            DownloadState::Completed if self.w.library.is_none() => Ok(()),
            DownloadState::Completed => {
                let reason = format!("removed from {client} before it could be imported");
                self.failed(d, Failure::ours(reason), report).await
            }
            _ => {
                let reason = format!("removed from {client} before it finished");
                self.failed(d, Failure::release(reason), report).await
            }
        }
    }

    async fn failed(
        &self,
        d: DownloadRecord,
        failure: Failure,
        report: &mut PollReport,
    ) -> Result<(), TrackerError> {
        fail(&self.w, &self.options, d, failure).await?;
        report.failed += 1;
        report.written += 1;
        Ok(())
    }

    /// A complete download: imported in a task of its own when a library is
    /// configured (one import per download at a time).
    async fn complete(
        &self,
        mut d: DownloadRecord,
        remote_save_path: String,
        report: &mut PollReport,
    ) -> Result<(), TrackerError> {
        let Some(library) = self.w.library.clone() else {
            let note = NO_LIBRARY;
            if d.message != note {
                d.message = note.to_owned();
                self.w.downloads.save(&mut d, true).await?;
                report.written += 1;
            }
            return Ok(());
        };
        if self.backing_off(d.id) {
            return Ok(());
        }
        let local = map_path(&remote_save_path, &self.options.path_mappings);
        let files = match self.w.providers.torrent_client.files(&d.info_hash).await {
            Ok(files) => files,
            Err(e) => {
                tracing::warn!(download = %d.id, error = %e, "could not list the torrent's files; trying again next poll");
                return Ok(());
            }
        };
        // Visible here: the save path is a folder and the files are in it
        // (a container's volume seen without its mapping is an empty or
        // different folder). Waiting for a mapping is our configuration,
        // not the release: no event per poll, no failure, no blocklist.
        if !visible(&local, &files).await {
            let note = not_visible(&remote_save_path);
            if d.message != note || d.state != DownloadState::Completed {
                d.state = DownloadState::Completed;
                d.message = note;
                self.w.downloads.save(&mut d, true).await?;
                report.written += 1;
            }
            return Ok(());
        }
        let claimed = self.importing.lock().is_ok_and(|mut set| set.insert(d.id));
        if !claimed {
            return Ok(());
        }
        report.imports_started += 1;
        let tracker = self.clone();
        let span = tracing::info_span!("import", download = %d.id, album = %d.album_id);
        crate::tasks::spawn("import", span, async move {
            let id = d.id;
            let result = match tracker
                .import(d, files, local, library.root().to_path_buf())
                .await
            {
                // Written by someone else meanwhile: theirs stands.
                Err(TrackerError::Store(StoreError::StaleDownload(_))) => Ok(()),
                other => other,
            };
            if let Ok(mut set) = tracker.importing.lock() {
                set.remove(&id);
            }
            if result.is_ok()
                && let Err(e) = library.refresh().await
            {
                tracing::warn!(error = %e, "library scan after an import failed");
            }
            result
        });
        Ok(())
    }

    async fn import(
        &self,
        mut d: DownloadRecord,
        files: Vec<ClientFile>,
        save_path: PathBuf,
        root: PathBuf,
    ) -> Result<(), TrackerError> {
        let client = &self.w.providers.torrent_client;
        // The poll that started this import may have read the download
        // before an earlier import of it ended: the row decides.
        match self.w.store.download(d.id).await? {
            Some(fresh) if keep_done(fresh.state) => d = fresh,
            _ => return Ok(()),
        }
        // The stored copy (written by the run), else the metadata provider;
        // if neither answers, the import waits for the next poll.
        let album = match self.w.store.album(&d.album_id).await? {
            Some((album, _)) => album,
            None => match self.w.providers.metadata.album(&d.album_id).await {
                Ok(fetched) => fetched.album,
                Err(e) => {
                    let note = format!("import waits for the album's tracklist: {e}");
                    if d.message != note {
                        d.message = note;
                        self.w.downloads.save(&mut d, true).await?;
                    }
                    return Ok(());
                }
            },
        };
        d.state = DownloadState::Importing;
        d.message = format!(
            "importing into {} ({})",
            root.display(),
            self.options.import_mode.as_str()
        );
        self.w.downloads.save(&mut d, true).await?;
        if self.options.import_mode == ImportMode::Move {
            // The client must not seed a file we move: it lets go first.
            if let Err(e) = client.remove(&d.info_hash, false).await {
                d.state = DownloadState::Completed;
                d.message = format!(
                    "import waits: could not remove the torrent before moving its files: {e}"
                );
                self.w.downloads.save(&mut d, true).await?;
                return Ok(());
            }
        }
        let mode = self.options.import_mode;
        let download_id = d.id;
        let quality = d.quality;
        let title = d.title.clone();
        let release_quality = d.release_quality.clone();
        let started = std::time::Instant::now();
        let outcome = tokio::task::spawn_blocking(move || {
            crate::import::import(&ImportRequest {
                album: &album,
                quality,
                release_title: &title,
                release_quality: &release_quality,
                save_path: &save_path,
                files: &files,
                library: &root,
                mode,
                download_id,
            })
        })
        .await
        .unwrap_or_else(|e| Err(ImportError::Io(format!("the import task failed: {e}"))));
        (self.w.providers.metrics).import_finished(&outcome, started.elapsed());
        if !matches!(
            outcome,
            Err(ImportError::NotVisible(_) | ImportError::Io(_))
        ) && let Ok(mut backoff) = self.backoff.lock()
        {
            backoff.remove(&d.id);
        }
        match outcome {
            Ok(imported) => {
                d.state = DownloadState::Imported;
                d.progress = 1.0;
                d.library_path = Some(imported.folder.display().to_string());
                d.message = format!(
                    "imported {} tracks ({}) into {}",
                    imported.tracks.len(),
                    imported.quality,
                    imported.folder.display()
                );
                self.w.downloads.save(&mut d, true).await?;
                tracing::info!(download = %d.id, folder = %imported.folder.display(), "imported");
            }
            Err(ImportError::Refused(reason)) => {
                let reason = format!("import refused: {reason}");
                fail(&self.w, &self.options, d, Failure::release(reason)).await?;
            }
            Err(ImportError::NotVisible(message)) => {
                let wait = self.back_off(d.id);
                d.state = DownloadState::Completed;
                d.message = format!("{message} (trying again in {} s)", wait.as_secs());
                self.w.downloads.save(&mut d, true).await?;
            }
            Err(ImportError::Io(message)) => {
                let wait = self.back_off(d.id);
                d.state = DownloadState::Completed;
                d.message = format!(
                    "import failed, trying again in {} s: {message}",
                    wait.as_secs()
                );
                self.w.downloads.save(&mut d, true).await?;
            }
        }
        Ok(())
    }
}

impl Tracker {
    /// Whether an import of `id` waits after failing for our own reasons.
    fn backing_off(&self, id: Uuid) -> bool {
        self.backoff
            .lock()
            .is_ok_and(|b| b.get(&id).is_some_and(|(at, _)| Instant::now() < *at))
    }

    /// Schedules the next attempt of `id` (30 s, doubling to 1 h); returns
    /// the wait.
    fn back_off(&self, id: Uuid) -> Duration {
        let Ok(mut backoff) = self.backoff.lock() else {
            return IMPORT_BACKOFF;
        };
        let wait = backoff
            .get(&id)
            .map(|(_, last)| (*last * 2).min(IMPORT_BACKOFF_MAX))
            .unwrap_or(IMPORT_BACKOFF);
        backoff.insert(id, (Instant::now() + wait, wait));
        wait
    }
}

/// COMPLETED or IMPORTING: done in the client, the client's state no longer
/// moves it (only the import does).
fn keep_done(state: DownloadState) -> bool {
    matches!(state, DownloadState::Completed | DownloadState::Importing)
}

/// Whether the torrent's save path is a folder here holding its first
/// wanted file (names are checked for safety by the import itself).
async fn visible(save_path: &std::path::Path, files: &[ClientFile]) -> bool {
    if !tokio::fs::metadata(save_path)
        .await
        .is_ok_and(|m| m.is_dir())
    {
        return false;
    }
    match files.first() {
        // The import's own name check: an unsafe name is the import's to
        // refuse, with the reason, never a path to look at here.
        Some(first) if crate::import::paths::check_name(&first.name).is_ok() => {
            tokio::fs::symlink_metadata(save_path.join(&first.name))
                .await
                .is_ok()
        }
        _ => true,
    }
}

/// The message of a download whose files this machine cannot see.
pub fn not_visible(remote: &str) -> String {
    format!("the client saved it at {remote}, which this machine cannot see: add a path mapping")
}
