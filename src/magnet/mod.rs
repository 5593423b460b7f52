//! Turning a chosen release into something a torrent client can add (the
//! diagram's `MagnetResolver`): a magnet URI with its info hash, and the
//! .torrent bytes and file list when there are some.
//!
//! `serve` uses [`LinkResolver`]; [`check_contents`] looks inside a torrent
//! before it is grabbed.

mod contents;
mod resolver;
mod torrent_file;
mod uri;

pub use contents::check_contents;
pub use resolver::{LinkResolver, MAX_HOPS, MAX_TORRENT_BYTES, redact};
pub use torrent_file::{TorrentFile, TorrentInfo, parse_torrent};
pub use uri::{ParsedMagnet, build_magnet, normalize_info_hash, parse_magnet};

use async_trait::async_trait;

use crate::indexer::Release;

/// A release ready to hand to a torrent client.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolvedTorrent {
    /// Lower-case hex v1 info hash: the torrent's identity in the client and
    /// in our `torrents` table.
    pub info_hash: String,
    /// Normal form, with `dn` and the trackers as `tr`.
    pub magnet_uri: String,
    /// The .torrent when the release came as one: a private torrent must be
    /// added from it (its metadata is not served to magnet peers).
    pub torrent_file: Option<Vec<u8>>,
    pub private: bool,
    /// Known when the .torrent was fetched.
    pub files: Option<Vec<TorrentFile>>,
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
