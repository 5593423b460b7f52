//! The torrent client, metered at its trait boundary: whatever client is
//! configured (qBittorrent, or any other behind [`TorrentClient`]), every
//! call is counted by client, operation and outcome.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use super::Metrics;
use crate::import::ClientFile;
use crate::torrent_client::{AddRequest, TorrentClient, TorrentClientError, TorrentStatus};

/// Wraps a client; [`TorrentClient::name`] is the wrapped client's.
pub struct MeteredTorrentClient {
    inner: Arc<dyn TorrentClient>,
    metrics: Metrics,
}

impl MeteredTorrentClient {
    pub fn wrap(inner: Arc<dyn TorrentClient>, metrics: &Metrics) -> Arc<dyn TorrentClient> {
        Arc::new(Self {
            inner,
            metrics: metrics.clone(),
        })
    }

    fn count<T>(
        &self,
        operation: &'static str,
        result: Result<T, TorrentClientError>,
    ) -> Result<T, TorrentClientError> {
        let outcome = match &result {
            Ok(_) => "ok",
            Err(TorrentClientError::Config(_)) => "config",
            Err(TorrentClientError::Unavailable(_)) => "unavailable",
            Err(TorrentClientError::Refused(_)) => "refused",
        };
        self.metrics
            .client_call(self.inner.name(), operation, outcome);
        result
    }
}

#[async_trait]
impl TorrentClient for MeteredTorrentClient {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn add(&self, request: AddRequest<'_>) -> Result<(), TorrentClientError> {
        self.count("add", self.inner.add(request).await)
    }

    async fn contains(&self, info_hash: &str) -> Result<bool, TorrentClientError> {
        self.count("contains", self.inner.contains(info_hash).await)
    }

    async fn poll(&self) -> Result<HashMap<String, TorrentStatus>, TorrentClientError> {
        self.count("poll", self.inner.poll().await)
    }

    async fn files(&self, info_hash: &str) -> Result<Vec<ClientFile>, TorrentClientError> {
        self.count("files", self.inner.files(info_hash).await)
    }

    async fn remove(&self, info_hash: &str, delete_files: bool) -> Result<(), TorrentClientError> {
        self.count("remove", self.inner.remove(info_hash, delete_files).await)
    }
}
