//! Workflows: the [`WorkflowRegistry`], the monitor workflow, and
//! [`Workflows`], the facade the API calls.
//!
//! [`Workflows::attach`] is the only way to start or join a run, and it keeps
//! the diagram's rule: subscribe to the bus BEFORE the workflow task is
//! spawned, so no event can be missed. [`Workflows::choose`] answers a manual
//! run's offer.
//!
//! Modules: `monitor` (the supervisor: run row, panics, cancellation, one
//! terminal event), `steps` (the steps and the one grab path), `manual` (the
//! offer and the wait for its decision), `choice` (a client's answer),
//! `recovery` (start-up), `registry`.

mod choice;
mod manual;
mod monitor;
mod recovery;
mod registry;
mod steps;

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::downloads::DownloadLog;
use crate::events::{EventBus, Subscription};
use crate::indexer::{IndexerService, NoIndexers};
use crate::library::index::Library;
use crate::magnet::{MagnetResolver, NotResolving};
use crate::metadata::{AlbumIdOnly, MetadataProvider};
use crate::metrics::Metrics;
use crate::model::{MonitorMode, Run, RunId, WorkflowKey, WorkflowStatus};
use crate::release::{NoRanking, ReleaseSelector};
use crate::store::{Decision, Store, StoreError};
use crate::torrent_client::{NoTorrentClient, TorrentClient};

pub use choice::{ChooseError, Chosen, Pick};
pub use registry::{StopRequest, WorkflowEntry, WorkflowRegistry};

/// The external systems a workflow talks to, each behind its trait, and the
/// [`Metrics`] they and the workflow report to (one registry per app: see
/// [`crate::metrics`]).
#[derive(Clone)]
pub struct Providers {
    pub metadata: Arc<dyn MetadataProvider>,
    pub indexers: Arc<dyn IndexerService>,
    pub selector: Arc<dyn ReleaseSelector>,
    pub resolver: Arc<dyn MagnetResolver>,
    pub torrent_client: Arc<dyn TorrentClient>,
    pub metrics: Metrics,
}

impl Providers {
    /// Honest stand-ins: a run goes as far as it can and ends with the reason
    /// (NO_RESULTS "no indexers configured"), never with a fake success.
    pub fn stand_ins() -> Self {
        Self {
            metadata: Arc::new(AlbumIdOnly),
            indexers: Arc::new(NoIndexers),
            selector: Arc::new(NoRanking),
            resolver: Arc::new(NotResolving),
            torrent_client: Arc::new(NoTorrentClient),
            metrics: Metrics::new(),
        }
    }
}

/// Tunables of the workflow machinery.
#[derive(Debug, Clone)]
pub struct WorkflowOptions {
    /// How many accepted releases are tried when resolving or adding fails.
    pub max_grab_attempts: usize,
    /// How long CancelWorkflow and shutdown wait for a run to record its end.
    pub stop_timeout: Duration,
    /// How long a manual run's offer waits for a choice (`[manual]
    /// choice_timeout`).
    pub choice_timeout: Duration,
    /// How long ChooseRelease waits for the run's end to return it.
    pub choice_wait: Duration,
}

impl Default for WorkflowOptions {
    fn default() -> Self {
        Self {
            max_grab_attempts: 3,
            stop_timeout: Duration::from_secs(10),
            choice_timeout: Duration::from_secs(86_400),
            choice_wait: Duration::from_secs(60),
        }
    }
}

/// Shared handles of the workflow machinery; cheap to clone.
#[derive(Clone)]
pub struct Workflows {
    pub store: Arc<dyn Store>,
    pub bus: EventBus,
    pub registry: WorkflowRegistry,
    pub providers: Providers,
    pub options: WorkflowOptions,
    /// Every change of a download goes through it (stored, then published).
    pub downloads: DownloadLog,
    /// `[library] path` and its index, when configured: "owned" reads it.
    pub library: Option<Library>,
    /// Set by [`Workflows::shutdown`]: no new workflow starts after it.
    closing: Arc<std::sync::atomic::AtomicBool>,
}

/// A client's place in a run: the run, whether this call created it, and a
/// subscription taken before the workflow could publish anything.
pub struct Attachment {
    pub run_id: RunId,
    pub key: WorkflowKey,
    /// True when this call started the workflow: nothing is stored yet that
    /// the client has not been subscribed for, so there is nothing to replay.
    pub created: bool,
    pub subscription: Subscription,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("no run with id {0}")]
    UnknownRun(RunId),
    #[error("run {run_id} is a run of {actual}, not of {requested}")]
    WrongRun {
        run_id: RunId,
        actual: WorkflowKey,
        requested: WorkflowKey,
    },
    #[error("after_seq was given but {0} has no run to resume")]
    NothingToResume(WorkflowKey),
    #[error("the service is shutting down; no new workflow starts")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What CancelWorkflow did.
