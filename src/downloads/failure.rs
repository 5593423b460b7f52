//! Failed-download handling: a FAILED download is blocklisted for its
//! album (when the failure speaks against the release), removed from the
//! client with its data (`remove_failed`), and the album is tried again
//! through the registry (`retry_failed`), at most `max_retries` in a row.

use crate::model::{DownloadState, RunId};
use crate::store::{DownloadRecord, StoreError};
use crate::workflow::Workflows;

use super::tracker::TrackerOptions;

/// How a download failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// The release is at fault (dead, refused, not this album, removed from
    /// the client by the user): skip it for this album from now on. Our own
    /// trouble (the client's disk, files missing, an interrupted import) is
    /// not.
    pub blocklist: bool,
}

impl Failure {
    /// The release is at fault: blocklisted for the album.
    pub fn release(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            blocklist: true,
        }
    }

    /// Not the release (the user removed it, files went missing, our own
    /// trouble): not blocklisted.
    pub fn ours(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            blocklist: false,
        }
    }
}

/// Ends a download FAILED and does what the options say. The FAILED state
/// is stored before the retry starts (the new run's history must have the
/// blocklisted release), with `retry_pending` set; the retry and the FAILED
/// event follow in [`finish`], which start-up runs again for a download a
/// crash left pending.
pub async fn fail(
    w: &Workflows,
    options: &TrackerOptions,
    mut download: DownloadRecord,
    failure: Failure,
) -> Result<DownloadRecord, StoreError> {
    let client = &w.providers.torrent_client;
    let mut message = failure.reason.clone();
    if failure.blocklist {
        message.push_str("; blocklisted for this album");
    }
    if options.remove_failed {
        match client.remove(&download.info_hash, true).await {
            Ok(()) => message.push_str(&format!("; removed from {} with its data", client.name())),
            Err(e) => {
                tracing::warn!(download = %download.id, error = %e, "could not remove a failed torrent");
                message.push_str(&format!(
                    "; could not remove it from {}: {e}",
                    client.name()
                ));
            }
        }
    }
    let streak = failures_in_a_row(w, &download).await?;
    download.retry_pending = false;
    if !options.retry_failed {
        message.push_str("; not retried (retry_failed = false)");
    } else if streak > options.max_retries {
        message.push_str(&format!(
            "; {streak} failed downloads of this album in a row: not retrying \
             (ask for it again to try once more)"
        ));
    } else {
        message.push_str(&format!(
            "; retrying (attempt {streak} of {})",
            options.max_retries
        ));
        download.retry_pending = true;
    }
    download.state = DownloadState::Failed;
    download.blocklisted = failure.blocklist;
    download.message = message;
    w.downloads.save(&mut download, false).await?;
    finish(w, download).await
}

/// Starts the retry run when one is pending and writes the FAILED event
/// (naming the run).
pub async fn finish(
    w: &Workflows,
    mut download: DownloadRecord,
) -> Result<DownloadRecord, StoreError> {
    if download.retry_pending {
        match retry(w, &download).await {
            Ok(run_id) => {
                download.retry_run_id = Some(run_id);
                download.message.push_str(&format!(": run {run_id}"));
            }
            Err(e) => download
                .message
                .push_str(&format!("; could not retry: {e}")),
        }
        download.retry_pending = false;
    }
    tracing::warn!(download = %download.id, album = %download.album_id, "download failed: {}", download.message);
    w.downloads.save(&mut download, true).await?;
    Ok(download)
}

/// Finishes the failures a crash interrupted between their FAILED row and
/// their retry (called once at start-up).
pub async fn finish_interrupted(w: &Workflows) -> Result<usize, StoreError> {
    let pending = w.store.downloads_pending_retry().await?;
    let count = pending.len();
    for download in pending {
        finish(w, download).await?;
    }
    Ok(count)
}

/// This download and the album's failed downloads before it, up to the
/// first that did not fail.
async fn failures_in_a_row(w: &Workflows, download: &DownloadRecord) -> Result<u32, StoreError> {
    let all = w.store.album_downloads(&download.album_id).await?;
    let before = all
        .iter()
        .rev()
        .filter(|d| d.id != download.id)
        .take_while(|d| d.state == DownloadState::Failed)
        .count();
    Ok(u32::try_from(before + 1).unwrap_or(u32::MAX))
}

/// A new run of the album at the same quality; joins one already going.
async fn retry(w: &Workflows, download: &DownloadRecord) -> Result<RunId, String> {
    let attachment = w
        .attach(&download.key(), 0, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(attachment.run_id)
}
