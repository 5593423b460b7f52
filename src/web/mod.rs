//! The web page: `serve` also answers HTTP on `http_listen` (default
//! `127.0.0.1:8686`) with server-rendered pages and their live data.
//!
//! The web layer is a client of the same core as gRPC: it starts and joins
//! runs through [`Workflows::attach_as`], answers offers through
//! `Workflows::choose`, cancels through `Workflows::cancel`, streams a run's
//! events through the gRPC stream's own bridge (`api::bridge::run`) and the
//! downloads through WatchDownloads' loop (`api::downloads::watch`), and
//! reads the store for lists. It never starts or grabs on its own.
//!
//! Modules: `layout` (the page shell and small formatting helpers),
//! `assets` (CSS and JS, embedded in the binary), `csrf` (the token every
//! form carries), `error` (one error page), `search`, `album`, `run`,
//! `downloads`, `wanted`, `settings` (one page each), `sse` (the live
//! streams).
//!
//! Security: maud escapes every value it writes; the scripts only ever set
//! `textContent`, or insert fragments the server rendered (escaped); every
//! state change is a POST carrying the per-process CSRF token; GET changes
//! nothing.

mod album;
mod assets;
mod csrf;
mod downloads;
mod error;
mod layout;
mod run;
mod search;
mod settings;
mod sse;
mod wanted;

use axum::Router;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::wanted::Wanted;
use crate::workflow::Workflows;

pub use settings::Checks;

/// What every handler may use; cheap to clone (all shared handles).
#[derive(Clone)]
pub struct WebState {
    pub workflows: Workflows,
    pub wanted: Wanted,
    /// Cancelled when the service stops: long-lived responses (event
    /// streams) end so the server can finish.
    pub shutdown: CancellationToken,
    /// What the settings check page tests (indexers, torrent client).
    pub checks: Checks,
}

/// The state the handlers see: the service's handles and this process's
/// CSRF token.
#[derive(Clone)]
struct Web {
    state: WebState,
    csrf: csrf::Token,
}

/// Every route of the web listener (one router, so a middleware wrapped
/// around it guards them all).
pub fn router(state: WebState) -> Router {
    let web = Web {
        state,
        csrf: csrf::Token::random(),
    };
    Router::new()
        .route("/", get(search::page))
        .route("/albums/{album_id}", get(album::page))
        .route("/albums/{album_id}/get", post(album::get_it))
        .route("/runs/{run_id}", get(run::page))
        .route("/runs/{run_id}/candidates", get(run::candidates_fragment))
        .route("/runs/{run_id}/events", get(sse::run_events))
        .route("/runs/{run_id}/choose", post(run::choose))
        .route("/runs/{run_id}/cancel", post(run::cancel))
        .route("/downloads", get(downloads::page))
        .route("/downloads/events", get(sse::download_events))
        .route("/wanted", get(wanted::page).post(wanted::add))
        .route("/wanted/{album_id}/remove", post(wanted::remove))
        .route("/wanted/{album_id}/search", post(wanted::search_now))
        .route("/settings", get(settings::page))
        .route("/settings/indexers", post(settings::test_indexers))
        .route("/settings/client", post(settings::test_client))
        .route("/assets/{name}", get(assets::serve))
        .fallback(error::not_found)
        .with_state(web)
}
