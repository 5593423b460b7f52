//! The first page: search MusicBrainz for an album (the same
//! `MetadataProvider::search` as SearchAlbums and `musicagg search`); an
//! album id typed in goes straight to its page.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::Web;
use super::error::WebError;
use super::layout;
use crate::model::AlbumId;

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Results shown per search.
const LIMIT: u32 = 25;

pub async fn page(
    State(web): State<Web>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let q = query.q.trim();
    if let Ok(id) = AlbumId::parse(q) {
        return Ok(Redirect::to(&format!("/albums/{id}")).into_response());
    }
    if q.chars().count() > 500 {
        return Err(WebError::BadRequest(
            "the search is longer than 500 characters".into(),
        ));
    }
    let hits = if q.is_empty() {
        None
    } else {
        Some(
            web.state
                .workflows
                .providers
                .metadata
                .search(q, LIMIT)
                .await?,
        )
    };
    Ok(layout::page(
        "Find an album",
        &[],
        html! {
            form.search role="search" method="get" action="/" {
                label for="q" { "Artist and album (or an album's MusicBrainz id)" }
                input #q type="search" name="q" value=(q) required autofocus
                    placeholder="e.g. Weezer Pinkerton";
                button type="submit" { "Search" }
            }
            @if let Some(hits) = hits {
                @if hits.is_empty() {
                    p.empty { "MusicBrainz knows no album for “" (q) "”." }
                } @else {
                    ol.results aria-label="Albums found" {
                        @for hit in &hits {
                            li {
                                a href={ "/albums/" (hit.id) } {
                                    span.title { (hit.title) }
                                    " — "
                                    span.artist { (hit.artist) }
                                }
                                span.meta {
                                    @if let Some(year) = &hit.year { " " (year) }
                                    @if let Some(kind) = &hit.primary_type { " · " (kind) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response())
}
