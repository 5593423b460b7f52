//! `musicagg downloads`, `monitor --follow` (the download after the grab)
//! and `musicagg library scan`.

use std::io::IsTerminal;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::CliError;
use super::Client;
use super::output::{proto_name, quality_name, time};
use crate::proto::v1 as pb;

/// "IMPORTED" for `DOWNLOAD_STATE_IMPORTED`.
pub(super) fn state_name(value: i32) -> String {
    let name = pb::DownloadState::try_from(value)
        .ok()
        .map(|s| s.as_str_name());
    proto_name(name, "DOWNLOAD_STATE_", "STATE", value)
}

pub(super) fn download_json(d: &pb::Download) -> Value {
    json!({
        "id": d.id,
        "album_id": d.album_id,
        "run_id": d.run_id,
        "title": d.title,
        "quality": quality_name(d.quality),
        "release_quality": d.release_quality,
        "indexer": d.indexer,
        "client": d.client,
        "info_hash": d.info_hash,
        "state": state_name(d.state),
        "progress": d.progress,
        "size_bytes": d.size_bytes,
        "library_path": d.library_path,
        "message": d.message,
        "retry_run_id": d.retry_run_id,
        "blocklisted": d.blocklisted,
        "created_at": time(d.created_at.as_ref()),
        "updated_at": time(d.updated_at.as_ref()),
    })
}

fn update_json(u: &pb::DownloadUpdate) -> Value {
    json!({ "download_update": {
        "seq": u.seq,
        "created_at": time(u.created_at.as_ref()),
        "replayed": u.replayed,
        "download": u.download.as_ref().map(download_json),
    }})
}

/// `[#####-----]  45 %`
fn bar(progress: f64) -> String {
    let width = 20usize;
    let filled = ((progress.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!(
        "[{}{}] {:>3} %",
        "#".repeat(filled),
        "-".repeat(width - filled),
        (progress.clamp(0.0, 1.0) * 100.0).floor()
    )
}

fn human_size(bytes: u64) -> String {
    if bytes == 0 {
        return "?".into();
    }
    crate::release::human_size(bytes)
}

/// `musicagg downloads`: newest first, a progress bar per row on a terminal.
pub(super) async fn list(
    mut client: Client,
    album: Option<String>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let mut token = String::new();
    let mut rows = Vec::new();
    loop {
        let page = client
            .list_downloads(pb::ListDownloadsRequest {
                album_id: album.clone().unwrap_or_default(),
                state: 0,
                page_size: 200,
                page_token: token,
            })
            .await?
            .into_inner();
        rows.extend(page.downloads);
        if page.next_page_token.is_empty() || rows.len() >= 1000 {
            break;
        }
        token = page.next_page_token;
    }
    if json {
        for d in &rows {
            println!("{}", download_json(d));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no downloads");
        return Ok(ExitCode::SUCCESS);
    }
    let terminal = std::io::stdout().is_terminal();
    for d in &rows {
        let progress = if terminal {
            bar(d.progress)
        } else {
            format!("{:>3} %", (d.progress * 100.0).floor())
        };
        println!(
            "{:<11} {progress}  {:>9}  {}  ({})",
            state_name(d.state),
            human_size(d.size_bytes),
            d.title,
            d.id
        );
        if !d.message.is_empty() {
            println!("            {}", d.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How a followed download ended.
pub(super) enum Followed {
    Imported,
    /// COMPLETED where no library is configured: as far as it goes.
    Downloaded,
    /// Failed; the run that retries it, when one was started.
    Failed {
        retry_run_id: Option<String>,
    },
    /// The stream ended without a terminal state (the service stopped).
    Interrupted,
}

/// Watches one download to IMPORTED or FAILED, one line per change.
pub(super) async fn follow(
    mut client: Client,
    download_id: &str,
    json: bool,
) -> Result<Followed, CliError> {
    let mut stream = client
        .watch_downloads(pb::WatchDownloadsRequest {
            album_id: String::new(),
            download_id: download_id.to_owned(),
            after_seq: 0,
        })
        .await?
        .into_inner();
    let mut last_state = -1;
    while let Some(update) = stream.message().await? {
        let Some(d) = &update.download else { continue };
        if json {
            println!("{}", update_json(&update));
        } else if d.state != last_state || !update.replayed {
            println!(
                "{} {}{}",
                state_name(d.state),
                bar(d.progress),
                if d.message.is_empty() {
                    String::new()
                } else {
                    format!("  {}", d.message)
                }
            );
        }
        last_state = d.state;
        match pb::DownloadState::try_from(d.state) {
            Ok(pb::DownloadState::Imported) => return Ok(Followed::Imported),
            Ok(pb::DownloadState::Failed) => {
                return Ok(Followed::Failed {
                    retry_run_id: (!d.retry_run_id.is_empty()).then(|| d.retry_run_id.clone()),
                });
            }
            _ => {}
        }
    }
    if pb::DownloadState::try_from(last_state) == Ok(pb::DownloadState::Completed) {
        return Ok(Followed::Downloaded);
    }
    Ok(Followed::Interrupted)
}

/// `musicagg library scan`.
pub(super) async fn library_scan(mut client: Client, json: bool) -> Result<ExitCode, CliError> {
    let summary = client
        .scan_library(pb::ScanLibraryRequest {})
        .await?
        .into_inner();
    if json {
        println!(
            "{}",
            json!({
                "library_path": summary.library_path,
                "files": summary.files,
                "read": summary.read,
                "removed": summary.removed,
                "errors": summary.errors,
            })
        );
    } else {
        println!(
            "{}: {} audio files ({} read, {} removed)",
            summary.library_path, summary.files, summary.read, summary.removed
        );
        for error in &summary.errors {
            println!("  unreadable: {error}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
