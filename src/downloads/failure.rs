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
    /// The release is at fault (dead, refused, not this album): skip it for
    /// this album from now on. A user's removal or our own trouble is not.
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
/// is stored before the retry starts, so the new run's history has the
/// blocklisted release.
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
    download.state = DownloadState::Failed;
    download.blocklisted = failure.blocklist;
    download.message = message.clone();
    w.downloads.save(&mut download, false).await?;

    if options.retry_failed {
        let streak = failures_in_a_row(w, &download).await?;
        if streak > options.max_retries {
            message.push_str(&format!(
                "; {streak} failed downloads of this album in a row: not retrying \
                 (ask for it again to try once more)"
            ));
        } else {
            match retry(w, &download).await {
                Ok(run_id) => {
                    download.retry_run_id = Some(run_id);
                    message.push_str(&format!(
                        "; retrying (attempt {streak} of {}): run {run_id}",
                        options.max_retries
                    ));
                }
                Err(e) => message.push_str(&format!("; could not retry: {e}")),
            }
        }
    } else {
        message.push_str("; not retried (retry_failed = false)");
    }
    download.message = message;
    tracing::warn!(download = %download.id, album = %download.album_id, "download failed: {}", download.message);
    w.downloads.save(&mut download, true).await?;
    Ok(download)
}

/// Failed downloads of the album, newest first, up to the first that did
/// not fail (this one included).
async fn failures_in_a_row(w: &Workflows, download: &DownloadRecord) -> Result<u32, StoreError> {
    let all = w.store.album_downloads(&download.album_id).await?;
    let streak = all
        .iter()
        .rev()
        .take_while(|d| d.state == DownloadState::Failed)
        .count();
    Ok(u32::try_from(streak).unwrap_or(u32::MAX))
}

/// A new run of the album at the same quality; joins one already going.
async fn retry(w: &Workflows, download: &DownloadRecord) -> Result<RunId, String> {
    let attachment = w
        .attach(&download.key(), 0, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(attachment.run_id)
}
