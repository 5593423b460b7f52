//! Conversions between the protobuf messages and the domain types, and the
//! one place where library errors become gRPC statuses.

use prost_types::Timestamp;
use tonic::Status;

use crate::metadata::{Album, AlbumSearchHit, MetadataError, Track};
use crate::model::{
    AlbumId, DownloadSummary, Event, MonitorMode, Quality, Run, RunId, WorkflowKey, WorkflowStatus,
};
use crate::proto::v1 as pb;
use crate::release::CandidateSummary;
use crate::store::StoreError;
use crate::workflow::{AttachError, CancelError, ChooseError, Pick};

/// A validated StartMonitorRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct StartMonitor {
    pub key: WorkflowKey,
    pub mode: MonitorMode,
    pub after_seq: i64,
    pub run_id: Option<RunId>,
    /// Keep the album on the wanted list (a NO_RESULTS end leaves it wanted).
    pub keep_wanted: bool,
}

/// A validated ChooseReleaseRequest. On a stream the run id may be empty
/// (this stream's run).
#[derive(Debug, Clone, PartialEq)]
pub struct Choose {
    pub run_id: Option<RunId>,
    pub pick: Pick,
}

impl TryFrom<pb::ChooseReleaseRequest> for Choose {
    type Error = Status;

    fn try_from(req: pb::ChooseReleaseRequest) -> Result<Self, Status> {
        let run_id = match req.run_id.trim() {
            "" => None,
            text => Some(parse_run_id(text)?),
        };
        let pick = if req.decline {
            Pick::Decline
        } else if req.guid.is_empty() {
            return Err(Status::invalid_argument(
                "give the guid of an offered candidate, or decline",
            ));
        } else if req.guid.len() > 4096 {
            return Err(Status::invalid_argument("guid is longer than 4096 bytes"));
        } else {
            Pick::Guid(req.guid)
        };
        Ok(Self { run_id, pick })
    }
}

impl TryFrom<pb::StartMonitorRequest> for StartMonitor {
    type Error = Status;

    fn try_from(req: pb::StartMonitorRequest) -> Result<Self, Status> {
        let album_id = parse_album_id(&req.album_id)?;
        let quality = quality_from_proto(req.quality)?;
        let mode = match pb::MonitorMode::try_from(req.mode) {
            Ok(pb::MonitorMode::Unspecified | pb::MonitorMode::Automatic) => MonitorMode::Automatic,
            Ok(pb::MonitorMode::Manual) => MonitorMode::Manual,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "mode {} is not a MonitorMode",
                    req.mode
                )));
            }
        };
        if req.after_seq < 0 {
            return Err(Status::invalid_argument("after_seq must not be negative"));
        }
        let run_id = match req.run_id.trim() {
            "" => None,
            text => Some(parse_run_id(text)?),
        };
        Ok(Self {
            key: WorkflowKey { album_id, quality },
            mode,
            after_seq: req.after_seq,
            run_id,
            keep_wanted: req.keep_wanted,
        })
    }
}

pub fn parse_album_id(text: &str) -> Result<AlbumId, Status> {
    AlbumId::parse(text).map_err(|e| Status::invalid_argument(e.to_string()))
}

pub fn parse_run_id(text: &str) -> Result<RunId, Status> {
    RunId::parse(text).map_err(|_| {
        Status::invalid_argument(format!(
            "run id {:?} is not a UUID",
            text.chars().take(64).collect::<String>()
        ))
    })
}

pub fn quality_from_proto(value: i32) -> Result<Quality, Status> {
    match pb::Quality::try_from(value) {
        Ok(pb::Quality::Any) => Ok(Quality::Any),
        Ok(pb::Quality::Lossless) => Ok(Quality::Lossless),
        Ok(pb::Quality::LosslessHires) => Ok(Quality::LosslessHires),
        Ok(pb::Quality::Mp3320) => Ok(Quality::Mp3_320),
        Ok(pb::Quality::Mp3V0) => Ok(Quality::Mp3V0),
        Ok(pb::Quality::LossyHigh) => Ok(Quality::LossyHigh),
        Ok(pb::Quality::Unspecified) => Err(Status::invalid_argument(
            "quality is required (e.g. QUALITY_LOSSLESS)",
        )),
        Err(_) => Err(Status::invalid_argument(format!(
            "quality {value} is not a Quality"
        ))),
    }
}

pub fn quality_to_proto(q: Quality) -> pb::Quality {
    match q {
        Quality::Any => pb::Quality::Any,
        Quality::Lossless => pb::Quality::Lossless,
        Quality::LosslessHires => pb::Quality::LosslessHires,
        Quality::Mp3_320 => pb::Quality::Mp3320,
        Quality::Mp3V0 => pb::Quality::Mp3V0,
        Quality::LossyHigh => pb::Quality::LossyHigh,
    }
}

pub fn mode_to_proto(m: MonitorMode) -> pb::MonitorMode {
    match m {
        MonitorMode::Automatic => pb::MonitorMode::Automatic,
        MonitorMode::Manual => pb::MonitorMode::Manual,
    }
}

