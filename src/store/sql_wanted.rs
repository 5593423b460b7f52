//! [`WantedStore`](super::WantedStore) in SQL shared by both databases.

/// The columns every query reads (`album_id, quality, cutoff, state,
/// attempts, message, added_at, last_searched_at, next_search_at,
/// updated_at`), in this order.
pub(super) type WantedRow = (
    String,
    String,
    String,
    String,
    i32,
    String,
    chrono::DateTime<chrono::Utc>,
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
    chrono::DateTime<chrono::Utc>,
);

/// A stored row back into a record; a row our code did not write is an
/// error naming the table, never a panic.
pub(super) fn record(row: WantedRow) -> Result<super::WantedRecord, super::StoreError> {
    let (album_id, quality, cutoff, state, attempts, message, added, last, next, updated) = row;
    Ok(super::WantedRecord {
        album_id: crate::model::AlbumId::parse(&album_id)
            .map_err(|e| super::StoreError::corrupt("wanted", e))?,
        quality: quality.parse()?,
        cutoff: cutoff.parse()?,
        state: state.parse()?,
        attempts,
        message,
        added_at: added,
        last_searched_at: last,
        next_search_at: next,
        updated_at: updated,
    })
}

macro_rules! impl_sql_wanted {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::WantedStore for $store {
            async fn put_wanted(
                &self,
                r: &$crate::store::WantedRecord,
                replace: bool,
            ) -> Result<bool, $crate::store::StoreError> {
                // `xmax = 0` is PostgreSQL-only; ask first instead (the
                // answer only feeds a message).
                let existed: Option<(String,)> =
                    sqlx::query_as("SELECT album_id FROM wanted WHERE album_id = $1")
                        .bind(r.album_id.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                                let query = if replace {
                    concat!(
                        "INSERT INTO wanted (album_id, quality, cutoff, state, attempts, message, ",
                        "added_at, last_searched_at, next_search_at, updated_at) ",
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ",
                        "ON CONFLICT (album_id) DO UPDATE SET quality = excluded.quality, ",
                        "cutoff = excluded.cutoff, state = excluded.state, ",
                        "attempts = excluded.attempts, message = excluded.message, ",
                        "next_search_at = excluded.next_search_at, updated_at = excluded.updated_at"
                    )
                } else {
                    concat!(
                        "INSERT INTO wanted (album_id, quality, cutoff, state, attempts, message, ",
                        "added_at, last_searched_at, next_search_at, updated_at) ",
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ",
                        "ON CONFLICT (album_id) DO NOTHING"
                    )
                };
                sqlx::query(query)
                .bind(r.album_id.as_str())
                .bind(r.quality.as_str())
                .bind(r.cutoff.as_str())
                .bind(r.state.as_str())
                .bind(r.attempts)
                .bind(&r.message)
                .bind(r.added_at)
                .bind(r.last_searched_at)
                .bind(r.next_search_at)
                .bind(r.updated_at)
                .execute(&self.pool)
                .await?;
                Ok(existed.is_none())
            }

            async fn wanted(
                &self,
                album_id: &$crate::model::AlbumId,
            ) -> Result<Option<$crate::store::WantedRecord>, $crate::store::StoreError> {
                let row: Option<super::sql_wanted::WantedRow> = sqlx::query_as(concat!(
                    "SELECT album_id, quality, cutoff, state, attempts, message, added_at, ",
                    "last_searched_at, next_search_at, updated_at FROM wanted WHERE album_id = $1"
                ))
                .bind(album_id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map(super::sql_wanted::record).transpose()
            }

            async fn list_wanted(
                &self,
                state: Option<$crate::store::WantedState>,
            ) -> Result<Vec<$crate::store::WantedRecord>, $crate::store::StoreError> {
                let rows: Vec<super::sql_wanted::WantedRow> = sqlx::query_as(concat!(
                    "SELECT album_id, quality, cutoff, state, attempts, message, added_at, ",
                    "last_searched_at, next_search_at, updated_at FROM wanted ",
                    "WHERE ($1 IS NULL OR state = $1) ORDER BY added_at, album_id"
                ))
                .bind(state.map(|s| s.as_str()))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(super::sql_wanted::record).collect()
            }

            async fn wanted_album_names(
                &self,
            ) -> Result<Vec<($crate::model::AlbumId, String, String)>, $crate::store::StoreError>
            {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT w.album_id, a.artist, a.title FROM wanted w \
                     JOIN albums a ON a.id = w.album_id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, artist, title)| {
                        let id = $crate::model::AlbumId::parse(&id)
                            .map_err(|e| $crate::store::StoreError::corrupt("wanted", e))?;
                        Ok((id, artist, title))
                    })
                    .collect()
            }

            async fn remove_wanted(
                &self,
                album_id: &$crate::model::AlbumId,
            ) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM wanted WHERE album_id = $1")
                    .bind(album_id.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn update_wanted(
                &self,
                r: &$crate::store::WantedRecord,
                read_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<bool, $crate::store::StoreError> {
                // $8 = 1: only a row not written since `read_at` ($9)
                let done = sqlx::query(
                    "UPDATE wanted SET state = $2, attempts = $3, message = $4, \
                     last_searched_at = $5, next_search_at = $6, updated_at = $7 \
                     WHERE album_id = $1 AND ($8 = 0 OR updated_at = $9)",
                )
                .bind(r.album_id.as_str())
                .bind(r.state.as_str())
                .bind(r.attempts)
                .bind(&r.message)
                .bind(r.last_searched_at)
                .bind(r.next_search_at)
                .bind(r.updated_at)
                .bind(i32::from(read_at.is_some()))
                .bind(read_at.unwrap_or(r.updated_at))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn due_wanted(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<$crate::store::WantedRecord>, $crate::store::StoreError> {
                // Never-searched first (false sorts before true on both).
                let rows: Vec<super::sql_wanted::WantedRow> = sqlx::query_as(concat!(
                    "SELECT album_id, quality, cutoff, state, attempts, message, added_at, ",
                    "last_searched_at, next_search_at, updated_at FROM wanted ",
                    "WHERE state = 'wanted' AND next_search_at IS NOT NULL AND next_search_at <= $1 ",
                    "ORDER BY (last_searched_at IS NOT NULL), last_searched_at, added_at, album_id ",
                    "LIMIT $2"
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(super::sql_wanted::record).collect()
            }
        }
    };
}

pub(super) use impl_sql_wanted;
