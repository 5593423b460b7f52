//! The gRPC service `musicagg.v1.MusicAggregatorService`.
//!
//! Handlers only convert (`TryFrom` into domain types), call the workflow
//! machinery or the store, and map errors to statuses (in `convert`). The
//! long-lived MonitorAlbumStream session lives in `bridge`.

pub mod bridge;
pub mod convert;
pub mod downloads;
pub mod wanted;

use std::pin::Pin;

use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::library::index::IndexError;
use crate::model::WorkflowStatus;
use crate::proto::v1 as pb;
use crate::proto::v1::music_aggregator_service_server::MusicAggregatorService;
use crate::store::{DownloadFilter, RunFilter};
use crate::tasks;
use crate::workflow::Workflows;
use convert::{
    Choose, StartMonitor, next_page_token, page_offset, page_size, parse_album_id, parse_run_id,
    status_filter_from_proto, status_update, workflow_run,
};

/// Messages buffered per stream before the bridge waits for the client (and,
/// if the client stays slow, falls back to reading the store).
const STREAM_BUFFER: usize = 32;

pub struct Api {
    workflows: Workflows,
    wanted: crate::wanted::Wanted,
    shutdown: CancellationToken,
}

impl Api {
    /// `shutdown` ends every open stream (with UNAVAILABLE) when cancelled.
    pub fn new(workflows: Workflows, shutdown: CancellationToken) -> Self {
        Self {
            wanted: crate::wanted::Wanted::new(workflows.clone(), Default::default()),
            workflows,
            shutdown,
        }
    }

    /// The wanted list the Wanted calls and `keep_wanted` use (the one the
    /// background loop runs).
    pub fn with_wanted(mut self, wanted: crate::wanted::Wanted) -> Self {
        self.wanted = wanted;
        self
    }
}

type DownloadStream = Pin<Box<dyn Stream<Item = Result<pb::DownloadUpdate, Status>> + Send>>;

type ResponseStream =
    Pin<Box<dyn Stream<Item = Result<pb::MonitorAlbumStreamResponse, Status>> + Send>>;

#[tonic::async_trait]
impl MusicAggregatorService for Api {
    type MonitorAlbumStreamStream = ResponseStream;
    type WatchDownloadsStream = DownloadStream;

    #[tracing::instrument(skip_all, fields(album, quality, run_id))]
    async fn monitor_album_stream(
        &self,
        request: Request<Streaming<pb::MonitorAlbumStreamRequest>>,
    ) -> Result<Response<Self::MonitorAlbumStreamStream>, Status> {
        use pb::monitor_album_stream_request::Request as Inbound;

        let mut inbound = request.into_inner();
        // Nothing is created until a valid start message has arrived.
        let first = inbound.message().await?.ok_or_else(|| {
            Status::invalid_argument("the stream was closed before a start message")
        })?;
        let start = match first.request {
            Some(Inbound::Start(start)) => StartMonitor::try_from(start)?,
            Some(Inbound::Choose(_)) | None => {
                return Err(Status::invalid_argument(
                    "the first message must be `start`",
                ));
            }
        };
        let span = tracing::Span::current();
        span.record("album", tracing::field::display(&start.key.album_id));
        span.record("quality", tracing::field::display(start.key.quality));

        // Listed before the run starts: its end finds the album on the list.
        if start.keep_wanted && start.run_id.is_none() && start.after_seq == 0 {
            self.wanted.keep(&start.key).await?;
        }
        let attachment = self
            .workflows
            .attach_as(&start.key, start.mode, start.after_seq, start.run_id)
            .await?;
        span.record("run_id", tracing::field::display(attachment.run_id));
        tracing::info!(
            created = attachment.created,
            after_seq = start.after_seq,
            "client attached"
        );

        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let workflows = self.workflows.clone();
        let shutdown = self.shutdown.clone();
        let bridge_span = tracing::info_span!("stream", run_id = %attachment.run_id);
        let open = self
            .workflows
            .providers
            .metrics
            .open_stream("monitor_album");
        tasks::spawn("stream-bridge", bridge_span, async move {
            let _open = open;
            bridge::run(
                attachment,
                start.after_seq,
                &workflows,
                tx,
                inbound,
                shutdown,
            )
            .await
        });
        let messages = ReceiverStream::new(rx).map(bridge::Outgoing::into_message);
        Ok(Response::new(Box::pin(messages)))
    }

