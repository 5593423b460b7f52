//! The download's life after the grab: the [`DownloadLog`] every change goes
//! through (stored, then published), the [`tracker`] that follows downloads
//! in the torrent client and imports them, and [`failure`] handling
//! (blocklist, removal, retry).

pub mod failure;
pub mod tracker;

use std::sync::Arc;

use tokio::sync::{Mutex, broadcast};
use uuid::Uuid;

use crate::model::DownloadState;
use crate::store::{DownloadEvent, DownloadRecord, NewDownload, Store, StoreError};

/// Events buffered for live watchers; a watcher that falls behind reads the
/// rest from the store.
const BUS_CAPACITY: usize = 256;

/// The one writer of downloads: every change is committed with its event,
/// then published to live watchers. Writes are serialised so that events
/// are published in seq order (the sequence is shared by all downloads).
#[derive(Clone)]
pub struct DownloadLog {
    store: Arc<dyn Store>,
    bus: broadcast::Sender<Arc<DownloadEvent>>,
    write: Arc<Mutex<()>>,
    metrics: crate::metrics::Metrics,
}

impl DownloadLog {
    pub fn new(store: Arc<dyn Store>, metrics: crate::metrics::Metrics) -> Self {
        Self {
            store,
            bus: broadcast::channel(BUS_CAPACITY).0,
            write: Arc::default(),
            metrics,
        }
    }

    /// Live events from now on (subscribe before reading the history).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DownloadEvent>> {
        self.bus.subscribe()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The torrent and a `pending` download, before the client is asked.
    pub async fn create(&self, new: &NewDownload) -> Result<DownloadRecord, StoreError> {
        let _write = self.write.lock().await;
        let event = self.store.save_torrent_and_download(new).await?;
        let download = event.download.clone();
        self.metrics.download_event_stored();
        let _ = self.bus.send(Arc::new(event));
        Ok(download)
    }

    /// Writes `download` as it is now (its `updated_at` set here); with
    /// `event`, also its event, published after the commit.
    /// [`StoreError::StaleDownload`] when someone wrote it since it was read.
    pub async fn save(&self, download: &mut DownloadRecord, event: bool) -> Result<(), StoreError> {
        download.updated_at = chrono::Utc::now();
        let _write = self.write.lock().await;
        if let Some(stored) = self.store.save_download(download, event).await? {
            self.metrics.download_event_stored();
            let _ = self.bus.send(Arc::new(stored));
        }
        download.version += 1;
        Ok(())
    }

    /// Moves a download to `state` with a message (an event).
    pub async fn set_state(
        &self,
        id: Uuid,
        state: DownloadState,
        message: &str,
    ) -> Result<Option<DownloadRecord>, StoreError> {
        let Some(mut download) = self.store.download(id).await? else {
            return Ok(None);
        };
        download.state = state;
        download.message = message.to_owned();
        self.save(&mut download, true).await?;
        Ok(Some(download))
    }
}
