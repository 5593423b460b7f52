//! The `WorkflowRegistry`: which workflow is running for which (album,
//! quality), so that any number of identical requests share one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

use crate::model::{MonitorMode, RunId, WorkflowKey};

/// A running workflow. It owns its cancellation token: no stream's lifetime
/// is tied to it, so a client leaving never stops the work.
#[derive(Debug)]
pub struct WorkflowEntry {
    pub key: WorkflowKey,
    pub run_id: RunId,
    /// The mode of the request that created the run; a request of the other
    /// mode joins it as it is.
    pub mode: MonitorMode,
    cancel: CancellationToken,
    /// Wakes a manual run waiting for a choice; the decision itself is in
    /// the store (the one place where "first wins" is decided).
    decided: tokio::sync::Notify,
    stop_request: Mutex<Option<StopRequest>>,
    finished: CancellationToken,
}

/// Why a workflow is asked to stop before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopRequest {
    /// CancelWorkflow: the run ends CANCELLED with this reason.
    Cancel(String),
    /// The service is shutting down: the run ends FAILED ("interrupted").
    Shutdown,
}

impl WorkflowEntry {
    fn new(key: WorkflowKey, run_id: RunId, mode: MonitorMode) -> Self {
        Self {
            key,
            run_id,
            mode,
            cancel: CancellationToken::new(),
            decided: tokio::sync::Notify::new(),
            stop_request: Mutex::new(None),
            finished: CancellationToken::new(),
        }
    }

    /// Asks the workflow to stop; it records the matching terminal event. The
    /// first request wins.
    pub fn stop(&self, request: StopRequest) {
        {
            let mut slot = self.stop_request.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(request);
            }
        }
        self.cancel.cancel();
    }

    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn stop_request(&self) -> Option<StopRequest> {
        self.stop_request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolves once the workflow has written its terminal event (or given up
    /// trying) and left the registry.
    pub async fn finished(&self) {
        self.finished.cancelled().await
    }

    pub(crate) fn mark_finished(&self) {
        self.finished.cancel();
    }

    /// Tells a run waiting for a choice that the store has its decision.
    pub fn wake_decided(&self) {
        // notify_one stores a permit: a wake-up before the wait is not lost.
        self.decided.notify_one();
    }

    pub(crate) async fn decided(&self) {
        self.decided.notified().await
    }
}

#[derive(Clone, Default)]
pub struct WorkflowRegistry {
    entries: Arc<Mutex<HashMap<WorkflowKey, Arc<WorkflowEntry>>>>,
}

impl WorkflowRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<WorkflowKey, Arc<WorkflowEntry>>> {
        // Critical sections are single map operations: a poisoned lock still
        // guards a consistent map.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Atomically returns the running workflow of `key`, or registers a new
    /// one (with a fresh run id) and says so with `created = true`. The caller
    /// that gets `created` must start the workflow.
    pub fn get_or_create(&self, key: &WorkflowKey) -> (Arc<WorkflowEntry>, bool) {
        self.get_or_create_as(key, MonitorMode::Automatic)
    }

    /// [`WorkflowRegistry::get_or_create`]; `mode` is the new run's mode (a
    /// running workflow is returned whatever its mode: one run per key).
    pub fn get_or_create_as(
        &self,
        key: &WorkflowKey,
        mode: MonitorMode,
    ) -> (Arc<WorkflowEntry>, bool) {
        let mut entries = self.lock();
        if let Some(entry) = entries.get(key) {
            return (Arc::clone(entry), false);
        }
        let entry = Arc::new(WorkflowEntry::new(key.clone(), RunId::new(), mode));
        entries.insert(key.clone(), Arc::clone(&entry));
        (entry, true)
    }

    /// Registers an existing run (a manual run recovered at start-up, still
    /// waiting for its choice). None if `key` already has a workflow.
    pub fn adopt(
        &self,
        key: &WorkflowKey,
        run_id: RunId,
        mode: MonitorMode,
    ) -> Option<Arc<WorkflowEntry>> {
        let mut entries = self.lock();
        if entries.contains_key(key) {
            return None;
        }
        let entry = Arc::new(WorkflowEntry::new(key.clone(), run_id, mode));
        entries.insert(key.clone(), Arc::clone(&entry));
        Some(entry)
    }

    pub fn get(&self, key: &WorkflowKey) -> Option<Arc<WorkflowEntry>> {
        self.lock().get(key).cloned()
    }

    pub fn get_by_run(&self, run_id: RunId) -> Option<Arc<WorkflowEntry>> {
        self.lock().values().find(|e| e.run_id == run_id).cloned()
    }

    /// Removes the entry of `key` only if it is still the one of `run_id` (a
    /// finished run never removes its successor).
    pub fn remove(&self, key: &WorkflowKey, run_id: RunId) -> bool {
        let mut entries = self.lock();
        if entries.get(key).is_some_and(|e| e.run_id == run_id) {
            entries.remove(key);
            true
        } else {
            false
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub fn entries(&self) -> Vec<Arc<WorkflowEntry>> {
        self.lock().values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlbumId, Quality};

    fn key(quality: Quality) -> WorkflowKey {
        WorkflowKey {
            album_id: AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").unwrap(),
            quality,
        }
    }

    #[test]
    fn concurrent_get_or_create_creates_one_entry() {
        let registry = WorkflowRegistry::new();
        let created: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..32)
                .map(|_| s.spawn(|| registry.get_or_create(&key(Quality::Lossless)).1))
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(created, 1);
        assert_eq!(registry.len(), 1);
        let (_, created) = registry.get_or_create(&key(Quality::Mp3_320));
        assert!(created, "another quality is another workflow");
        let (joined, created) =
            registry.get_or_create_as(&key(Quality::Lossless), MonitorMode::Manual);
        assert!(!created, "a manual request joins the automatic run");
        assert_eq!(joined.mode, MonitorMode::Automatic);
        assert!(
            registry
                .adopt(&key(Quality::Lossless), RunId::new(), MonitorMode::Manual)
                .is_none(),
            "a recovered run never displaces a live one"
        );
    }

    #[test]
    fn remove_only_removes_the_same_run() {
        let registry = WorkflowRegistry::new();
        let (old, _) = registry.get_or_create(&key(Quality::Any));
        assert!(registry.remove(&key(Quality::Any), old.run_id));
        let (new, created) = registry.get_or_create(&key(Quality::Any));
        assert!(created);
        assert!(!registry.remove(&key(Quality::Any), old.run_id));
        assert_eq!(
            registry.get_by_run(new.run_id).map(|e| e.run_id),
            Some(new.run_id)
        );
    }

    #[test]
    fn the_first_stop_request_wins() {
        let registry = WorkflowRegistry::new();
        let (entry, _) = registry.get_or_create(&key(Quality::Any));
        entry.stop(StopRequest::Cancel("by user".into()));
        entry.stop(StopRequest::Shutdown);
        assert!(entry.cancellation().is_cancelled());
        assert_eq!(
            entry.stop_request(),
            Some(StopRequest::Cancel("by user".into()))
        );
    }
}