    #[tracing::instrument(skip_all, fields(run_id))]
    async fn choose_release(
        &self,
        request: Request<pb::ChooseReleaseRequest>,
    ) -> Result<Response<pb::ChooseReleaseResponse>, Status> {
        let choose = Choose::try_from(request.into_inner())?;
        let run_id = choose
            .run_id
            .ok_or_else(|| Status::invalid_argument("run_id is required"))?;
        tracing::Span::current().record("run_id", tracing::field::display(run_id));
        let chosen = self.workflows.choose(run_id, choose.pick).await?;
        // The run goes on without this call; the wait only lets a client
        // that is not on the stream see how it ended. The answer was taken:
        // failing to read the run afterwards must not say otherwise.
        let (run, terminal) = match self
            .workflows
            .wait_for_end(run_id, self.workflows.options.choice_wait)
            .await
        {
            Ok((run, terminal)) => (Some(run), terminal),
            Err(e) => {
                tracing::warn!(error = %e, "answer taken; the run could not be read after it");
                (None, None)
            }
        };
        Ok(Response::new(pb::ChooseReleaseResponse {
            run: run.as_ref().map(workflow_run),
            chosen: chosen
                .candidate
                .as_ref()
                .map(|c| convert::candidate(c, chosen.accepted)),
            result: terminal.map(|e| convert::final_response(&e, false)),
        }))
    }

    async fn get_workflow_run(
        &self,
        request: Request<pb::GetWorkflowRunRequest>,
    ) -> Result<Response<pb::WorkflowRun>, Status> {
        let run_id = parse_run_id(&request.get_ref().run_id)?;
        let run = self
            .workflows
            .store
            .run(run_id)
            .await?
            .ok_or_else(|| Status::not_found(format!("no run with id {run_id}")))?;
        Ok(Response::new(workflow_run(&run)))
    }

    async fn list_workflow_runs(
        &self,
        request: Request<pb::ListWorkflowRunsRequest>,
    ) -> Result<Response<pb::ListWorkflowRunsResponse>, Status> {
        let req = request.into_inner();
        let filter = RunFilter {
            album_id: match req.album_id.trim() {
                "" => None,
                text => Some(parse_album_id(text)?),
            },
            status: status_filter_from_proto(req.status)?,
        };
        let size = page_size(req.page_size, 50)?;
        let offset = page_offset(&req.page_token)?;
        let runs = self
            .workflows
            .store
            .list_runs(&filter, offset, size)
            .await?;
        Ok(Response::new(pb::ListWorkflowRunsResponse {
            next_page_token: next_page_token(offset, runs.len(), size),
            runs: runs.iter().map(workflow_run).collect(),
        }))
    }

    async fn list_album_events(
        &self,
        request: Request<pb::ListAlbumEventsRequest>,
    ) -> Result<Response<pb::ListAlbumEventsResponse>, Status> {
        let req = request.into_inner();
        let size = page_size(req.page_size, 100)?;
        let offset = page_offset(&req.page_token)?;
        let store = &self.workflows.store;
        let events = match (req.run_id.trim(), req.album_id.trim()) {
            (run, "") if !run.is_empty() => {
                let run_id = parse_run_id(run)?;
                if store.run(run_id).await?.is_none() {
                    return Err(Status::not_found(format!("no run with id {run_id}")));
                }
                if req.after_seq < 0 {
                    return Err(Status::invalid_argument("after_seq must not be negative"));
                }
                store
                    .events_after(run_id, req.after_seq.saturating_add(offset), size)
                    .await?
            }
            ("", album) if !album.is_empty() => {
                store
                    .album_events(&parse_album_id(album)?, offset, size)
                    .await?
            }
            _ => {
                return Err(Status::invalid_argument(
                    "give exactly one of run_id and album_id",
                ));
            }
        };
        Ok(Response::new(pb::ListAlbumEventsResponse {
            next_page_token: next_page_token(offset, events.len(), size),
            events: events.iter().map(|e| status_update(e, true)).collect(),
        }))
    }

    async fn cancel_workflow(
        &self,
        request: Request<pb::CancelWorkflowRequest>,
    ) -> Result<Response<pb::CancelWorkflowResponse>, Status> {
        let req = request.into_inner();
        let run_id = parse_run_id(&req.run_id)?;
        let outcome = self.workflows.cancel(run_id, &req.reason).await?;
        debug_assert!(!outcome.cancelled || outcome.run.status == WorkflowStatus::Cancelled);
        Ok(Response::new(pb::CancelWorkflowResponse {
            run: Some(workflow_run(&outcome.run)),
            cancelled: outcome.cancelled,
        }))
    }

    async fn search_albums(
        &self,
        request: Request<pb::SearchAlbumsRequest>,
    ) -> Result<Response<pb::SearchAlbumsResponse>, Status> {
        let req = request.into_inner();
        let query = req.query.trim();
        if query.is_empty() {
            return Err(Status::invalid_argument("query must not be empty"));
        }
        if query.chars().count() > 500 {
            return Err(Status::invalid_argument(
                "query is longer than 500 characters",
            ));
        }
        let limit = match req.limit {
            0 => 25,
            1..=100 => req.limit as u32,
            _ => return Err(Status::invalid_argument("limit must be between 1 and 100")),
        };
        let hits = self
            .workflows
            .providers
            .metadata
            .search(query, limit)
            .await?;
        Ok(Response::new(pb::SearchAlbumsResponse {
            albums: hits.iter().map(convert::search_hit).collect(),
        }))
    }

