//! `musicagg monitor`: start (or join) an album's workflow and show it live.
//!
//! On a terminal: a spinner with the current step and the elapsed time, and a
//! line per finished step. Otherwise: one plain line per event. With `--json`:
//! one JSON object per stream message.
//!
//! With `--manual`, the offer is shown as a numbered table and the answer
//! (a number, or `d`) read from standard input and sent on the same stream;
//! `--json` prints the offer and reads nothing. A choice refused because
//! another client answered first is said, and watching goes on where it was.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::CliError;
use super::choose::{choose_message, offer_table, parse_answer, stdin_lines};
use super::output::{message_json, mode_name, status_name};
use crate::api::convert::quality_to_proto;
use crate::model::Quality;
use crate::proto::v1 as pb;
use pb::monitor_album_stream_response::Response;

/// How the stream is shown.
enum Display {
    Json,
    Plain,
    Live {
        /// None while a table and a prompt hold the terminal.
        bar: Option<ProgressBar>,
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

/// What one `monitor` asks for.
pub(super) struct Request<'a> {
    pub album_id: &'a str,
    pub quality: Quality,
    pub manual: bool,
    pub json: bool,
    /// Keep the album on the wanted list (the default; `--once` clears it).
    pub keep_wanted: bool,
    /// `--follow`: the download is followed after the run.
    pub follow: bool,
    /// The options naming the server (`--server`, `--ca-cert`) as given,
    /// for the resume command; never the API key.
    pub connection: &'a str,
}

/// How one stream ended.
enum Session {
    Ended(ExitCode, Option<Box<pb::MonitorAlbumResponse>>),
    /// Our choice was refused (another came first, the offer expired): the
    /// stream ended with that status; the run goes on without us.
    ChoiceRefused(tonic::Status),
}

/// The terminal's answers to an offer, read once the first offer arrives.
#[derive(Default)]
struct Answers {
    lines: Option<mpsc::UnboundedReceiver<Option<String>>>,
    /// Standard input ended: nothing more will be read.
    exhausted: bool,
}

impl Answers {
    async fn next(&mut self) -> Option<String> {
        match self.lines.as_mut() {
            Some(lines) => lines.recv().await.flatten(),
            None => std::future::pending().await,
        }
    }
}

/// Where the watching stands (resuming after a refused choice).
struct Position {
    last_seq: i64,
    run_id: String,
    mode_noted: bool,
}

pub(super) async fn run(
    client: super::Client,
    request: Request<'_>,
    resume: Resume,
) -> Result<(ExitCode, Option<pb::MonitorAlbumResponse>), CliError> {
    let mut display = Display::new(request.json, request.album_id);
    let mut answers = Answers::default();
    let mut position = Position {
        last_seq: resume.after_seq,
        run_id: resume.run_id,
        mode_noted: false,
    };
    loop {
        match session(
            client.clone(),
            &request,
            &mut position,
            &mut display,
            &mut answers,
        )
        .await?
        {
            Session::Ended(code, result) => return Ok((code, result.map(|r| *r))),
            Session::ChoiceRefused(status) => {
                display.pause();
                eprintln!(
                    "your choice was not taken: {}; still watching",
                    status.message()
                );
            }
        }
    }
}

async fn session(
    mut client: super::Client,
    request: &Request<'_>,
    position: &mut Position,
    display: &mut Display,
    answers: &mut Answers,
) -> Result<Session, CliError> {
    let start = pb::MonitorAlbumStreamRequest {
        request: Some(pb::monitor_album_stream_request::Request::Start(
            pb::StartMonitorRequest {
                album_id: request.album_id.to_owned(),
                quality: quality_to_proto(request.quality).into(),
                mode: if request.manual {
                    pb::MonitorMode::Manual
                } else {
                    pb::MonitorMode::Automatic
                }
                .into(),
                after_seq: position.last_seq,
                run_id: position.run_id.clone(),
                // An album asked for from the command line is kept wanted
                // (NO_RESULTS today, RSS and the schedule keep looking)
                // unless asked `--once`.
                keep_wanted: request.keep_wanted,
            },
        )),
    };
    // The sending side stays open: an answer to the offer goes on it.
    let (outbound, rx) = mpsc::channel(4);
    let _ = outbound.send(start).await;
    let mut stream = client
        .monitor_album_stream(ReceiverStream::new(rx))
        .await
        .map_err(|status| gone_or_refused(status, request, position))?
        .into_inner();
    let mut offer: Option<pb::CandidateOffer> = None;
    let mut chose = false;
    loop {
        let message = tokio::select! {
            message = stream.message() => message,
            line = answers.next(), if offer.is_some() => {
                let Some(open) = offer.as_ref() else { continue };
                match line {
                    Some(text) => match parse_answer(&text, open) {
                        Ok(answer) => {
                            let _ = outbound.send(choose_message(&position.run_id, &answer)).await;
                            chose = true;
                            offer = None;
                            display.resume_live();
                        }
                        Err(why) => prompt(Some(&why), open),
                    },
                    None => {
                        answers.exhausted = true;
                        answers.lines = None;
                        offer = None;
                        println!(
                            "\nno answer read; the offer stands: answer it with \
                             `musicagg choose {} #N` (still watching)",
                            position.run_id
                        );
                        display.resume_live();
                    }
                }
                continue;
            }
            _ = tokio::signal::ctrl_c() => {
                display.finish_step();
                eprintln!(
                    "stopped watching; the workflow goes on (resume with --run-id {} --after-seq {})",
                    position.run_id, position.last_seq
                );
                return Ok(Session::Ended(ExitCode::from(130), None));
            }
        };
        let message = match message {
            Ok(message) => message,
            Err(status)
                if super::went_away(&status) || status.code() == tonic::Code::Unavailable =>
            {
                display.finish_step();
                return Err(gone_or_refused(status, request, position));
            }
            Err(status) if chose => {
                return Ok(Session::ChoiceRefused(status));
            }
            Err(status) => return Err(status.into()),
        };
        let Some(message) = message else {
            display.finish_step();
            return Err(CliError::Service(format!(
                "the stream ended without a final response (resume with --run-id {} --after-seq {})",
                position.run_id, position.last_seq
            )));
        };
        match &message.response {
            Some(Response::StatusUpdate(update)) => {
                position.last_seq = update.seq;
                position.run_id.clone_from(&update.run_id);
                if offer.is_some() && update.status != pb::WorkflowStatus::AwaitingChoice as i32 {
                    // Answered elsewhere (another client, or an earlier one).
                    offer = None;
                    println!();
                    display.resume_live();
                }
                let manual = pb::MonitorMode::Manual as i32;
                if !position.mode_noted && request.manual != (update.mode == manual) {
                    position.mode_noted = true;
                    display.note(&format!(
                        "this album's workflow was already running as a {} run: you joined it",
                        mode_name(update.mode)
                    ));
                }
                display.update(&message, update);
            }
            Some(Response::Offer(o)) => {
                position.last_seq = o.seq;
                position.run_id.clone_from(&o.run_id);
                display.offer(&message, o);
                if !request.json && !answers.exhausted {
                    if answers.lines.is_none() {
                        answers.lines = Some(stdin_lines());
                    }
                    prompt(None, o);
                    offer = Some(o.clone());
                }
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
                return Ok(Session::Ended(
                    code,
                    success.then(|| Box::new(result.clone())),
                ));
            }
            None => {}
        }
    }
}

/// A broken connection, or a stream the server ended without the run's end
/// (shutting down, its database gone), says how to pick up again: the
/// workflow goes on in the service, or is recovered when it restarts. A
/// refusal is a refusal.
fn gone_or_refused(status: tonic::Status, request: &Request<'_>, position: &Position) -> CliError {
    let resume = resume_command(request, position);
    if super::went_away(&status) {
        CliError::Gone(format!(" (resume with `{resume}` when it is back)"))
    } else if status.code() == tonic::Code::Unavailable {
        CliError::Service(format!(
            "the server ended the stream: {} (resume with `{resume}`)",
            status.message()
        ))
    } else {
        CliError::Rpc(status)
    }
}

/// The `musicagg monitor` command that picks this watch up where it is.
fn resume_command(request: &Request<'_>, position: &Position) -> String {
    let quality = super::QualityArg::from(request.quality)
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    let mut command = format!("musicagg monitor {} --quality {quality}", request.album_id);
    if !position.run_id.is_empty() {
        command.push_str(&format!(
            " --run-id {} --after-seq {}",
            position.run_id, position.last_seq
        ));
    }
    for (flag, on) in [
        ("--manual", request.manual),
        ("--json", request.json),
        ("--follow", request.follow),
        ("--once", !request.keep_wanted),
    ] {
        if on {
            command.push(' ');
            command.push_str(flag);
        }
    }
    command.push_str(request.connection);
    command
}

fn prompt(error: Option<&str>, offer: &pb::CandidateOffer) {
    if let Some(error) = error {
        println!("{error}");
    }
    print!("choose 1-{} (or d to decline): ", offer.candidates.len());
    let _ = std::io::stdout().flush();
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar.set_message(message);
    bar
}

impl Display {
    fn new(json: bool, album_id: &str) -> Self {
        if json {
            Display::Json
        } else if std::io::stdout().is_terminal() {
            Display::Live {
                bar: Some(spinner(format!("connecting ({album_id})"))),
                step_started: Instant::now(),
                step: None,
            }
        } else {
            Display::Plain
        }
    }

