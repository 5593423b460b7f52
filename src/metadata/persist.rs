//! getAlbumWithPersist: MusicBrainz behind a local copy.
//!
//! Lidarr's worst pain is a metadata server it cannot reach. Here every album
//! fetched is stored (album, artist credit, tracks); a stored copy younger than
//! `cache_ttl` is served without a request, and when MusicBrainz fails, a
//! stored copy of any age is used and the event says so. An outage therefore
//! never stops acquisition of albums already known.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::musicbrainz::{MusicBrainzClient, MusicBrainzError};
use super::{AlbumSearchHit, FetchedAlbum, MetadataError, MetadataProvider};
use crate::model::AlbumId;
use crate::store::Store;

pub struct PersistingMetadata {
    client: MusicBrainzClient,
    store: Arc<dyn Store>,
    ttl: Duration,
}

impl PersistingMetadata {
    pub fn new(client: MusicBrainzClient, store: Arc<dyn Store>, ttl: Duration) -> Self {
        Self { client, store, ttl }
    }
}

fn store_error(e: crate::store::StoreError) -> MetadataError {
    MetadataError::Unavailable(format!("reading the stored album: {e}"))
}

#[async_trait]
impl MetadataProvider for PersistingMetadata {
    async fn album(&self, id: &AlbumId) -> Result<FetchedAlbum, MetadataError> {
        // A merged MBID we have seen before: go straight to the canonical one.
        let canonical = self
            .store
            .canonical_album_id(id)
            .await
            .map_err(store_error)?
            .unwrap_or_else(|| id.clone());
        let stored = self.store.album(&canonical).await.map_err(store_error)?;
        if let Some((album, fetched_at)) = &stored {
            let age = chrono::Utc::now().signed_duration_since(*fetched_at);
            if age.to_std().is_ok_and(|age| age < self.ttl) {
                return Ok(FetchedAlbum {
                    album: album.clone(),
                    note: Some(format!(
                        "from the local copy fetched {}",
                        fetched_at.format("%Y-%m-%d %H:%M UTC")
                    )),
                });
            }
        }
        match self.client.album(&canonical).await {
            Ok(album) => {
                self.store
                    .save_album(&album)
                    .await
                    .map_err(|e| MetadataError::Unavailable(format!("storing the album: {e}")))?;
                let note = if album.id != *id {
                    self.store
                        .save_album_alias(id, &album.id)
                        .await
                        .map_err(|e| {
                            MetadataError::Unavailable(format!("storing the alias: {e}"))
                        })?;
                    Some(format!("MusicBrainz merged {id} into {}", album.id))
                } else {
                    None
                };
                Ok(FetchedAlbum { album, note })
            }
            Err(MusicBrainzError::NotFound(_)) => Err(MetadataError::NotFound(id.clone())),
            Err(e) => match stored {
                Some((album, fetched_at)) => Ok(FetchedAlbum {
                    album,
                    note: Some(format!(
                        "{e}; using the copy stored on {}",
                        fetched_at.format("%Y-%m-%d")
                    )),
                }),
                None => Err(MetadataError::Unavailable(e.to_string())),
            },
        }
    }

    async fn search(&self, query: &str, limit: u32) -> Result<Vec<AlbumSearchHit>, MetadataError> {
        self.client
            .search(query, limit)
            .await
            .map_err(|e| MetadataError::Unavailable(e.to_string()))
    }
}