#[derive(Debug)]
pub struct CancelOutcome {
    pub run: Run,
    /// False when the run had already finished.
    pub cancelled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no run with id {0}")]
    UnknownRun(RunId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Workflows {
    pub fn new(store: Arc<dyn Store>, bus: EventBus, providers: Providers) -> Self {
        Self {
            downloads: DownloadLog::new(Arc::clone(&store), providers.metrics.clone()),
            library: None,
            store,
            bus,
            registry: WorkflowRegistry::new(),
            providers,
            options: WorkflowOptions::default(),
            closing: Arc::default(),
        }
    }

    /// Starts or joins the workflow of `key`.
    ///
    /// - `resume_run`: attach to that run (live or finished).
    /// - else, a running workflow of `key` is joined;
    /// - else, with `after_seq > 0` the client is resuming: the latest run of
    ///   `key` is attached (its remaining events and final response);
    /// - else a new workflow is started.
    pub async fn attach(
        &self,
        key: &WorkflowKey,
        after_seq: i64,
        resume_run: Option<RunId>,
    ) -> Result<Attachment, AttachError> {
        self.attach_as(key, MonitorMode::Automatic, after_seq, resume_run)
            .await
    }

    /// [`Workflows::attach`]; a new run gets `mode`. A running workflow of
    /// `key` is joined whatever its mode (one run per album and quality): the
    /// client learns the run's mode from its events.
    pub async fn attach_as(
        &self,
        key: &WorkflowKey,
        mode: MonitorMode,
        after_seq: i64,
        resume_run: Option<RunId>,
    ) -> Result<Attachment, AttachError> {
        // A merged album id we know of is the same workflow as its canonical id.
        let canonical = match self.store.canonical_album_id(&key.album_id).await? {
            Some(album_id) => WorkflowKey {
                album_id,
                quality: key.quality,
            },
            None => key.clone(),
        };
        let key = &canonical;
        if let Some(run_id) = resume_run {
            return self.attach_existing(key, run_id).await;
        }
        if after_seq > 0 && self.registry.get(key).is_none() {
            let run = self
                .store
                .latest_run(key)
                .await?
                .ok_or_else(|| AttachError::NothingToResume(key.clone()))?;
            return self.attach_existing(key, run.id).await;
        }
        if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AttachError::ShuttingDown);
        }
        let (entry, created) = self.registry.get_or_create_as(key, mode);
        // Subscribe BEFORE spawning: the first event cannot be missed.
        let subscription = self.bus.subscribe(entry.run_id);
        if created {
            self.spawn(Arc::clone(&entry), monitor::Start::New);
        }
        Ok(Attachment {
            run_id: entry.run_id,
            key: key.clone(),
            created,
            subscription,
        })
    }

    async fn attach_existing(
        &self,
        key: &WorkflowKey,
        run_id: RunId,
    ) -> Result<Attachment, AttachError> {
        let subscription = self.bus.subscribe(run_id);
        let actual = match self.registry.get_by_run(run_id) {
            Some(entry) => entry.key.clone(),
            None => self
                .store
                .run(run_id)
                .await?
                .ok_or(AttachError::UnknownRun(run_id))?
                .key(),
        };
        // A run of an id MusicBrainz has since merged is still that run:
        // compare canonical ids on both sides.
        let same = &actual == key
            || (actual.quality == key.quality
                && self
                    .store
                    .canonical_album_id(&actual.album_id)
                    .await?
                    .is_some_and(|canonical| canonical == key.album_id));
        if !same {
            return Err(AttachError::WrongRun {
                run_id,
                actual,
                requested: key.clone(),
            });
        }
        Ok(Attachment {
            run_id,
            key: actual,
            created: false,
            subscription,
        })
    }