    async fn list_candidates(
        &self,
        request: Request<pb::ListCandidatesRequest>,
    ) -> Result<Response<pb::ListCandidatesResponse>, Status> {
        let run_id = parse_run_id(&request.get_ref().run_id)?;
        let store = &self.workflows.store;
        if store.run(run_id).await?.is_none() {
            return Err(Status::not_found(format!("no run with id {run_id}")));
        }
        let candidates = store.candidates(run_id).await?;
        Ok(Response::new(pb::ListCandidatesResponse {
            candidates: candidates
                .iter()
                .map(|c| convert::candidate(&c.candidate, c.accepted))
                .collect(),
        }))
    }

    async fn get_album(
        &self,
        request: Request<pb::GetAlbumRequest>,
    ) -> Result<Response<pb::Album>, Status> {
        let id = parse_album_id(&request.get_ref().album_id)?;
        let fetched = self.workflows.providers.metadata.album(&id).await?;
        Ok(Response::new(convert::album(&fetched.album)))
    }

    async fn list_downloads(
        &self,
        request: Request<pb::ListDownloadsRequest>,
    ) -> Result<Response<pb::ListDownloadsResponse>, Status> {
        let req = request.into_inner();
        let filter = DownloadFilter {
            album_id: match req.album_id.trim() {
                "" => None,
                text => Some(parse_album_id(text)?),
            },
            download_id: None,
            state: downloads::state_filter_from_proto(req.state)?,
        };
        let size = page_size(req.page_size, 50)?;
        let offset = page_offset(&req.page_token)?;
        let found = self
            .workflows
            .store
            .list_downloads(&filter, offset, size)
            .await?;
        Ok(Response::new(pb::ListDownloadsResponse {
            next_page_token: next_page_token(offset, found.len(), size),
            downloads: found.iter().map(downloads::download).collect(),
        }))
    }

    async fn watch_downloads(
        &self,
        request: Request<pb::WatchDownloadsRequest>,
    ) -> Result<Response<Self::WatchDownloadsStream>, Status> {
        let req = request.into_inner();
        if req.after_seq < 0 {
            return Err(Status::invalid_argument("after_seq must not be negative"));
        }
        let download_id = match req.download_id.trim() {
            "" => None,
            text => Some(uuid::Uuid::parse_str(text).map_err(|_| {
                Status::invalid_argument(format!("download_id {text:?} is not a UUID"))
            })?),
        };
        let filter = DownloadFilter {
            album_id: match req.album_id.trim() {
                "" => None,
                text => Some(parse_album_id(text)?),
            },
            download_id,
            state: None,
        };
        let log = self.workflows.downloads.clone();
        // Subscribe before reading the history: nothing falls in between.
        let live = log.subscribe();
        if let Some(id) = download_id
            && self.workflows.store.download(id).await?.is_none()
        {
            return Err(Status::not_found(format!("no download with id {id}")));
        }
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let shutdown = self.shutdown.clone();
        let span = tracing::info_span!("watch-downloads");
        let watch = downloads::Watch {
            filter,
            after_seq: req.after_seq,
            completed_is_final: self.workflows.library.is_none(),
        };
        let open = self
            .workflows
            .providers
            .metrics
            .open_stream("watch_downloads");
        tasks::spawn("watch-downloads", span, async move {
            let _open = open;
            downloads::watch(log, live, watch, tx, shutdown).await
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn scan_library(
        &self,
        _request: Request<pb::ScanLibraryRequest>,
    ) -> Result<Response<pb::ScanLibraryResponse>, Status> {
        let library = self
            .workflows
            .library
            .as_ref()
            .ok_or_else(|| Status::failed_precondition("no [library] path is configured"))?;
        let summary = library.refresh().await.map_err(|e| match e {
            IndexError::Store(e) => Status::from(e),
            IndexError::NoLibrary(_) => Status::failed_precondition(e.to_string()),
            IndexError::Internal(_) => Status::internal(e.to_string()),
        })?;
        Ok(Response::new(pb::ScanLibraryResponse {
            files: summary.files,
            read: summary.read,
            removed: summary.removed,
            errors: summary.errors,
            library_path: library.root().display().to_string(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn add_wanted(
        &self,
        request: Request<pb::AddWantedRequest>,
    ) -> Result<Response<pb::WantedAlbum>, Status> {
        wanted::add(&self.wanted, request.into_inner())
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_wanted(
        &self,
        request: Request<pb::ListWantedRequest>,
    ) -> Result<Response<pb::ListWantedResponse>, Status> {
        wanted::list(&self.wanted, request.into_inner())
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn remove_wanted(
        &self,
        request: Request<pb::RemoveWantedRequest>,
    ) -> Result<Response<pb::RemoveWantedResponse>, Status> {
        wanted::remove(&self.wanted, request.into_inner())
            .await
            .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn search_wanted_now(
        &self,
        request: Request<pb::SearchWantedNowRequest>,
    ) -> Result<Response<pb::SearchWantedNowResponse>, Status> {
        wanted::search_now(&self.wanted, request.into_inner())
            .await
            .map(Response::new)
    }
}