pub fn status_to_proto(s: WorkflowStatus) -> pb::WorkflowStatus {
    match s {
        WorkflowStatus::FetchingMetadata => pb::WorkflowStatus::FetchingMetadata,
        WorkflowStatus::CheckingOwned => pb::WorkflowStatus::CheckingOwned,
        WorkflowStatus::Searching => pb::WorkflowStatus::Searching,
        WorkflowStatus::ParsingResults => pb::WorkflowStatus::ParsingResults,
        WorkflowStatus::AwaitingChoice => pb::WorkflowStatus::AwaitingChoice,
        WorkflowStatus::AddingTorrent => pb::WorkflowStatus::AddingTorrent,
        WorkflowStatus::Complete => pb::WorkflowStatus::Complete,
        WorkflowStatus::AlreadyOwned => pb::WorkflowStatus::AlreadyOwned,
        WorkflowStatus::NotFound => pb::WorkflowStatus::NotFound,
        WorkflowStatus::NoResults => pb::WorkflowStatus::NoResults,
        WorkflowStatus::Failed => pb::WorkflowStatus::Failed,
        WorkflowStatus::Cancelled => pb::WorkflowStatus::Cancelled,
    }
}

/// `None` for UNSPECIFIED (no filter); an unknown number is an error.
pub fn status_filter_from_proto(value: i32) -> Result<Option<WorkflowStatus>, Status> {
    let status = pb::WorkflowStatus::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("status {value} is not a WorkflowStatus")))?;
    Ok(WorkflowStatus::ALL
        .into_iter()
        .find(|s| status_to_proto(*s) == status))
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

pub fn status_update(event: &Event, replayed: bool) -> pb::StatusUpdate {
    pb::StatusUpdate {
        run_id: event.run_id.to_string(),
        album_id: event.album_id.to_string(),
        quality: quality_to_proto(event.quality).into(),
        status: status_to_proto(event.status).into(),
        seq: event.seq,
        created_at: Some(timestamp(event.created_at)),
        message: event.message.clone(),
        replayed,
        mode: mode_to_proto(event.mode).into(),
    }
}

/// The final response of a run, built from its terminal event (so it is the
/// same for every client).
pub fn final_response(event: &Event, replayed: bool) -> pb::MonitorAlbumResponse {
    let outcome = event.outcome();
    pb::MonitorAlbumResponse {
        run_id: event.run_id.to_string(),
        album_id: event.album_id.to_string(),
        quality: quality_to_proto(event.quality).into(),
        status: status_to_proto(event.status).into(),
        seq: event.seq,
        message: event.message.clone(),
        album: outcome.album.as_ref().map(album),
        selected_release: outcome.selected.as_ref().map(release),
        download: outcome.download.as_ref().map(download),
        rejected_candidates: outcome
            .rejected
            .iter()
            .map(|c| candidate(c, false))
            .collect(),
        created_at: Some(timestamp(event.created_at)),
        replayed,
    }
}

/// A manual run's offer, from its offer event.
pub fn candidate_offer(
    event: &Event,
    offer: &crate::model::Offer,
    replayed: bool,
) -> pb::CandidateOffer {
    pb::CandidateOffer {
        run_id: event.run_id.to_string(),
        seq: event.seq,
        candidates: offer
            .candidates
            .iter()
            .map(|c| candidate(&c.candidate, c.accepted))
            .collect(),
        expires_at: Some(timestamp(offer.expires_at)),
        replayed,
    }
}

pub fn stream_message(event: &Event, replayed: bool) -> pb::MonitorAlbumStreamResponse {
    use pb::monitor_album_stream_response::Response;
    let response = if event.status.is_terminal() {
        Response::Result(final_response(event, replayed))
    } else if let Some(offer) = event.offer() {
        Response::Offer(candidate_offer(event, &offer, replayed))
    } else {
        Response::StatusUpdate(status_update(event, replayed))
    };
    pb::MonitorAlbumStreamResponse {
        response: Some(response),
    }
}

pub fn album(a: &Album) -> pb::Album {
    pb::Album {
        id: a.id.to_string(),
        title: a.title.clone(),
        artist: a.artist.clone(),
        first_release_date: a.first_release_date.clone(),
        primary_type: a.primary_type.clone().unwrap_or_default(),
        secondary_types: a.secondary_types.clone(),
        tracks: a.tracks.iter().map(track).collect(),
    }
}

pub fn search_hit(h: &AlbumSearchHit) -> pb::AlbumSearchResult {
    pb::AlbumSearchResult {
        id: h.id.to_string(),
        title: h.title.clone(),
        artist: h.artist.clone(),
        year: h.year.clone().unwrap_or_default(),
        primary_type: h.primary_type.clone().unwrap_or_default(),
        score: i32::try_from(h.score).unwrap_or(0),
    }
}

