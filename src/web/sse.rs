//! The live streams, as Server-Sent Events.
//!
//! A run's stream is the gRPC stream's own bridge (`api::bridge::run`):
//! the stored events after `after` (the `Last-Event-ID` the browser sends
//! when it reconnects, else `?after=`), then live ones, each once and in seq
//! order. Each SSE `id:` is the event's seq, so the browser's automatic
//! reconnect — after a network drop or a restart of `serve` — resumes
//! exactly where it was. After the terminal event comes an `end` event: the
//! page closes the stream (a resume past the end gets only `end`). The
//! stream ends when the service stops; the browser then reconnects by
//! itself.
//!
//! The downloads' stream is WatchDownloads' loop (`api::downloads::watch`):
//! history after `after`, then live changes, each with its seq as `id:`.
//!
//! Each stream's task holds an open-stream guard (`musicagg_open_streams`,
//! kinds `web_run` and `web_downloads`): raised before the response is
//! sent, lowered when the task ends (the stream ended, or the browser left).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::error::WebError;
use super::{Web, layout};
use crate::api::bridge::{self, Outgoing};
use crate::api::downloads as watch;
use crate::model::Event;
use crate::proto::v1 as pb;
use crate::store::DownloadFilter;
use crate::tasks;

/// Messages buffered per stream (as for a gRPC stream).
const BUFFER: usize = 32;
/// How soon a browser reconnects after a stream ended without `end`.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
pub struct After {
    after: Option<i64>,
    album: Option<String>,
}

/// Where a stream resumes: the browser's `Last-Event-ID` wins over
/// `?after=` (the page's first connection), else the start.
fn resume_point(headers: &HeaderMap, after: Option<i64>) -> Result<i64, WebError> {
    let from_header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| WebError::BadRequest(format!("Last-Event-ID {v:?} is not a seq")))
        })
        .transpose()?;
    let seq = from_header.or(after).unwrap_or(0);
    if seq < 0 {
        return Err(WebError::BadRequest("after must not be negative".into()));
    }
    Ok(seq)
}

