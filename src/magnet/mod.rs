//! Turning a chosen release into something a torrent client can add (the
//! diagram's `MagnetResolver`): a magnet URI with its info hash, and the
//! .torrent bytes when there are some.
//!
//! The real resolver (redirects followed by hand, bencode, info hashes) comes
//! with the [grab] issue; until then `serve` uses [`NotResolving`].

use async_trait::async_trait;

use crate::indexer::Release;

/// A release ready to hand to a torrent client.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTorrent {
    /// Lower-case hex v1 info hash: the torrent's identity in the client and
    /// in our `torrents` table.
    pub info_hash: String,
    pub magnet_uri: String,
    /// Kept for private torrents, whose metadata magnet peers do not serve.
    pub torrent_file: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// This release cannot be had (gone, unreadable link): try the next one.
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait]
pub trait MagnetResolver: Send + Sync + 'static {
    async fn resolve(&self, release: &Release) -> Result<ResolvedTorrent, ResolveError>;
}

/// The stand-in until the resolver exists: refuses, with the reason.
#[derive(Debug, Default)]
pub struct NotResolving;

#[async_trait]
impl MagnetResolver for NotResolving {
    async fn resolve(&self, _release: &Release) -> Result<ResolvedTorrent, ResolveError> {
        Err(ResolveError::Unavailable(
            "resolving download links is not available yet".into(),
        ))
    }
}
