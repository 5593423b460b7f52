//! The album page (tracklist, what the library holds, runs, downloads) and
//! its "Get it" form, which starts or joins the album's run exactly as
//! MonitorAlbumStream does (`wanted.keep`, then `Workflows::attach_as`).

use std::path::Path as FsPath;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::error::WebError;
use super::{Web, downloads, layout, run};
use crate::library::owned::album_key;
use crate::model::{AlbumId, DownloadState, MonitorMode, Quality, WorkflowKey};
use crate::store::{DownloadRecord, IndexedFile, RunFilter};

/// Runs listed on an album's page, newest first.
const RUNS_SHOWN: i64 = 20;

pub fn parse_album_id(text: &str) -> Result<AlbumId, WebError> {
    AlbumId::parse(text).map_err(|_| {
        WebError::BadRequest(format!(
            "{:?} is not a MusicBrainz release-group id (a UUID)",
            text.chars().take(64).collect::<String>()
        ))
    })
}

pub async fn page(
    State(web): State<Web>,
    Path(album_id): Path<String>,
) -> Result<Markup, WebError> {
    let id = parse_album_id(&album_id)?;
    let w = &web.state.workflows;
    let album = w.providers.metadata.album(&id).await?.album;
    // An old (merged) id shows its album: runs and downloads are stored
    // under the canonical id MusicBrainz answered with.
    let id = album.id.clone();
    let store = w.store.as_ref();
    let downloads = store.album_downloads(&id).await?;
    let runs = store
        .list_runs(
            &RunFilter {
                album_id: Some(id.clone()),
                status: None,
            },
            0,
            RUNS_SHOWN,
        )
        .await?;
    let owned = match &w.library {
        Some(library) => Some(owned_files(w, library.root(), &album, &downloads).await?),
        None => None,
    };
    let title = if album.title.is_empty() {
        id.to_string()
    } else {
        album.title.clone()
    };
    Ok(layout::page(
        &title,
        &[],
        html! {
            p.artist { (album.artist) }
            p.meta {
                @if !album.first_release_date.is_empty() { (album.first_release_date) " · " }
                @if let Some(kind) = &album.primary_type { (kind) " · " }
                "MusicBrainz id " code { (id) }
            }
            section aria-labelledby="get" {
                h2 #get { "Get it" }
                form.get method="post" action={ "/albums/" (id) "/get" } {
                    (web.csrf.field())
                    label for="quality" { "Quality" }
                    (layout::quality_select("quality", "quality", Quality::Lossless))
                    fieldset {
                        legend { "Who chooses the release" }
                        label { input type="radio" name="mode" value="automatic" checked; " musicagg (automatic)" }
                        label { input type="radio" name="mode" value="manual"; " me (manual: pick from the candidates)" }
                    }
                    label { input type="checkbox" name="keep" value="on" checked; " keep it on the wanted list if nobody has it yet" }
                    button type="submit" { "Get it" }
                }
            }
            section aria-labelledby="owned" {
                h2 #owned { "In your library" }
                @match &owned {
                    None => p.empty { "No library is configured ([library] path)." },
                    Some(files) if files.is_empty() => p.empty { "Nothing of this album is in your library." },
                    Some(files) => ul.files {
                        @for f in files { li { code { (f.path) } } }
                    },
                }
            }
            section aria-labelledby="runs" {
                h2 #runs { "Runs" }
                (run::runs_table(&runs))
            }
            section aria-labelledby="downloads" {
                h2 #downloads { "Downloads" }
                (downloads::table(&downloads, None))
            }
            section aria-labelledby="tracks" {
                h2 #tracks { "Tracklist" }
                @if album.tracks.is_empty() {
                    p.empty { "MusicBrainz lists no tracks." }
                } @else {
                    ol.tracks {
                        @for t in &album.tracks {
                            li {
                                span.num { (t.number) }
                                span.title { (t.title) }
                                span.len { (layout::duration(t.length_ms)) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The album's files in the library index: tagged with its id, named like
/// it, or in a folder one of its imports wrote.
async fn owned_files(
    w: &crate::workflow::Workflows,
    root: &FsPath,
    album: &crate::metadata::Album,
    downloads: &[DownloadRecord],
) -> Result<Vec<IndexedFile>, WebError> {
    let folders: Vec<String> = downloads
        .iter()
        .filter(|d| d.state == DownloadState::Imported)
        .filter_map(|d| d.library_path.as_deref())
        .filter_map(|p| FsPath::new(p).strip_prefix(root).ok())
        .filter_map(|p| p.to_str().map(str::to_owned))
        .collect();
    Ok(w.store
        .library_album_files(
            album.id.as_str(),
            &album_key(&album.artist, &album.title),
            &folders,
        )
        .await?)
}

#[derive(Debug, Deserialize)]
pub struct GetIt {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    mode: String,
    /// Present (any value) when the box is ticked.
    keep: Option<String>,
}

/// "Get it": start or join the album's run, then show it.
#[tracing::instrument(skip_all, fields(album = %album_id))]
pub async fn get_it(
    State(web): State<Web>,
    Path(album_id): Path<String>,
    Form(form): Form<GetIt>,
) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let album_id = parse_album_id(&album_id)?;
    let quality = layout::parse_quality(&form.quality)
        .ok_or_else(|| WebError::BadRequest(format!("{:?} is not a quality", form.quality)))?;
    let mode = match form.mode.as_str() {
        "" => MonitorMode::Automatic,
        other => other.parse::<MonitorMode>().map_err(|_| {
            WebError::BadRequest(format!("{other:?} is not a mode (automatic or manual)"))
        })?,
    };
    let key = WorkflowKey { album_id, quality };
    // Listed before the run starts, as MonitorAlbumStream does: its end
    // finds the album on the list.
    if form.keep.is_some() {
        web.state.wanted.keep(&key).await?;
    }
    let attachment = web.state.workflows.attach_as(&key, mode, 0, None).await?;
    tracing::info!(run_id = %attachment.run_id, created = attachment.created, album = %key, "web: get it");
    Ok(Redirect::to(&format!("/runs/{}", attachment.run_id)))
}
