//! [`DownloadStore`](super::DownloadStore) in SQL shared by both databases
//! (see `sql.rs` for why a macro).

/// The columns of a [`DownloadRecord`](super::DownloadRecord), with its
/// torrent's title, indexer and parsed quality.
macro_rules! download_select {
    () => {
        "SELECT d.id, d.album_id, d.quality, d.run_id, d.info_hash, t.magnet_uri, t.title, \
         t.indexer, t.quality AS release_quality, d.client, d.status, d.message, d.progress, \
         d.size_bytes, d.downloaded_bytes, d.progressed_at, d.library_path, d.retry_run_id, \
         d.blocklisted, d.retry_pending, d.version, d.created_at, d.updated_at \
         FROM downloads d JOIN torrents t ON t.info_hash = d.info_hash "
    };
}

macro_rules! impl_sql_downloads {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Appends the event of a download as it is now (inside `tx`).
            async fn insert_download_event<'c>(
                tx: &mut sqlx::Transaction<'c, $db>,
                download: &$crate::store::DownloadRecord,
            ) -> Result<$crate::store::DownloadEvent, $crate::store::StoreError> {
                let now = download.updated_at;
                let snapshot = serde_json::to_value(download)
                    .map_err(|e| $crate::store::StoreError::corrupt("download_events", e))?;
                let (seq,): (i64,) = sqlx::query_as(
                    "INSERT INTO download_events \
                     (download_id, album_id, state, message, snapshot, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                )
                .bind(download.id)
                .bind(download.album_id.as_str())
                .bind(download.state.as_str())
                .bind(&download.message)
                .bind(sqlx::types::Json(snapshot))
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                Ok($crate::store::DownloadEvent {
                    seq,
                    download: download.clone(),
                    created_at: now,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::DownloadStore for $store {
            async fn save_torrent_and_download(
                &self,
                d: &$crate::store::NewDownload,
            ) -> Result<$crate::store::DownloadEvent, $crate::store::StoreError> {
                let now = chrono::Utc::now();
                let id = uuid::Uuid::now_v7();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO torrents (info_hash, magnet_uri, torrent_file, title, \
                     size_bytes, indexer, quality, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (info_hash) DO UPDATE SET \
                     torrent_file = COALESCE(torrents.torrent_file, excluded.torrent_file)",
                )
                .bind(&d.info_hash)
                .bind(&d.magnet_uri)
                .bind(d.torrent_file.as_deref())
                .bind(&d.title)
                .bind(d.size_bytes.and_then(|s| i64::try_from(s).ok()))
                .bind(&d.indexer)
                .bind(&d.parsed_quality)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO downloads (id, album_id, quality, run_id, info_hash, client, \
                     status, message, size_bytes, progressed_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $9, $9)",
                )
                .bind(id)
                .bind(d.key.album_id.as_str())
                .bind(d.key.quality.as_str())
                .bind(d.run_id.0)
                .bind(&d.info_hash)
                .bind(&d.client)
                .bind($crate::model::DownloadState::Pending.as_str())
                .bind(d.size_bytes.and_then(|s| i64::try_from(s).ok()))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let row: $crate::store::rows::DownloadRow =
                    sqlx::query_as(concat!($crate::store::sql_downloads::download_select!(), "WHERE d.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let download: $crate::store::DownloadRecord = row.try_into()?;
                let event = Self::insert_download_event(&mut tx, &download).await?;
                tx.commit().await?;
                Ok(event)
            }

            async fn download(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let row: Option<$crate::store::rows::DownloadRow> =
                    sqlx::query_as(concat!($crate::store::sql_downloads::download_select!(), "WHERE d.id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn save_download(
                &self,
                d: &$crate::store::DownloadRecord,
                event: bool,
            ) -> Result<Option<$crate::store::DownloadEvent>, $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(
                    "UPDATE downloads SET status = $2, message = $3, progress = $4, \
                     size_bytes = $5, downloaded_bytes = $6, progressed_at = $7, \
                     library_path = $8, retry_run_id = $9, blocklisted = $10, updated_at = $11, \
                     retry_pending = $12, version = version + 1 \
                     WHERE id = $1 AND version = $13",
                )
                .bind(d.id)
                .bind(d.state.as_str())
                .bind(&d.message)
                .bind(d.progress)
                .bind(d.size_bytes.and_then(|s| i64::try_from(s).ok()))
                .bind(i64::try_from(d.downloaded_bytes).unwrap_or(i64::MAX))
                .bind(d.progressed_at)
                .bind(d.library_path.as_deref())
                .bind(d.retry_run_id.map(|r| r.0))
                .bind(d.blocklisted)
                .bind(d.updated_at)
                .bind(d.retry_pending)
                .bind(d.version)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err($crate::store::StoreError::StaleDownload(d.id));
                }
                let mut saved = d.clone();
                saved.version += 1;
                let stored = if event {
                    Some(Self::insert_download_event(&mut tx, &saved).await?)
                } else {
                    None
                };
                tx.commit().await?;
                Ok(stored)
            }

            async fn pending_downloads(
                &self,
            ) -> Result<Vec<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadRow> = sqlx::query_as(concat!(
                    $crate::store::sql_downloads::download_select!(),
                    "WHERE d.status = 'pending' ORDER BY d.id"
                ))
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn active_downloads(
                &self,
            ) -> Result<Vec<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadRow> = sqlx::query_as(concat!(
                    $crate::store::sql_downloads::download_select!(),
                    "WHERE d.status IN ('queued', 'downloading', 'stalled', 'completed', \
                     'importing') ORDER BY d.id"
                ))
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn downloads_pending_retry(
                &self,
            ) -> Result<Vec<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadRow> = sqlx::query_as(concat!(
                    $crate::store::sql_downloads::download_select!(),
                    "WHERE d.status = 'failed' AND d.retry_pending ORDER BY d.id"
                ))
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn album_downloads(
                &self,
                album_id: &$crate::model::AlbumId,
            ) -> Result<Vec<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadRow> = sqlx::query_as(concat!(
                    $crate::store::sql_downloads::download_select!(),
                    "WHERE d.album_id = $1 ORDER BY d.id"
                ))
                .bind(album_id.as_str())
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn download_state_counts(
                &self,
            ) -> Result<Vec<(String, i64)>, $crate::store::StoreError> {
                let counts: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM downloads GROUP BY status")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(counts)
            }

            async fn list_downloads(
                &self,
                filter: &$crate::store::DownloadFilter,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<$crate::store::DownloadRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadRow> = sqlx::query_as(concat!(
                    $crate::store::sql_downloads::download_select!(),
                    "WHERE ($1 = '' OR d.album_id = $1) AND ($2 = '' OR d.status = $2) \
                     ORDER BY d.id DESC LIMIT $3 OFFSET $4"
                ))
                .bind(filter.album_id.as_ref().map(|a| a.as_str()).unwrap_or(""))
                .bind(filter.state.map(|s| s.as_str()).unwrap_or(""))
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn latest_download_seq(&self) -> Result<i64, $crate::store::StoreError> {
                let (seq,): (i64,) =
                    sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM download_events")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(seq)
            }

            async fn download_events_after(
                &self,
                filter: &$crate::store::DownloadFilter,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<$crate::store::DownloadEvent>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::DownloadEventRow> =
                    match (&filter.download_id, &filter.album_id) {
                        (Some(id), _) => {
                            sqlx::query_as(
                                "SELECT seq, snapshot, created_at FROM download_events \
                                 WHERE download_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                            )
                            .bind(*id)
                            .bind(after_seq)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                        }
                        (None, album) => {
                            sqlx::query_as(
                                "SELECT seq, snapshot, created_at FROM download_events \
                                 WHERE ($1 = '' OR album_id = $1) AND seq > $2 \
                                 ORDER BY seq LIMIT $3",
                            )
                            .bind(album.as_ref().map(|a| a.as_str()).unwrap_or(""))
                            .bind(after_seq)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await?
                        }
                    };
                let events: Vec<$crate::store::DownloadEvent> =
                    $crate::store::rows::convert(rows)?;
                // Album and download filters only: a watcher sees every state.
                Ok(events
                    .into_iter()
                    .filter(|e| {
                        filter.album_id.as_ref().is_none_or(|a| a == &e.download.album_id)
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use download_select;
pub(super) use impl_sql_downloads;
