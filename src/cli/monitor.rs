//! `musicagg monitor`: start (or join) an album's workflow and show it live.
//!
//! On a terminal: a spinner with the current step and the elapsed time, and a
//! line per finished step. Otherwise: one plain line per event. With `--json`:
//! one JSON object per stream message.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tonic::transport::Channel;

use super::CliError;
use super::output::{message_json, status_name};
use crate::api::convert::quality_to_proto;
use crate::model::Quality;
use crate::proto::v1 as pb;
use crate::proto::v1::music_aggregator_service_client::MusicAggregatorServiceClient;
use pb::monitor_album_stream_response::Response;

/// How the stream is shown.
enum Display {
    Json,
    Plain,
    Live {
        bar: ProgressBar,
        step_started: Instant,
        step: Option<String>,
    },
}

/// Where to pick a run up again.
pub(super) struct Resume {
    pub after_seq: i64,
    /// Empty: the album's live or latest run.
    pub run_id: String,
}

pub(super) async fn run(
    mut client: MusicAggregatorServiceClient<Channel>,
    album_id: &str,
    quality: Quality,
    resume: Resume,
    json: bool,
) -> Result<(ExitCode, Option<pb::MonitorAlbumResponse>), CliError> {
    let after_seq = resume.after_seq;
    let start = pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Start(
            pb::StartMonitorRequest {
                album_id: album_id.to_owned(),
                quality: quality_to_proto(quality).into(),
                mode: pb::MonitorMode::Automatic.into(),
                after_seq,
                run_id: resume.run_id.clone(),
            },
        )),
    };
    let mut stream = client
        .monitor_album_stream(tokio_stream::once(start))
        .await?
        .into_inner();

    let mut display = if json {
        Display::Json
    } else if std::io::stdout().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar.set_message(format!("connecting ({album_id})"));
        Display::Live {
            bar,
            step_started: Instant::now(),
            step: None,
        }
    } else {
        Display::Plain
    };

    let mut last_seq = after_seq;
    let mut run_id = resume.run_id;
    loop {
        let message = tokio::select! {
            message = stream.message() => message,
            _ = tokio::signal::ctrl_c() => {
                display.finish_step();
                eprintln!(
                    "stopped watching; the workflow goes on (resume with --run-id {run_id} --after-seq {last_seq})"
                );
                return Ok((ExitCode::from(130), None));
            }
        };
        let Some(message) = message? else {
            display.finish_step();
            return Err(CliError::Service(format!(
                "the stream ended without a final response (resume with --run-id {run_id} --after-seq {last_seq})"
            )));
        };
        match &message.response {
            Some(Response::StatusUpdate(update)) => {
                last_seq = update.seq;
                run_id.clone_from(&update.run_id);
                display.update(&message, update);
            }
            Some(Response::Result(result)) => {
                display.result(&message, result);
                let success = matches!(
                    pb::WorkflowStatus::try_from(result.status),
                    Ok(pb::WorkflowStatus::Complete | pb::WorkflowStatus::AlreadyOwned)
                );
                let code = if success {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                };
                return Ok((code, success.then(|| result.clone())));
            }
            None => {}
        }
    }
}

impl Display {
    fn update(&mut self, message: &pb::MonitorAlbumStreamResponse, update: &pb::StatusUpdate) {
        let status = status_name(update.status);
        match self {
            Display::Json => println!("{}", message_json(message)),
            Display::Plain => println!(
                "[{}] {status}{} {}",
                update.seq,
                if update.replayed { " (replayed)" } else { "" },
                update.message
            ),
            Display::Live {
                bar,
                step_started,
                step,
            } => {
                if let Some(done) = step.take() {
                    bar.println(format!(
                        "✔ {done} ({:.1} s)",
                        step_started.elapsed().as_secs_f64()
                    ));
                }
                *step_started = Instant::now();
                *step = Some(format!("{status}: {}", update.message));
                bar.set_message(format!("{status}: {}", update.message));
            }
        }
    }

    fn result(
        &mut self,
        message: &pb::MonitorAlbumStreamResponse,
        result: &pb::MonitorAlbumResponse,
    ) {
        let status = status_name(result.status);
        self.finish_step();
        match self {
            Display::Json => println!("{}", message_json(message)),
            Display::Plain | Display::Live { .. } => {
                println!("{status}: {}", result.message);
                if let Some(release) = &result.selected_release {
                    println!(
                        "  release: {} [{}] from {}",
                        release.title, release.quality, release.indexer
                    );
                }
                for candidate in &result.rejected_candidates {
                    if let Some(release) = &candidate.release {
                        println!(
                            "  rejected: {} — {}",
                            release.title,
                            candidate.rejection_reasons.join("; ")
                        );
                    }
                }
            }
        }
    }

    /// Prints the running step as finished and removes the spinner.
    fn finish_step(&mut self) {
        if let Display::Live {
            bar,
            step_started,
            step,
        } = self
        {
            if let Some(done) = step.take() {
                bar.println(format!(
                    "✔ {done} ({:.1} s)",
                    step_started.elapsed().as_secs_f64()
                ));
            }
            bar.finish_and_clear();
        }
    }
}
