//! `musicagg runs`, `events` and `cancel`, and the JSON shapes the CLI prints.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::CliError;
use super::Client;
use crate::api::convert::status_to_proto;
use crate::model::WorkflowStatus;
use crate::proto::v1 as pb;

/// An enum value's proto name without its prefix ("COMPLETE" for
/// `WORKFLOW_STATUS_COMPLETE`), or `{fallback}_{value}` for a number this
/// build does not know.
pub(super) fn proto_name(name: Option<&str>, prefix: &str, fallback: &str, value: i32) -> String {
    match name {
        Some(name) => name.trim_start_matches(prefix).to_owned(),
        None => format!("{fallback}_{value}"),
    }
}

/// "COMPLETE" for `WORKFLOW_STATUS_COMPLETE`.
pub(super) fn status_name(value: i32) -> String {
    let name = pb::WorkflowStatus::try_from(value)
        .ok()
        .map(|s| s.as_str_name());
    proto_name(name, "WORKFLOW_STATUS_", "STATUS", value)
}

pub(super) fn quality_name(value: i32) -> String {
    pb::Quality::try_from(value)
        .map(|q| {
            q.as_str_name()
                .trim_start_matches("QUALITY_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| format!("quality_{value}"))
}

pub(super) fn time(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| {
        chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
    })
    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    .unwrap_or_default()
}

fn update_json(u: &pb::StatusUpdate) -> Value {
    json!({
        "run_id": u.run_id,
        "album_id": u.album_id,
        "quality": quality_name(u.quality),
        "status": status_name(u.status),
        "seq": u.seq,
        "created_at": time(u.created_at.as_ref()),
        "message": u.message,
        "replayed": u.replayed,
        "mode": mode_name(u.mode),
    })
}

/// "automatic" or "manual".
pub(super) fn mode_name(value: i32) -> String {
    match pb::MonitorMode::try_from(value) {
        Ok(pb::MonitorMode::Manual) => "manual".into(),
        Ok(_) => "automatic".into(),
        Err(_) => format!("mode_{value}"),
    }
}

pub(super) fn release_json(r: &pb::Release) -> Value {
    json!({
        "indexer": r.indexer,
        "title": r.title,
        "guid": r.guid,
        "info_hash": r.info_hash,
        "size_bytes": r.size_bytes,
        "seeders": r.seeders,
        "quality": r.quality,
        "score": r.score,
    })
}

/// One stream message as a JSON object: `{"status_update": {…}}`,
/// `{"offer": {…}}` or `{"result": {…}}`.
pub(super) fn message_json(message: &pb::MonitorAlbumStreamResponse) -> Value {
    use pb::monitor_album_stream_response::Response;
    match &message.response {
        Some(Response::StatusUpdate(u)) => json!({ "status_update": update_json(u) }),
        Some(Response::Offer(o)) => super::choose::offer_json(o),
        Some(Response::Result(r)) => json!({ "result": {
            "run_id": r.run_id,
            "album_id": r.album_id,
            "quality": quality_name(r.quality),
            "status": status_name(r.status),
            "seq": r.seq,
            "created_at": time(r.created_at.as_ref()),
            "message": r.message,
            "replayed": r.replayed,
            "album": r.album.as_ref().map(|a| json!({
                "id": a.id,
                "title": a.title,
                "artist": a.artist,
                "first_release_date": a.first_release_date,
                "primary_type": a.primary_type,
                "tracks": a.tracks.len(),
            })),
            "selected_release": r.selected_release.as_ref().map(release_json),
            "download": r.download.as_ref().map(|d| json!({
                "id": d.id,
                "info_hash": d.info_hash,
                "client": d.client,
                "status": d.status,
            })),
            "rejected_candidates": r.rejected_candidates.iter().map(|c| json!({
                "release": c.release.as_ref().map(release_json),
                "rejection_reasons": c.rejection_reasons,
            })).collect::<Vec<_>>(),
        }}),
        None => json!({}),
    }
}

fn run_json(r: &pb::WorkflowRun) -> Value {
    json!({
        "run_id": r.run_id,
        "album_id": r.album_id,
        "quality": quality_name(r.quality),
        "status": status_name(r.status),
        "finished": r.finished,
        "message": r.message,
        "last_seq": r.last_seq,
        "mode": mode_name(r.mode),
        "created_at": time(r.created_at.as_ref()),
        "finished_at": time(r.finished_at.as_ref()),
    })
}

pub(super) async fn runs(
    mut client: Client,
    album: Option<String>,
    status: Option<WorkflowStatus>,
    limit: i32,
    json: bool,
) -> Result<ExitCode, CliError> {
    let response = client
        .list_workflow_runs(pb::ListWorkflowRunsRequest {
            album_id: album.unwrap_or_default(),
            status: status.map_or(0, |s| status_to_proto(s).into()),
            page_size: limit,
            page_token: String::new(),
        })
        .await?
        .into_inner();
    if json {
        for run in &response.runs {
            println!("{}", run_json(run));
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<36}  {:<36}  {:<14}  {:<17}  {:<24}  MESSAGE",
        "RUN ID", "ALBUM", "QUALITY", "STATUS", "STARTED"
    );
    for run in &response.runs {
        println!(
            "{:<36}  {:<36}  {:<14}  {:<17}  {:<24}  {}",
            run.run_id,
            run.album_id,
            quality_name(run.quality),
            status_name(run.status),
            time(run.created_at.as_ref()),
            run.message
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn events(
    mut client: Client,
    run_id: String,
    after_seq: i64,
    json: bool,
) -> Result<ExitCode, CliError> {
    let mut page_token = String::new();
    loop {
        let page = client
            .list_album_events(pb::ListAlbumEventsRequest {
                run_id: run_id.clone(),
                album_id: String::new(),
                after_seq,
                page_size: 500,
                page_token,
            })
            .await?
            .into_inner();
        for e in &page.events {
            if json {
                println!("{}", update_json(e));
            } else {
                println!(
                    "{:>4}  {}  {:<17}  {}",
                    e.seq,
                    time(e.created_at.as_ref()),
                    status_name(e.status),
                    e.message
                );
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        page_token = page.next_page_token;
    }
}

pub(super) async fn cancel(
    mut client: Client,
    run_id: String,
    reason: String,
) -> Result<ExitCode, CliError> {
    let response = client
        .cancel_workflow(pb::CancelWorkflowRequest { run_id, reason })
        .await?
        .into_inner();
    let run = response.run.unwrap_or_default();
    if response.cancelled {
        println!("cancelled run {}: {}", run.run_id, run.message);
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "run {} had already finished: {} ({})",
            run.run_id,
            status_name(run.status),
            run.message
        );
        Ok(ExitCode::from(1))
    }
}

pub(super) async fn search(
    mut client: Client,
    query: String,
    limit: i32,
    json: bool,
) -> Result<ExitCode, CliError> {
    let albums = client
        .search_albums(pb::SearchAlbumsRequest { query, limit })
        .await?
        .into_inner()
        .albums;
    if json {
        for a in &albums {
            println!(
                "{}",
                json!({
                    "id": a.id,
                    "title": a.title,
                    "artist": a.artist,
                    "year": a.year,
                    "primary_type": a.primary_type,
                    "score": a.score,
                })
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if albums.is_empty() {
        println!("no albums found");
        return Ok(ExitCode::from(1));
    }
    println!(
        "{:<36}  {:>5}  {:<4}  {:<8}  ARTIST - TITLE",
        "ALBUM ID", "SCORE", "YEAR", "TYPE"
    );
    for a in &albums {
        println!(
            "{:<36}  {:>5}  {:<4}  {:<8}  {} - {}",
            a.id, a.score, a.year, a.primary_type, a.artist, a.title
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn album(
    mut client: Client,
    album_id: String,
    json: bool,
) -> Result<ExitCode, CliError> {
    let a = client
        .get_album(pb::GetAlbumRequest { album_id })
        .await?
        .into_inner();
    if json {
        println!(
            "{}",
            json!({
                "id": a.id,
                "title": a.title,
                "artist": a.artist,
                "first_release_date": a.first_release_date,
                "primary_type": a.primary_type,
                "secondary_types": a.secondary_types,
                "tracks": a.tracks.iter().map(|t| json!({
                    "disc": t.disc,
                    "position": t.position,
                    "number": t.number,
                    "title": t.title,
                    "length_ms": t.length_ms,
                })).collect::<Vec<_>>(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    if a.first_release_date.is_empty() {
        println!("{} - {}", a.artist, a.title);
    } else {
        println!("{} - {} ({})", a.artist, a.title, a.first_release_date);
    }
    let mut types = vec![a.primary_type.clone()];
    types.extend(a.secondary_types.iter().cloned());
    println!("{}  ·  {}", a.id, types.join(" + "));
    let total: i64 = a.tracks.iter().map(|t| t.length_ms).sum();
    for t in &a.tracks {
        println!(
            "  {:>2}.{:<4} {}  {}",
            t.disc,
            t.number,
            duration(t.length_ms),
            t.title
        );
    }
    println!("{} tracks, {}", a.tracks.len(), duration(total));
    Ok(ExitCode::SUCCESS)
}

/// "4:05", or "?:??" when unknown.
fn duration(ms: i64) -> String {
    if ms <= 0 {
        return "?:??".into();
    }
    let secs = ms / 1000;
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

pub(super) async fn indexers_test(
    indexers: &crate::indexer::TorznabIndexers,
) -> Result<ExitCode, CliError> {
    let checks = indexers.test_all().await;
    let mut all_passed = true;
    for check in &checks {
        all_passed &= check.passed();
        println!("{check}");
    }
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(super) async fn indexers_search(
    indexers: &crate::indexer::TorznabIndexers,
    artist: &str,
    album: &str,
    json: bool,
) -> Result<ExitCode, CliError> {
    let report = indexers.search_terms(artist, album).await;
    if json {
        for release in &report.releases {
            let mut value = serde_json::to_value(release).unwrap_or_default();
            // Download links carry the indexer's API key.
            if let Some(link) = value.get_mut("download_url") {
                *link = json!(
                    release
                        .download_url
                        .as_deref()
                        .and_then(|l| url::Url::parse(l).ok())
                        .map(|u| crate::magnet::redact(&u))
                );
            }
            println!("{value}");
        }
    } else {
        println!("{:>5}  {:>9}  {:<12}  TITLE", "SEED", "SIZE", "INDEXER");
        for r in &report.releases {
            println!(
                "{:>5}  {:>9}  {:<12}  {}",
                r.seeders.map_or("?".into(), |s| s.to_string()),
                r.size_bytes
                    .map_or("?".into(), |b| format!("{:.0} MB", b as f64 / 1e6)),
                r.indexer,
                r.title
            );
        }
    }
    eprintln!("{}", report.summary());
    Ok(ExitCode::SUCCESS)
}

/// ", REPACK v2" for a candidate whose title names a revision (from its
/// evaluation's `revision` {version, repack, real}); empty otherwise.
pub(super) fn revision_note(details_json: &str) -> String {
    let details: Value = serde_json::from_str(details_json).unwrap_or(Value::Null);
    let revision = &details["revision"];
    if !revision.is_object() {
        return String::new();
    }
    let mut words = Vec::new();
    // `real` counts the REAL markers (a real of a real is rare, but seen)
    if revision["real"].as_u64().is_some_and(|n| n > 0) {
        words.push("REAL".to_owned());
    }
    if revision["repack"].as_bool() == Some(true) {
        words.push("REPACK".to_owned());
    }
    if let Some(v) = revision["version"].as_u64().filter(|v| *v > 1) {
        words.push(format!("v{v}"));
    }
    if words.is_empty() {
        String::new()
    } else {
        format!(", {}", words.join(" "))
    }
}

pub(super) async fn candidates(
    mut client: Client,
    run_id: String,
    json: bool,
) -> Result<ExitCode, CliError> {
    let candidates = client
        .list_candidates(pb::ListCandidatesRequest { run_id })
        .await?
        .into_inner()
        .candidates;
    for (rank, c) in candidates.iter().enumerate() {
        let r = c.release.clone().unwrap_or_default();
        if json {
            let details: Value = serde_json::from_str(&c.details_json).unwrap_or(Value::Null);
            println!(
                "{}",
                json!({
                    "accepted": c.accepted,
                    "release": release_json(&r),
                    "rejection_reasons": c.rejection_reasons,
                    "details": details,
                })
            );
        } else if c.accepted {
            println!(
                "✔ #{:<3} {} [{}{}] ({}, {} seeder{}, score {})",
                rank + 1,
                r.title,
                r.quality,
                revision_note(&c.details_json),
                r.indexer,
                r.seeders,
                if r.seeders == 1 { "" } else { "s" },
                r.score
            );
        } else {
            println!(
                "✘      {} [{}{}] ({}): {}",
                r.title,
                r.quality,
                revision_note(&c.details_json),
                r.indexer,
                c.rejection_reasons.join("; ")
            );
        }
    }
    if candidates.is_empty() && !json {
        println!("no candidates (the run did not get to evaluating releases)");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::revision_note;

    #[test]
    fn revisions_are_shown_beside_the_quality() {
        let details = |revision: &str| format!(r#"{{"quality":"FLAC","revision":{revision}}}"#);
        assert_eq!(
            revision_note(&details(r#"{"version":2,"repack":true,"real":0}"#)),
            ", REPACK v2"
        );
        assert_eq!(
            revision_note(&details(r#"{"version":2,"repack":false,"real":0}"#)),
            ", v2"
        );
        assert_eq!(
            revision_note(&details(r#"{"version":1,"repack":false,"real":1}"#)),
            ", REAL"
        );
        assert_eq!(revision_note(&details("null")), "");
        assert_eq!(revision_note("not json"), "");
        assert_eq!(revision_note(""), "");
    }
}