#[tracing::instrument(skip_all, fields(run_id = %run_id))]
pub async fn run_events(
    State(web): State<Web>,
    Path(run_id): Path<String>,
    Query(query): Query<After>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, WebError> {
    let run_id = super::run::parse_run_id(&run_id)?;
    let after = resume_point(&headers, query.after)?;
    let workflows = web.state.workflows.clone();
    let run = super::run::find_run(&workflows, run_id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no run with id {run_id}")))?;
    // The same attachment MonitorAlbumStream resumes with: subscribed
    // before anything is read.
    let attachment = workflows
        .attach_as(&run.key(), run.mode, after, Some(run_id))
        .await?;
    let (tx, rx) = mpsc::channel(BUFFER);
    let shutdown = web.state.shutdown.clone();
    let span = tracing::info_span!("web-run-stream", %run_id);
    let open = workflows.providers.metrics.open_stream("web_run");
    tasks::spawn("web-run-stream", span, async move {
        let _open = open;
        // The page sends nothing on the stream: answers are POSTs.
        let inbound =
            futures::stream::pending::<Result<pb::MonitorAlbumStreamRequest, tonic::Status>>();
        bridge::run(attachment, after, &workflows, tx, inbound, shutdown).await
    });
    let stream = futures::stream::unfold(RunStream::new(rx, after), RunStream::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Where a run stream stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Forwarding the bridge's events.
    Open,
    /// The terminal event was sent (or the client had it): `end` is due.
    EndDue,
    /// Nothing more to send.
    Done,
}

/// Turns the bridge's output into SSE events: each seq once (the bridge
/// re-sends an open offer, and the terminal event, to a client resuming
/// past them: the page has them already), then `end`.
struct RunStream {
    rx: mpsc::Receiver<Outgoing>,
    /// The highest seq sent (or the client's `after`).
    last: i64,
    phase: Phase,
    /// The first message also sets the browser's reconnect delay.
    first: bool,
}

impl RunStream {
    fn new(rx: mpsc::Receiver<Outgoing>, after: i64) -> Self {
        Self {
            rx,
            last: after,
            phase: Phase::Open,
            first: true,
        }
    }

    async fn next(mut self) -> Option<(Result<SseEvent, Infallible>, Self)> {
        loop {
            match self.phase {
                Phase::Done => return None,
                Phase::EndDue => {
                    // The bridge is done too; the page closes its stream.
                    self.rx.close();
                    self.phase = Phase::Done;
                    return Some((Ok(SseEvent::default().event("end").data("end")), self));
                }
                Phase::Open => {}
            }
            match self.rx.recv().await? {
                Outgoing::Event { event, .. } => {
                    let terminal = event.status.is_terminal();
                    if terminal {
                        self.phase = Phase::EndDue;
                    }
                    if event.seq <= self.last {
                        continue;
                    }
                    self.last = event.seq;
                    let mut sse = step_event(&event);
                    if std::mem::take(&mut self.first) {
                        sse = sse.retry(RETRY);
                    }
                    return Some((Ok(sse), self));
                }
                Outgoing::Error(status) => {
                    // Shutdown or a database error: say so and end without
                    // `end`; the browser reconnects from its last id.
                    self.phase = Phase::Done;
                    let note = SseEvent::default()
                        .event("notice")
                        .retry(RETRY)
                        .data(status.message());
                    return Some((Ok(note), self));
                }
            }
        }
    }
}

/// One event as the page's script reads it (`data` is JSON; the script
/// writes every string with `textContent`).
fn step_event(e: &Event) -> SseEvent {
    let data = json!({
        "seq": e.seq,
        "status": e.status.as_str(),
        "class": layout::status_class(e.status),
        "message": e.message,
        "at": e.created_at.to_rfc3339(),
        "at_text": layout::time(e.created_at),
        "terminal": e.status.is_terminal(),
        "offer": e.offer().is_some(),
    });
    SseEvent::default()
        .id(e.seq.to_string())
        .event("step")
        .data(data.to_string())
}

pub async fn download_events(
    State(web): State<Web>,
    Query(query): Query<After>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, WebError> {
    let after = resume_point(&headers, query.after)?;
    let album_id = match query.album.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(super::album::parse_album_id(text)?),
    };
    let workflows = &web.state.workflows;
    let log = workflows.downloads.clone();
    // Subscribe before the history is read: nothing falls in between.
    let live = log.subscribe();
    let request = watch::Watch {
        filter: DownloadFilter {
            album_id,
            download_id: None,
            state: None,
        },
        after_seq: after,
        completed_is_final: workflows.library.is_none(),
    };
    let (tx, rx) = mpsc::channel(BUFFER);
    let shutdown = web.state.shutdown.clone();
    let open = workflows.providers.metrics.open_stream("web_downloads");
    tasks::spawn(
        "web-downloads-stream",
        tracing::info_span!("web-downloads-stream"),
        async move {
            let _open = open;
            watch::watch(log, live, request, tx, shutdown).await
        },
    );
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let sse = match rx.recv().await? {
            Ok(update) => download_event(&update),
            Err(status) => {
                rx.close();
                SseEvent::default()
                    .event("notice")
                    .retry(RETRY)
                    .data(status.message())
            }
        };
        Some((Ok(sse), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn download_event(u: &pb::DownloadUpdate) -> SseEvent {
    let d = u.download.clone().unwrap_or_default();
    let data = json!({
        "seq": u.seq,
        "id": d.id,
        "album_id": d.album_id,
        "title": d.title,
        "state": d.status.to_uppercase(),
        "progress": d.progress,
        "size": layout::bytes((d.size_bytes > 0).then_some(d.size_bytes)),
        "message": d.message,
        "run_id": d.run_id,
    });
    SseEvent::default()
        .id(u.seq.to_string())
        .event("download")
        .retry(RETRY)
        .data(data.to_string())
}
