//! The web page: `serve` also answers HTTP on `http_listen` (default
//! `127.0.0.1:8686`) with server-rendered pages and their live data.
//!
//! The web layer is a client of the same core as gRPC: it starts and joins
//! runs through [`Workflows`], answers offers through `Workflows::choose`,
//! and reads the store for lists. It never starts or grabs on its own.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::wanted::Wanted;
use crate::workflow::Workflows;

/// What every handler may use; cheap to clone (all shared handles).
#[derive(Clone)]
pub struct WebState {
    pub workflows: Workflows,
    pub wanted: Wanted,
    /// Cancelled when the service stops: long-lived responses (event
    /// streams) end so the server can finish.
    pub shutdown: CancellationToken,
}

/// Every route of the web listener.
pub fn router(state: WebState) -> Router {
    Router::new().route("/", get(home)).with_state(state)
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>musicagg</title></head><body><h1>musicagg</h1></body></html>",
    )
}
