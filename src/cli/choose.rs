//! Manual mode on the command line: the offer as a numbered table, the
//! user's answer read from the terminal, and `musicagg choose RUN_ID
//! GUID|#N` (the unary ChooseRelease, for a shell that is not watching).

use std::process::ExitCode;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::CliError;
use super::Client;
use super::output::{release_json, status_name, time};
use crate::proto::v1 as pb;

/// `{"offer": {…}}`, each candidate with its number in the offer.
pub(super) fn offer_json(o: &pb::CandidateOffer) -> Value {
    json!({ "offer": {
        "run_id": o.run_id,
        "seq": o.seq,
        "expires_at": time(o.expires_at.as_ref()),
        "replayed": o.replayed,
        "candidates": o.candidates.iter().enumerate().map(|(i, c)| json!({
            "number": i + 1,
            "accepted": c.accepted,
            "release": c.release.as_ref().map(release_json),
            "rejection_reasons": c.rejection_reasons,
        })).collect::<Vec<_>>(),
    }})
}

/// "1.2 GB", "340 MB", "?" when unknown.
fn size(bytes: u64) -> String {
    match bytes {
        0 => "?".into(),
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b => format!("{} MB", b.div_ceil(1_000_000)),
    }
}

/// The offer as a numbered table: one line per candidate (number, verdict,
/// quality, size, seeders, indexer, title), the reasons of a rejected one
/// below it.
pub(super) fn offer_table(o: &pb::CandidateOffer) -> String {
    let mut out = format!(
        "{} candidate{} (until {}):\n",
        o.candidates.len(),
        if o.candidates.len() == 1 { "" } else { "s" },
        time(o.expires_at.as_ref())
    );
    out.push_str(&format!(
        "{:>3}  {:<8} {:<16} {:>9} {:>7}  {:<12} {}\n",
        "#", "verdict", "quality", "size", "seeders", "indexer", "title"
    ));
    for (i, c) in o.candidates.iter().enumerate() {
        let r = c.release.clone().unwrap_or_default();
        let quality = if r.quality.is_empty() {
            "?".to_owned()
        } else {
            r.quality.chars().take(16).collect()
        };
        let seeders = if r.seeders < 0 {
            "?".to_owned()
        } else {
            r.seeders.to_string()
        };
        out.push_str(&format!(
            "{:>3}  {:<8} {:<16} {:>9} {:>7}  {:<12} {}\n",
            i + 1,
            if c.accepted { "accepted" } else { "rejected" },
            quality,
            size(r.size_bytes),
            seeders,
            r.indexer.chars().take(12).collect::<String>(),
            r.title
        ));
        for reason in &c.rejection_reasons {
            out.push_str(&format!("{:>14}{reason}\n", "- "));
        }
    }
    out
}

/// What the user typed, understood.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// The guid of the candidate with that number.
    Choose(String),
    Decline,
}

/// `N` (or `#N`) in 1..=candidates, or `d` / `decline`.
pub(super) fn parse_answer(text: &str, o: &pb::CandidateOffer) -> Result<Answer, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("d") || text.eq_ignore_ascii_case("decline") {
        return Ok(Answer::Decline);
    }
    let n = text.trim_start_matches('#');
    match n.parse::<usize>() {
        Ok(n) if (1..=o.candidates.len()).contains(&n) => Ok(Answer::Choose(
            o.candidates[n - 1]
                .release
                .as_ref()
                .map(|r| r.guid.clone())
                .unwrap_or_default(),
        )),
        _ => Err(format!(
            "{text:?}: type a number from 1 to {}, or d to decline",
            o.candidates.len()
        )),
    }
}

/// The stream message that answers an offer.
pub(super) fn choose_message(run_id: &str, answer: &Answer) -> pb::MonitorAlbumStreamRequest {
    let (guid, decline) = match answer {
        Answer::Choose(guid) => (guid.clone(), false),
        Answer::Decline => (String::new(), true),
    };
    pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Choose(
            pb::ChooseReleaseRequest {
                run_id: run_id.to_owned(),
                guid,
                decline,
            },
        )),
    }
}

