//! `/metrics`: the registry as OpenMetrics text, with the numbers that are
//! facts of the store (downloads by state, library size) read at scrape
//! time rather than kept in step by every writer.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{Metrics, StateLabels};
use crate::model::DownloadState;
use crate::store::Store;

/// The content type of the OpenMetrics text format (Prometheus reads it).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    store: Arc<dyn Store>,
}

/// The `/metrics` route, to merge into the web listener's router.
pub fn routes(metrics: Metrics, store: Arc<dyn Store>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { metrics, store })
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    // A database that does not answer leaves those gauges at their last
    // values; the rest is still served.
    if let Err(e) = scrape.metrics.read_store(scrape.store.as_ref()).await {
        tracing::warn!(error = %e, "metrics: could not read the store");
    }
    match scrape.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: encoding failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed\n",
            )
                .into_response()
        }
    }
}

impl Metrics {
    /// Sets the gauges read from the store: every download state (0 when
    /// none) and the library's files and album folders.
    pub async fn read_store(&self, store: &dyn Store) -> Result<(), crate::store::StoreError> {
        let counts = store.download_state_counts().await?;
        for state in DownloadState::ALL {
            let n = counts
                .iter()
                .find(|(name, _)| name == state.as_str())
                .map_or(0, |(_, n)| *n);
            self.inner
                .downloads
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(n);
        }
        let (files, albums) = store.library_size().await?;
        self.inner.library_files.set(files);
        self.inner.library_albums.set(albums);
        Ok(())
    }
}
