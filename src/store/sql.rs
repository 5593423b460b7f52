//! The one SQL implementation of [`Store`](super::Store), shared by both
//! databases.
//!
//! PostgreSQL and SQLite (through sqlx, which reads `$N` placeholders for
//! both) accept the same statements here: `RETURNING`, `ON CONFLICT … DO
//! UPDATE … excluded`, partial indexes. The pools have different types, so the
//! implementation is written once as a macro and instantiated per backend; a
//! generic impl over `sqlx::Database` would need a wall of higher-ranked
//! bounds for the same result.

/// Implements `Store` for a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_sql_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn create_run_as(
                &self,
                id: $crate::model::RunId,
                key: &$crate::model::WorkflowKey,
                mode: $crate::model::MonitorMode,
            ) -> Result<$crate::model::Run, $crate::store::StoreError> {
                let now = chrono::Utc::now();
                let row: Result<$crate::store::rows::RunRow, sqlx::Error> = sqlx::query_as(
                    "INSERT INTO workflow_runs \
                     (id, album_id, quality, status, message, last_seq, created_at, updated_at, \
                     mode) VALUES ($1, $2, $3, $4, '', 0, $5, $5, $6) \
                     RETURNING id, album_id, quality, mode, status, message, last_seq, \
                     created_at, updated_at, finished_at",
                )
                .bind(id.0)
                .bind(key.album_id.as_str())
                .bind(key.quality.as_str())
                .bind($crate::model::WorkflowStatus::FetchingMetadata.as_str())
                .bind(now)
                .bind(mode.as_str())
                .fetch_one(&self.pool)
                .await;
                match row {
                    Ok(row) => row.try_into(),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Err($crate::store::StoreError::AlreadyRunning(key.clone()))
                    }
                    Err(e) => Err(e.into()),
                }
            }

            async fn append_event(
                &self,
                run_id: $crate::model::RunId,
                status: $crate::model::WorkflowStatus,
                message: &str,
                payload: Option<&serde_json::Value>,
            ) -> Result<$crate::model::Event, $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let appended = Self::append_in(&mut tx, run_id, status, message, payload).await?;
                let Some(row) = appended else {
                    tx.rollback().await?;
                    return Err(self.refusal(run_id).await);
                };
                tx.commit().await?;
                row.try_into()
            }

            async fn run(
                &self,
                id: $crate::model::RunId,
            ) -> Result<Option<$crate::model::Run>, $crate::store::StoreError> {
                let row: Option<$crate::store::rows::RunRow> = sqlx::query_as(
                    "SELECT id, album_id, quality, mode, status, message, last_seq, created_at, \
                     updated_at, finished_at FROM workflow_runs WHERE id = $1",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn latest_run(
                &self,
                key: &$crate::model::WorkflowKey,
            ) -> Result<Option<$crate::model::Run>, $crate::store::StoreError> {
                let row: Option<$crate::store::rows::RunRow> = sqlx::query_as(
                    "SELECT id, album_id, quality, mode, status, message, last_seq, created_at, \
                     updated_at, finished_at FROM workflow_runs \
                     WHERE album_id = $1 AND quality = $2 ORDER BY id DESC LIMIT 1",
                )
                .bind(key.album_id.as_str())
                .bind(key.quality.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_runs(
                &self,
                filter: &$crate::store::RunFilter,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<$crate::model::Run>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::RunRow> = sqlx::query_as(
                    "SELECT id, album_id, quality, mode, status, message, last_seq, created_at, \
                     updated_at, finished_at FROM workflow_runs \
                     WHERE ($1 IS NULL OR album_id = $1) AND ($2 IS NULL OR status = $2) \
                     ORDER BY id DESC LIMIT $3 OFFSET $4",
                )
                .bind(filter.album_id.as_ref().map(|a| a.as_str()))
                .bind(filter.status.map(|s| s.as_str()))
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn unfinished_runs(
                &self,
            ) -> Result<Vec<$crate::model::Run>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::RunRow> = sqlx::query_as(
                    "SELECT id, album_id, quality, mode, status, message, last_seq, created_at, \
                     updated_at, finished_at FROM workflow_runs \
                     WHERE finished_at IS NULL ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn events_after(
                &self,
                run_id: $crate::model::RunId,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<$crate::model::Event>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::EventRow> = sqlx::query_as(
                    "SELECT run_id, seq, album_id, quality, mode, status, message, payload, \
                     created_at \
                     FROM album_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(run_id.0)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn album_events(
                &self,
                album_id: &$crate::model::AlbumId,
                offset: i64,
                limit: i64,
            ) -> Result<Vec<$crate::model::Event>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::EventRow> = sqlx::query_as(
                    "SELECT run_id, seq, album_id, quality, mode, status, message, payload, \
                     created_at \
                     FROM album_events WHERE album_id = $1 ORDER BY run_id, seq \
                     LIMIT $2 OFFSET $3",
                )
                .bind(album_id.as_str())
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }

            async fn save_album(
                &self,
                album: &$crate::metadata::Album,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO albums (id, title, artist, first_release_date, primary_type, \
                     secondary_types, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                     artist = excluded.artist, first_release_date = excluded.first_release_date, \
                     primary_type = excluded.primary_type, \
                     secondary_types = excluded.secondary_types, fetched_at = excluded.fetched_at",
                )
                .bind(album.id.as_str())
                .bind(&album.title)
                .bind(&album.artist)
                .bind(&album.first_release_date)
                .bind(album.primary_type.as_deref())
                .bind(sqlx::types::Json(&album.secondary_types))
                .bind(chrono::Utc::now())
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM tracks WHERE album_id = $1")
                    .bind(album.id.as_str())
                    .execute(&mut *tx)
                    .await?;
                for t in &album.tracks {
                    sqlx::query(
                        "INSERT INTO tracks (album_id, disc, position, number, title, length_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (album_id, disc, position) DO NOTHING",
                    )
                    .bind(album.id.as_str())
                    .bind(i32::try_from(t.disc).unwrap_or(i32::MAX))
                    .bind(i32::try_from(t.position).unwrap_or(i32::MAX))
                    .bind(&t.number)
                    .bind(&t.title)
                    .bind(t.length_ms.and_then(|l| i64::try_from(l).ok()))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn album(
                &self,
                id: &$crate::model::AlbumId,
            ) -> Result<
                Option<($crate::metadata::Album, chrono::DateTime<chrono::Utc>)>,
                $crate::store::StoreError,
            > {
                let row: Option<$crate::store::rows::AlbumRow> = sqlx::query_as(
                    "SELECT id, title, artist, first_release_date, primary_type, \
                     secondary_types, fetched_at FROM albums WHERE id = $1",
                )
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let tracks: Vec<$crate::store::rows::TrackRow> = sqlx::query_as(
                    "SELECT disc, position, number, title, length_ms FROM tracks \
                     WHERE album_id = $1 ORDER BY disc, position",
                )
                .bind(id.as_str())
                .fetch_all(&self.pool)
                .await?;
                row.into_album(tracks).map(Some)
            }

            async fn save_album_alias(
                &self,
                alias: &$crate::model::AlbumId,
                canonical: &$crate::model::AlbumId,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO album_aliases (alias_id, album_id) VALUES ($1, $2) \
                     ON CONFLICT (alias_id) DO UPDATE SET album_id = excluded.album_id",
                )
                .bind(alias.as_str())
                .bind(canonical.as_str())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn canonical_album_id(
                &self,
                id: &$crate::model::AlbumId,
            ) -> Result<Option<$crate::model::AlbumId>, $crate::store::StoreError> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT album_id FROM album_aliases WHERE alias_id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(|(text,)| {
                    $crate::model::AlbumId::parse(&text)
                        .map_err(|e| $crate::store::StoreError::corrupt("album_aliases", e))
                })
                .transpose()
            }

            async fn save_candidates(
                &self,
                run_id: $crate::model::RunId,
                candidates: &[$crate::store::StoredCandidate],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM candidates WHERE run_id = $1")
                    .bind(run_id.0)
                    .execute(&mut *tx)
                    .await?;
                for (position, stored) in candidates.iter().enumerate() {
                    let evaluation = serde_json::to_value(&stored.candidate)
                        .map_err(|e| $crate::store::StoreError::corrupt("candidates", e))?;
                    sqlx::query(
                        "INSERT INTO candidates \
                         (run_id, position, accepted, title, indexer, score, evaluation) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(run_id.0)
                    .bind(i32::try_from(position).unwrap_or(i32::MAX))
                    .bind(stored.accepted)
                    .bind(&stored.candidate.title)
                    .bind(&stored.candidate.indexer)
                    .bind(stored.candidate.score)
                    .bind(sqlx::types::Json(evaluation))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn candidates(
                &self,
                run_id: $crate::model::RunId,
            ) -> Result<Vec<$crate::store::StoredCandidate>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::rows::CandidateRow> = sqlx::query_as(
                    "SELECT accepted, evaluation FROM candidates WHERE run_id = $1 \
                     ORDER BY position",
                )
                .bind(run_id.0)
                .fetch_all(&self.pool)
                .await?;
                $crate::store::rows::convert(rows)
            }
        }

        impl $store {
            /// [`Store::append_event`](crate::store::Store::append_event) inside the
            /// caller's transaction; None when the run has finished (or does
            /// not exist), and the caller rolls back. A terminal event also
            /// empties the run's offer document (its download links may carry
            /// an indexer's API key): whatever path ends a run, the links go
            /// with the same commit.
            async fn append_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                run_id: $crate::model::RunId,
                status: $crate::model::WorkflowStatus,
                message: &str,
                payload: Option<&serde_json::Value>,
            ) -> Result<Option<$crate::store::rows::EventRow>, $crate::store::StoreError> {
                let now = chrono::Utc::now();
                let finished_at = status.is_terminal().then_some(now);
                // The update comes first: it locks the run row, so appends to
                // one run are serialised, and its guard refuses any event
                // after the terminal one.
                let run: Option<(i64, String, String, String)> = sqlx::query_as(
                    "UPDATE workflow_runs SET status = $2, message = $3, \
                     last_seq = last_seq + 1, updated_at = $4, finished_at = $5 \
                     WHERE id = $1 AND finished_at IS NULL \
                     RETURNING last_seq, album_id, quality, mode",
                )
                .bind(run_id.0)
                .bind(status.as_str())
                .bind(message)
                .bind(now)
                .bind(finished_at)
                .fetch_optional(&mut **tx)
                .await?;
                let Some((seq, album_id, quality, mode)) = run else {
                    return Ok(None);
                };
                let row: $crate::store::rows::EventRow = sqlx::query_as(
                    "INSERT INTO album_events \
                     (run_id, seq, album_id, quality, status, message, payload, created_at, mode) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING run_id, seq, album_id, quality, mode, status, message, payload, \
                     created_at",
                )
                .bind(run_id.0)
                .bind(seq)
                .bind(album_id)
                .bind(quality)
                .bind(status.as_str())
                .bind(message)
                .bind(payload.map(sqlx::types::Json))
                .bind(now)
                .bind(mode)
                .fetch_one(&mut **tx)
                .await?;
                if status.is_terminal() {
                    // Also what a late decision's guard checks
                    // (`OfferStore::decide`): an emptied offer is an ended one.
                    sqlx::query("UPDATE offers SET candidates = $2 WHERE run_id = $1")
                        .bind(run_id.0)
                        .bind(sqlx::types::Json($crate::store::offers::ended_document()))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(Some(row))
            }

            /// Why an append found no unfinished run.
            async fn refusal(&self, run_id: $crate::model::RunId) -> $crate::store::StoreError {
                match $crate::store::Store::run(self, run_id).await {
                    Ok(Some(_)) => $crate::store::StoreError::RunFinished(run_id),
                    Ok(None) => $crate::store::StoreError::RunNotFound(run_id),
                    Err(e) => e,
                }
            }
        }
    };
}

pub(super) use impl_sql_store;