/// Lines of standard input, read on a thread of their own (a blocked read
/// must never keep the process from exiting); `None` at the end of input.
pub(super) fn stdin_lines() -> mpsc::UnboundedReceiver<Option<String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        loop {
            line.clear();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(_) => {
                    if tx.send(Some(line.clone())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The offer of `run_id`, read from its stream (replayed from the start).
async fn offer_of(client: &mut Client, run_id: &str) -> Result<pb::CandidateOffer, CliError> {
    use pb::monitor_album_stream_response::Response;
    let run = client
        .get_workflow_run(pb::GetWorkflowRunRequest {
            run_id: run_id.to_owned(),
        })
        .await?
        .into_inner();
    if run.mode() != pb::MonitorMode::Manual {
        return Err(CliError::Usage(format!(
            "run {run_id} is automatic: it offers nothing to choose from"
        )));
    }
    let start = pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Start(
            pb::StartMonitorRequest {
                album_id: run.album_id,
                quality: run.quality,
                mode: run.mode,
                after_seq: 0,
                run_id: run.run_id,
                keep_wanted: false,
            },
        )),
    };
    let mut stream = client
        .monitor_album_stream(tokio_stream::once(start))
        .await?
        .into_inner();
    while let Some(message) = stream.message().await? {
        match message.response {
            Some(Response::Offer(offer)) => return Ok(offer),
            Some(Response::Result(result)) => {
                return Err(CliError::Usage(format!(
                    "run {run_id} ended without an offer: {}: {}",
                    status_name(result.status),
                    result.message
                )));
            }
            _ => {}
        }
    }
    // The stream waits for the offer: ending without it or the run's end
    // means the server went away (it ends streams when it shuts down).
    Err(CliError::Usage(format!(
        "the stream of run {run_id} ended before its offer arrived (is the server \
         restarting?); try again"
    )))
}

/// `musicagg choose RUN_ID GUID|#N` (or `--decline`).
pub(super) async fn choose(
    mut client: Client,
    run_id: String,
    target: Option<String>,
    decline: bool,
    json: bool,
) -> Result<ExitCode, CliError> {
    let (guid, decline) = match (target, decline) {
        (None, true) => (String::new(), true),
        (Some(target), false) if target.starts_with('#') => {
            let offer = offer_of(&mut client, &run_id).await?;
            match parse_answer(&target, &offer).map_err(CliError::Usage)? {
                Answer::Choose(guid) => (guid, false),
                Answer::Decline => (String::new(), true),
            }
        }
        (Some(guid), false) => (guid, false),
        _ => {
            return Err(CliError::Usage(
                "give a GUID or #N from the offer, or --decline (not both)".into(),
            ));
        }
    };
    let response = client
        .choose_release(pb::ChooseReleaseRequest {
            run_id: run_id.clone(),
            guid,
            decline,
        })
        .await?
        .into_inner();
    if json {
        println!(
            "{}",
            json!({
                "run_id": run_id,
                "chosen": response.chosen.as_ref().map(|c| json!({
                    "accepted": c.accepted,
                    "release": c.release.as_ref().map(release_json),
                    "rejection_reasons": c.rejection_reasons,
                })),
                "status": response.run.as_ref().map(|r| status_name(r.status)),
                "result": response.result.as_ref().map(|r| json!({
                    "status": status_name(r.status),
                    "message": r.message,
                    "seq": r.seq,
                })),
            })
        );
    } else {
        match response.chosen.as_ref().and_then(|c| c.release.as_ref()) {
            Some(r) => println!("chosen: {} [{}] from {}", r.title, r.quality, r.indexer),
            None => println!("declined"),
        }
        match &response.result {
            Some(r) => println!("{}: {}", status_name(r.status), r.message),
            None => println!(
                "the run goes on (watch it with `musicagg events {run_id}` or monitor --run-id)"
            ),
        }
    }
    let ended_well = response.result.as_ref().is_none_or(|r| {
        matches!(
            pb::WorkflowStatus::try_from(r.status),
            Ok(pb::WorkflowStatus::Complete)
        )
    });
    Ok(if ended_well && !decline {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> pb::CandidateOffer {
        let candidate = |guid: &str, accepted: bool, reasons: &[&str]| pb::Candidate {
            release: Some(pb::Release {
                guid: guid.into(),
                title: format!("Artist - Album {guid}"),
                quality: "FLAC".into(),
                size_bytes: 250_000_000,
                seeders: 12,
                indexer: "jackett".into(),
                ..Default::default()
            }),
            accepted,
            rejection_reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            details_json: String::new(),
        };
        pb::CandidateOffer {
            run_id: "r".into(),
            seq: 6,
            candidates: vec![
                candidate("g1", true, &[]),
                candidate("g2", false, &["MP3 320 is not in the lossless tier"]),
            ],
            expires_at: None,
            replayed: false,
        }
    }

    #[test]
    fn answers_are_numbers_or_a_decline() {
        let o = offer();
        assert_eq!(parse_answer("2\n", &o), Ok(Answer::Choose("g2".into())));
        assert_eq!(parse_answer("#1", &o), Ok(Answer::Choose("g1".into())));
        assert_eq!(parse_answer(" D ", &o), Ok(Answer::Decline));
        for bad in ["0", "3", "", "two", "-1"] {
            assert!(parse_answer(bad, &o).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_table_numbers_every_candidate_with_its_reasons() {
        let table = offer_table(&offer());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(lines[2].trim_start().starts_with("1  accepted"), "{table}");
        assert!(
            lines[2].contains("250 MB") && lines[2].contains("12") && lines[2].contains("jackett"),
            "{table}"
        );
        assert!(lines[3].trim_start().starts_with("2  rejected"), "{table}");
        assert!(
            lines[4].contains("- MP3 320 is not in the lossless tier"),
            "{table}"
        );
    }
}
