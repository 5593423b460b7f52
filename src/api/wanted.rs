//! AddWanted, ListWanted, RemoveWanted, SearchWantedNow: conversions and the
//! calls into [`Wanted`]; errors mapped to statuses here.

use tonic::Status;

use super::convert::{parse_album_id, quality_from_proto, quality_to_proto, timestamp};
use crate::proto::v1 as pb;
use crate::store::{WantedRecord, WantedState};
use crate::wanted::{Wanted, WantedError};

impl From<WantedError> for Status {
    fn from(e: WantedError) -> Self {
        match e {
            WantedError::NotWanted(_) => Status::not_found(e.to_string()),
            WantedError::Paused(_) => Status::failed_precondition(e.to_string()),
            WantedError::Attach(e) => e.into(),
            WantedError::Store(e) => e.into(),
        }
    }
}

pub fn state_to_proto(s: WantedState) -> pb::WantedState {
    match s {
        WantedState::Wanted => pb::WantedState::Wanted,
        WantedState::Grabbed => pb::WantedState::Grabbed,
        WantedState::Satisfied => pb::WantedState::Satisfied,
        WantedState::Paused => pb::WantedState::Paused,
    }
}

/// UNSPECIFIED means every state; unknown numbers are INVALID_ARGUMENT.
pub fn state_filter_from_proto(value: i32) -> Result<Option<WantedState>, Status> {
    let state = pb::WantedState::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("unknown wanted state {value}")))?;
    Ok(WantedState::ALL
        .into_iter()
        .find(|s| state_to_proto(*s) == state))
}

pub async fn wanted_album(wanted: &Wanted, r: &WantedRecord) -> pb::WantedAlbum {
    let names = wanted.album_names(&r.album_id).await;
    album_message(r, names)
}

/// The record with its album's names (empty when the metadata is unknown).
fn album_message(r: &WantedRecord, names: Option<(String, String)>) -> pb::WantedAlbum {
    let (artist, title) = names.unwrap_or_default();
    pb::WantedAlbum {
        album_id: r.album_id.to_string(),
        quality: quality_to_proto(r.quality).into(),
        cutoff: quality_to_proto(r.cutoff).into(),
        state: state_to_proto(r.state).into(),
        added_at: Some(timestamp(r.added_at)),
        last_searched_at: r.last_searched_at.map(timestamp),
        next_search_at: r.next_search_at.map(timestamp),
        message: r.message.clone(),
        artist,
        title,
    }
}

pub async fn add(wanted: &Wanted, req: pb::AddWantedRequest) -> Result<pb::WantedAlbum, Status> {
    let album_id = parse_album_id(&req.album_id)?;
    let quality = quality_from_proto(req.quality)?;
    let cutoff = match req.cutoff {
        0 => None,
        value => Some(quality_from_proto(value)?),
    };
    if let Some(cutoff) = cutoff
        && !crate::wanted::cutoff_fits(quality, cutoff)
    {
        return Err(Status::invalid_argument(format!(
            "cutoff {cutoff} is below the wanted tier {quality}: a cutoff is the tier itself or \
             a better one (any → anything, lossy → lossless or hires, lossless → hires)"
        )));
    }
    let (record, created) = wanted.add(&album_id, quality, cutoff).await?;
    tracing::info!(album = %record.album_id, %quality, created, "wanted");
    Ok(wanted_album(wanted, &record).await)
}

pub async fn list(
    wanted: &Wanted,
    req: pb::ListWantedRequest,
) -> Result<pb::ListWantedResponse, Status> {
    let state = state_filter_from_proto(req.state)?;
    let records = wanted.list(state).await?;
    let mut names = wanted.listed_album_names().await?;
    let albums = records
        .iter()
        .map(|r| album_message(r, names.remove(&r.album_id)))
        .collect();
    Ok(pb::ListWantedResponse { albums })
}

pub async fn remove(
    wanted: &Wanted,
    req: pb::RemoveWantedRequest,
) -> Result<pb::RemoveWantedResponse, Status> {
    let album_id = parse_album_id(&req.album_id)?;
    if wanted.remove(&album_id).await? {
        Ok(pb::RemoveWantedResponse {})
    } else {
        Err(WantedError::NotWanted(album_id).into())
    }
}

pub async fn search_now(
    wanted: &Wanted,
    req: pb::SearchWantedNowRequest,
) -> Result<pb::SearchWantedNowResponse, Status> {
    let album_id = parse_album_id(&req.album_id)?;
    let run_id = wanted.search_now(&album_id).await?;
    Ok(pb::SearchWantedNowResponse {
        run_id: run_id.to_string(),
    })
}
