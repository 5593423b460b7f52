//! The page's CSS and scripts, embedded in the binary: every file the page
//! uses is served by musicagg, nothing is fetched from elsewhere.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

use super::error::WebError;

/// (name, content type, content)
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "site.css",
        "text/css; charset=utf-8",
        include_str!("assets/site.css"),
    ),
    (
        "run.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/run.js"),
    ),
    (
        "downloads.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/downloads.js"),
    ),
];

pub async fn serve(Path(name): Path<String>) -> Result<impl IntoResponse, WebError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or_else(|| WebError::NotFound(format!("no asset named {name:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        *body,
    ))
}