fn track(t: &Track) -> pb::Track {
    pb::Track {
        disc: i32::try_from(t.disc).unwrap_or(i32::MAX),
        position: i32::try_from(t.position).unwrap_or(i32::MAX),
        number: t.number.clone(),
        title: t.title.clone(),
        length_ms: t.length_ms.and_then(|l| i64::try_from(l).ok()).unwrap_or(0),
    }
}

pub fn candidate(c: &CandidateSummary, accepted: bool) -> pb::Candidate {
    pb::Candidate {
        release: Some(release(c)),
        rejection_reasons: c.rejections.clone(),
        accepted,
        details_json: if c.details.is_null() {
            String::new()
        } else {
            c.details.to_string()
        },
    }
}

fn release(c: &CandidateSummary) -> pb::Release {
    pb::Release {
        indexer: c.indexer.clone(),
        title: c.title.clone(),
        guid: c.guid.clone(),
        info_hash: c.info_hash.clone().unwrap_or_default(),
        size_bytes: c.size_bytes.unwrap_or(0),
        seeders: c
            .seeders
            .map_or(-1, |s| i32::try_from(s).unwrap_or(i32::MAX)),
        quality: c.quality.clone(),
        score: c.score,
    }
}

fn download(d: &DownloadSummary) -> pb::Download {
    pb::Download {
        id: d.id.to_string(),
        info_hash: d.info_hash.clone(),
        client: d.client.clone(),
        status: d.state.as_str().to_owned(),
        state: super::downloads::state_to_proto(d.state).into(),
        ..Default::default()
    }
}

pub fn workflow_run(run: &Run) -> pb::WorkflowRun {
    pb::WorkflowRun {
        run_id: run.id.to_string(),
        album_id: run.album_id.to_string(),
        quality: quality_to_proto(run.quality).into(),
        status: status_to_proto(run.status).into(),
        finished: run.is_finished(),
        message: run.message.clone(),
        last_seq: run.last_seq,
        created_at: Some(timestamp(run.created_at)),
        updated_at: Some(timestamp(run.updated_at)),
        finished_at: run.finished_at.map(timestamp),
        mode: mode_to_proto(run.mode).into(),
    }
}

impl From<StoreError> for Status {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        match e {
            StoreError::RunNotFound(_) => Status::not_found(e.to_string()),
            StoreError::AlreadyRunning(_) | StoreError::RunFinished(_) => {
                Status::failed_precondition(e.to_string())
            }
            StoreError::Database(_) => Status::unavailable(e.to_string()),
            _ => Status::internal(e.to_string()),
        }
    }
}

impl From<MetadataError> for Status {
    fn from(e: MetadataError) -> Self {
        match e {
            MetadataError::NotFound(_) => Status::not_found(e.to_string()),
            MetadataError::Unavailable(_) => Status::unavailable(e.to_string()),
        }
    }
}

impl From<AttachError> for Status {
    fn from(e: AttachError) -> Self {
        match e {
            AttachError::UnknownRun(_) | AttachError::NothingToResume(_) => {
                Status::not_found(e.to_string())
            }
            AttachError::WrongRun { .. } => Status::invalid_argument(e.to_string()),
            AttachError::ShuttingDown => Status::unavailable(e.to_string()),
            AttachError::Store(e) => e.into(),
        }
    }
}

impl From<ChooseError> for Status {
    fn from(e: ChooseError) -> Self {
        match e {
            ChooseError::UnknownRun(_) => Status::not_found(e.to_string()),
            ChooseError::Automatic(_)
            | ChooseError::NoOfferYet { .. }
            | ChooseError::Ended { .. } => Status::failed_precondition(e.to_string()),
            ChooseError::NotOffered { .. } | ChooseError::AlreadyDecided { .. } => {
                Status::invalid_argument(e.to_string())
            }
            ChooseError::Unreadable(_) => Status::internal(e.to_string()),
            ChooseError::Store(e) => e.into(),
        }
    }
}

impl From<CancelError> for Status {
    fn from(e: CancelError) -> Self {
        match e {
            CancelError::UnknownRun(_) => Status::not_found(e.to_string()),
            CancelError::Store(e) => e.into(),
        }
    }
}

/// Page size: 0 means the default, otherwise 1..=1000.
pub fn page_size(requested: i32, default: i64) -> Result<i64, Status> {
    match requested {
        0 => Ok(default),
        1..=1000 => Ok(i64::from(requested)),
        _ => Err(Status::invalid_argument(
            "page_size must be between 1 and 1000",
        )),
    }
}

/// Page tokens are opaque to clients; inside they are offsets.
pub fn page_offset(token: &str) -> Result<i64, Status> {
    if token.is_empty() {
        return Ok(0);
    }
    token
        .strip_prefix("o")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| Status::invalid_argument("invalid page_token"))
}

/// The token of the next page, or empty when `returned < size` (last page).
pub fn next_page_token(offset: i64, returned: usize, size: i64) -> String {
    let returned = i64::try_from(returned).unwrap_or(i64::MAX);
    if returned < size {
        String::new()
    } else {
        format!("o{}", offset + returned)
    }
}