    /// Starts a run of `key` whose candidate list is `found` (releases an RSS
    /// sync matched to the album): the run evaluates them first and searches
    /// the indexers only if none is acceptable. Same registry, same steps,
    /// same grab as any run. None when a run of `key` is already going (it
    /// searches itself; nobody waits on it here).
    pub async fn attach_found(
        &self,
        key: &WorkflowKey,
        found: Vec<crate::indexer::Release>,
    ) -> Result<Option<RunId>, AttachError> {
        if self.closing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(AttachError::ShuttingDown);
        }
        let (entry, created) = self.registry.get_or_create_as(key, MonitorMode::Automatic);
        if !created {
            return Ok(None);
        }
        let run_id = entry.run_id;
        self.spawn(entry, monitor::Start::Found(found));
        Ok(Some(run_id))
    }

    fn spawn(&self, entry: Arc<WorkflowEntry>, start: monitor::Start) {
        let span = tracing::info_span!("workflow", run_id = %entry.run_id, album = %entry.key,
            mode = %entry.mode);
        let workflows = self.clone();
        tokio::spawn(monitor::supervise(workflows, entry, start).instrument(span));
    }

    /// CancelWorkflow: a live run is asked to stop and records CANCELLED
    /// itself (this waits, bounded, for that); an unfinished run without a
    /// live workflow gets its CANCELLED event here (which closes a manual run's
    /// offer too). A live manual run's offer is answered "cancelled" first,
    /// in the store: no client's choice is taken after the cancel (a choice
    /// taken before it stands, and the run is then cancelled as it grabs).
    pub async fn cancel(&self, run_id: RunId, reason: &str) -> Result<CancelOutcome, CancelError> {
        let reason = if reason.trim().is_empty() {
            "cancelled by request".to_owned()
        } else {
            format!("cancelled: {}", reason.trim())
        };
        match self.store.run(run_id).await? {
            // Just started: its row is on its way (a page shows the run from
            // the registry meanwhile). Stopped like any live run.
            None => {
                let entry = self
                    .registry
                    .get_by_run(run_id)
                    .ok_or(CancelError::UnknownRun(run_id))?;
                self.stop_and_wait(&entry, reason, false).await;
            }
            Some(run) if run.is_finished() => {
                return Ok(CancelOutcome {
                    run,
                    cancelled: false,
                });
            }
            Some(run) => match self.registry.get_by_run(run_id) {
                Some(entry) => {
                    // The offer first: from here on no choice is taken.
                    // (Were this call dropped right after, the waiting run
                    // reads the decision within a minute and ends CANCELLED
                    // by itself.)
                    let closed = run.mode == MonitorMode::Manual
                        && self.store.decide(run_id, &Decision::Cancelled).await?;
                    self.stop_and_wait(&entry, reason, closed).await;
                }
                // No live workflow owns this unfinished run: end it here.
                None => match self
                    .store
                    .append_event(run_id, WorkflowStatus::Cancelled, &reason, None)
                    .await
                {
                    Ok(event) => {
                        self.providers
                            .metrics
                            .run_ended_elsewhere(event.status, run.mode);
                        self.bus.publish(event);
                    }
                    Err(StoreError::RunFinished(_)) => {}
                    Err(e) => return Err(e.into()),
                },
            },
        }
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or(CancelError::UnknownRun(run_id))?;
        let cancelled = run.status == WorkflowStatus::Cancelled;
        Ok(CancelOutcome { run, cancelled })
    }

    /// Asks a live run to stop with `reason` (waking it first when it waits
    /// for a decision just taken) and waits, bounded, for it to record that.
    async fn stop_and_wait(&self, entry: &WorkflowEntry, reason: String, wake_decided: bool) {
        entry.stop(StopRequest::Cancel(reason));
        if wake_decided {
            entry.wake_decided();
        }
        if tokio::time::timeout(self.options.stop_timeout, entry.finished())
            .await
            .is_err()
        {
            tracing::warn!(run_id = %entry.run_id, "run did not record its cancellation in time");
        }
    }

    /// Ends what an earlier process left unfinished: runs become FAILED
    /// ("interrupted by restart") except manual runs awaiting a choice, which
    /// wait again; pending downloads are settled against the torrent client.
    /// Called once at start-up, before serving.
    pub async fn recover(&self) -> Result<recovery::Recovered, StoreError> {
        recovery::recover(self).await
    }

    /// Asks every running workflow to stop and waits, bounded, for them to
    /// do so. Each records FAILED "interrupted: the service shut down",
    /// except a manual run still waiting for its choice (ADDING_TORRENT not
    /// stored yet): it records nothing, stays AWAITING_CHOICE and is resumed
    /// by [`Workflows::recover`] at the next start.
    pub async fn shutdown(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let entries = self.registry.entries();
        for entry in &entries {
            entry.stop(StopRequest::Shutdown);
        }
        let all = futures::future::join_all(entries.iter().map(|e| e.finished()));
        if tokio::time::timeout(self.options.stop_timeout, all)
            .await
            .is_err()
        {
            tracing::warn!("some workflows did not record their end before shutdown");
        }
    }
}