    /// One line outside the spinner.
    fn note(&self, text: &str) {
        match self {
            Display::Json => {}
            Display::Plain => println!("{text}"),
            Display::Live { bar, .. } => match bar {
                Some(bar) => bar.println(text),
                None => println!("{text}"),
            },
        }
    }

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
                let done = step.take();
                let text = format!("{status}: {}", update.message);
                match bar {
                    Some(bar) => {
                        if let Some(done) = done {
                            bar.println(format!(
                                "✔ {done} ({:.1} s)",
                                step_started.elapsed().as_secs_f64()
                            ));
                        }
                        bar.set_message(text.clone());
                    }
                    None => println!("{text}"),
                }
                *step_started = Instant::now();
                *step = Some(text);
            }
        }
    }

    /// The offer: a JSON line, or the numbered table (the spinner stops
    /// while the user reads it).
    fn offer(&mut self, message: &pb::MonitorAlbumStreamResponse, o: &pb::CandidateOffer) {
        match self {
            Display::Json => println!("{}", message_json(message)),
            Display::Plain | Display::Live { .. } => {
                self.pause();
                print!("{}", offer_table(o));
            }
        }
    }

    /// Ends the spinner (the current step printed as finished).
    fn pause(&mut self) {
        if let Display::Live {
            bar,
            step_started,
            step,
        } = self
            && let Some(bar) = bar.take()
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

    /// A spinner again after a prompt.
    fn resume_live(&mut self) {
        if let Display::Live { bar, .. } = self
            && bar.is_none()
        {
            *bar = Some(spinner("waiting for the run".into()));
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
                        // the quality and revision read, as `candidates` shows them
                        let quality = if release.quality.is_empty() {
                            "quality unknown"
                        } else {
                            &release.quality
                        };
                        println!(
                            "  rejected: {} [{quality}{}] — {}",
                            release.title,
                            super::output::revision_note(&candidate.details_json),
                            candidate.rejection_reasons.join("; ")
                        );
                    }
                }
            }
        }
    }

    /// Prints the running step as finished and removes the spinner.
    fn finish_step(&mut self) {
        self.pause();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(run_id: &str, last_seq: i64) -> Position {
        Position {
            last_seq,
            run_id: run_id.into(),
            mode_noted: false,
        }
    }

    const REQUEST: Request<'static> = Request {
        album_id: "ALBUM",
        quality: Quality::Mp3_320,
        manual: true,
        json: false,
        keep_wanted: true,
        follow: false,
        connection: "",
    };

    #[test]
    fn a_broken_connection_is_gone_with_the_resume_command() {
        let broken = tonic::Status::from_error(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        let said = gone_or_refused(broken, &REQUEST, &position("RUN", 7)).to_string();
        assert_eq!(
            said,
            "the server went away (resume with `musicagg monitor ALBUM --quality mp3-320 \
             --run-id RUN --after-seq 7 --manual` when it is back)"
        );
        // Before any event: no run to name yet.
        let broken = tonic::Status::from_error(Box::new(std::io::Error::from(
            std::io::ErrorKind::BrokenPipe,
        )));
        let said = gone_or_refused(broken, &REQUEST, &position("", 0)).to_string();
        assert!(
            said.contains("`musicagg monitor ALBUM --quality mp3-320 --manual`"),
            "{said}"
        );
        // What the watch was doing and where the server is go with it.
        let following = Request {
            follow: true,
            keep_wanted: false,
            manual: false,
            connection: " --server https://nas:50051 --ca-cert /etc/ca.pem",
            ..REQUEST
        };
        let broken = tonic::Status::from_error(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        let said = gone_or_refused(broken, &following, &position("RUN", 7)).to_string();
        assert!(
            said.contains(
                "`musicagg monitor ALBUM --quality mp3-320 --run-id RUN --after-seq 7 \
                 --follow --once --server https://nas:50051 --ca-cert /etc/ca.pem`"
            ),
            "{said}"
        );
    }

    #[test]
    fn the_servers_own_answers_are_not_a_broken_connection() {
        let down = tonic::Status::unavailable("MusicBrainz is unavailable");
        assert!(!super::super::went_away(&down));
        let said = gone_or_refused(down, &REQUEST, &position("RUN", 3)).to_string();
        assert!(
            said.starts_with("the server ended the stream: MusicBrainz is unavailable"),
            "{said}"
        );
        let refused = tonic::Status::invalid_argument("not an id");
        assert!(matches!(
            gone_or_refused(refused, &REQUEST, &position("RUN", 3)),
            CliError::Rpc(_)
        ));
    }
}
