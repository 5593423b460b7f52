//! ListDownloads and WatchDownloads: conversions and the watch loop.
//!
//! A watch follows the same rules as MonitorAlbumStream: subscribe to live
//! events first, then replay the stored ones after `after_seq`, then
//! forward live ones, dropping seqs already sent; a watcher that lags reads
//! what it missed from the store. The download log publishes in seq order.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::convert::{quality_to_proto, timestamp};
use crate::downloads::DownloadLog;
use crate::model::DownloadState;
use crate::proto::v1 as pb;
use crate::store::{DownloadEvent, DownloadFilter, DownloadRecord, StoreError};

pub fn state_to_proto(s: DownloadState) -> pb::DownloadState {
    match s {
        DownloadState::Pending => pb::DownloadState::Pending,
        DownloadState::Queued => pb::DownloadState::Queued,
        DownloadState::Downloading => pb::DownloadState::Downloading,
        DownloadState::Stalled => pb::DownloadState::Stalled,
        DownloadState::Completed => pb::DownloadState::Completed,
        DownloadState::Importing => pb::DownloadState::Importing,
        DownloadState::Imported => pb::DownloadState::Imported,
        DownloadState::Failed => pb::DownloadState::Failed,
    }
}

/// UNSPECIFIED means any; unknown numbers are INVALID_ARGUMENT.
pub fn state_filter_from_proto(value: i32) -> Result<Option<DownloadState>, Status> {
    let state = pb::DownloadState::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("unknown download state {value}")))?;
    Ok(DownloadState::ALL
        .into_iter()
        .find(|s| state_to_proto(*s) == state))
}

pub fn download(d: &DownloadRecord) -> pb::Download {
    pb::Download {
        id: d.id.to_string(),
        info_hash: d.info_hash.clone(),
        client: d.client.clone(),
        status: d.state.as_str().to_owned(),
        album_id: d.album_id.to_string(),
        run_id: d.run_id.map(|r| r.to_string()).unwrap_or_default(),
        title: d.title.clone(),
        state: state_to_proto(d.state).into(),
        progress: d.progress,
        size_bytes: d.size_bytes.unwrap_or(0),
        library_path: d.library_path.clone().unwrap_or_default(),
        message: d.message.clone(),
        retry_run_id: d.retry_run_id.map(|r| r.to_string()).unwrap_or_default(),
        created_at: Some(timestamp(d.created_at)),
        updated_at: Some(timestamp(d.updated_at)),
        quality: quality_to_proto(d.quality).into(),
        release_quality: d.release_quality.clone(),
        indexer: d.indexer.clone(),
        blocklisted: d.blocklisted,
    }
}

pub fn update(e: &DownloadEvent, replayed: bool) -> pb::DownloadUpdate {
    pb::DownloadUpdate {
        seq: e.seq,
        download: Some(download(&e.download)),
        created_at: Some(timestamp(e.created_at)),
        replayed,
    }
}

type Outbound = mpsc::Sender<Result<pb::DownloadUpdate, Status>>;

/// What a watch asks for.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Album and download only: a watcher sees every state.
    pub filter: DownloadFilter,
    pub after_seq: i64,
    /// No library is configured: COMPLETED is as far as a download goes, so
    /// watching one ends there too.
    pub completed_is_final: bool,
}

/// Streams the history after `after_seq`, then live updates, until the
/// client leaves, the service stops, or (watching one download) its
/// final update is sent.
pub async fn watch(
    log: DownloadLog,
    mut live: broadcast::Receiver<Arc<DownloadEvent>>,
    request: Watch,
    tx: Outbound,
    shutdown: CancellationToken,
) -> Result<(), StoreError> {
    let Watch {
        filter,
        after_seq,
        completed_is_final,
    } = request;
    let ends = |event: &DownloadEvent| {
        filter.download_id.is_some()
            && (event.download.state.is_terminal()
                || (completed_is_final && event.download.state == DownloadState::Completed))
    };
    let mut last = after_seq;
    if catch_up(&log, &filter, &mut last, &tx, &ends).await? {
        return Ok(());
    }
    // Watching one download that ended before `after_seq`: nothing follows
    // but what was committed since the replay (read once more).
    if let Some(id) = filter.download_id
        && log
            .store()
            .download(id)
            .await?
            .is_some_and(|d| d.state.is_terminal())
    {
        catch_up(&log, &filter, &mut last, &tx, &ends).await?;
        return Ok(());
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                let _ = tx.send(Err(Status::unavailable("the service is shutting down"))).await;
                return Ok(());
            }
            () = tx.closed() => return Ok(()),
            received = live.recv() => match received {
                Ok(event) => {
                    if event.seq <= last || !filter.matches(&event.download) {
                        continue;
                    }
                    last = event.seq;
                    if !send(&tx, &event, false).await || ends(&event) {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if catch_up(&log, &filter, &mut last, &tx, &ends).await? {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }
}

/// Sends every stored event after `last`; true when the stream is done.
async fn catch_up(
    log: &DownloadLog,
    filter: &DownloadFilter,
    last: &mut i64,
    tx: &Outbound,
    ends: &impl Fn(&DownloadEvent) -> bool,
) -> Result<bool, StoreError> {
    loop {
        let batch = log
            .store()
            .download_events_after(filter, *last, 500)
            .await?;
        if batch.is_empty() {
            return Ok(false);
        }
        for event in &batch {
            *last = event.seq;
            if !send(tx, event, true).await || ends(event) {
                return Ok(true);
            }
        }
    }
}

async fn send(tx: &Outbound, event: &DownloadEvent, replayed: bool) -> bool {
    tx.send(Ok(update(event, replayed))).await.is_ok()
}
