//! The wanted list: albums kept monitored (`crate::wanted::Wanted`, the
//! same calls as AddWanted, ListWanted, RemoveWanted and SearchWantedNow).

use super::csrf::TokenForm;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

use super::album::parse_album_id;
use super::error::WebError;
use super::{Web, layout};
use crate::model::Quality;

/// Albums listed on the page: a list of thousands is cut here (a page to
/// read, not a dump); `musicagg wanted list` and ListWanted have them all.
const SHOWN: usize = 500;

pub async fn page(State(web): State<Web>) -> Result<Markup, WebError> {
    let wanted = &web.state.wanted;
    let mut records = wanted.list(None).await?;
    let total = records.len();
    records.truncate(SHOWN);
    let mut names = wanted.listed_album_names().await?;
    let rows: Vec<_> = records
        .into_iter()
        .map(|r| {
            let album = names.remove(&r.album_id);
            (r, album)
        })
        .collect();
    Ok(layout::page(
        "Wanted",
        &[],
        html! {
            p { "Albums musicagg keeps looking for (RSS and scheduled searches) until your library holds them at their cutoff." }
            section aria-labelledby="add-h" {
                h2 #add-h { "Add an album" }
                form.get method="post" action="/wanted" {
                    (web.csrf.field())
                    label for="album_id" { "MusicBrainz release-group id" }
                    input #album_id name="album_id" required pattern="[0-9a-fA-F-]{36}"
                        placeholder="1b022e01-4da6-387b-8658-8678046e4cef";
                    label for="w-quality" { "Quality" }
                    (layout::quality_select("quality", "w-quality", Quality::Lossless))
                    label for="w-cutoff" { "Cutoff (upgrade until)" }
                    select #w-cutoff name="cutoff" {
                        option value="" selected { "the best of the tier (default)" }
                        @for q in Quality::ALL { option value=(q.label()) { (q.label()) } }
                    }
                    button type="submit" { "Add" }
                }
            }
            section aria-labelledby="list-h" {
                h2 #list-h { "The list" }
                @if total > SHOWN {
                    p.meta #wanted-capped {
                        "The first " (SHOWN) " of " (total) " albums; " code { "musicagg wanted list" } " shows them all."
                    }
                }
                @if rows.is_empty() {
                    p.empty { "Nothing is wanted." }
                } @else {
                    ul.wanted {
                        @for (r, names) in &rows {
                            li data-album=(r.album_id) {
                                a href={ "/albums/" (r.album_id) } {
                                    @match names {
                                        Some((artist, title)) => { (artist) " — " (title) },
                                        None => code { (r.album_id) },
                                    }
                                }
                                " " span.state { (r.state) }
                                " " (r.quality.label()) " → " (r.cutoff.label())
                                p.meta {
                                    (r.message)
                                    @if let Some(next) = r.next_search_at { " · next search " (layout::time(next)) }
                                }
                                form.inline method="post" action={ "/wanted/" (r.album_id) "/search" } {
                                    (web.csrf.field())
                                    button type="submit" { "Search now" }
                                }
                                form.inline method="post" action={ "/wanted/" (r.album_id) "/remove" } {
                                    (web.csrf.field())
                                    button.secondary type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    album_id: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    cutoff: String,
}

#[tracing::instrument(skip_all)]
pub async fn add(State(web): State<Web>, Form(form): Form<AddForm>) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let album_id = parse_album_id(&form.album_id)?;
    let quality = layout::parse_quality(&form.quality)
        .ok_or_else(|| WebError::BadRequest(format!("{:?} is not a quality", form.quality)))?;
    let cutoff = match form.cutoff.trim() {
        "" => None,
        text => Some(
            layout::parse_quality(text)
                .ok_or_else(|| WebError::BadRequest(format!("{text:?} is not a quality")))?,
        ),
    };
    if let Some(cutoff) = cutoff
        && !crate::wanted::cutoff_fits(quality, cutoff)
    {
        return Err(WebError::BadRequest(format!(
            "cutoff {cutoff} is below the wanted tier {quality}: a cutoff is the tier itself or a better one"
        )));
    }
    web.state.wanted.add(&album_id, quality, cutoff).await?;
    Ok(Redirect::to("/wanted"))
}

#[tracing::instrument(skip_all, fields(album = %album_id))]
pub async fn remove(
    State(web): State<Web>,
    Path(album_id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let album_id = parse_album_id(&album_id)?;
    if !web.state.wanted.remove(&album_id).await? {
        return Err(crate::wanted::WantedError::NotWanted(album_id).into());
    }
    Ok(Redirect::to("/wanted"))
}

/// A run now, outside the hourly budget: its page is shown.
#[tracing::instrument(skip_all, fields(album = %album_id))]
pub async fn search_now(
    State(web): State<Web>,
    Path(album_id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Redirect, WebError> {
    web.csrf.check(&form.csrf)?;
    let album_id = parse_album_id(&album_id)?;
    let run_id = web.state.wanted.search_now(&album_id).await?;
    Ok(Redirect::to(&format!("/runs/{run_id}")))
}
