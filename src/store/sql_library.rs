//! [`LibraryIndex`](super::LibraryIndex) in SQL shared by both databases.

macro_rules! impl_sql_library {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::LibraryIndex for $store {
            async fn library_known(
                &self,
            ) -> Result<
                std::collections::HashMap<String, $crate::library::scan::Known>,
                $crate::store::StoreError,
            > {
                let rows: Vec<(String, i64, i64)> =
                    sqlx::query_as("SELECT path, size_bytes, mtime_ms FROM library_files")
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(path, size, mtime_ms)| {
                        (
                            path,
                            $crate::library::scan::Known {
                                size: u64::try_from(size).unwrap_or(0),
                                mtime_ms,
                            },
                        )
                    })
                    .collect())
            }

            async fn library_apply(
                &self,
                changed: &[($crate::library::scan::LibraryFile, String)],
                removed: &[String],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for path in removed {
                    sqlx::query("DELETE FROM library_files WHERE path = $1")
                        .bind(path)
                        .execute(&mut *tx)
                        .await?;
                }
                // Many rows per statement: one round trip per slice, not per
                // file (8 parameters a row stays far below either limit).
                for slice in changed.chunks(25) {
                    let mut rows = Vec::with_capacity(slice.len());
                    for (file, album_key) in slice {
                        let facts = serde_json::to_value(&file.facts)
                            .map_err(|e| $crate::store::StoreError::corrupt("library_files", e))?;
                        let folder = file
                            .path
                            .rsplit_once('/')
                            .map(|(folder, _)| folder.to_owned())
                            .unwrap_or_default();
                        rows.push((file, album_key, folder, facts));
                    }
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO library_files (path, folder, size_bytes, mtime_ms, \
                         release_group_id, release_id, album_key, facts) ",
                    );
                    insert.push_values(rows, |mut row, (file, album_key, folder, facts)| {
                        row.push_bind(file.path.clone())
                            .push_bind(folder)
                            .push_bind(i64::try_from(file.size).unwrap_or(i64::MAX))
                            .push_bind(file.mtime_ms)
                            .push_bind(file.facts.tags.release_group_id.clone())
                            .push_bind(file.facts.tags.release_id.clone())
                            .push_bind(album_key.clone())
                            .push_bind(sqlx::types::Json(facts));
                    });
                    insert.push(
                        " ON CONFLICT (path) DO UPDATE SET folder = excluded.folder, \
                         size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms, \
                         release_group_id = excluded.release_group_id, \
                         release_id = excluded.release_id, album_key = excluded.album_key, \
                         facts = excluded.facts",
                    );
                    insert.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn library_album_files(
                &self,
                release_group_id: &str,
                album_key: &str,
                folders: &[String],
            ) -> Result<Vec<$crate::store::IndexedFile>, $crate::store::StoreError> {
                let mut rows: Vec<$crate::store::rows::LibraryFileRow> = sqlx::query_as(
                    "SELECT path, folder, facts FROM library_files \
                     WHERE release_group_id = $1 OR album_key = $2 ORDER BY path",
                )
                .bind(release_group_id)
                .bind(album_key)
                .fetch_all(&self.pool)
                .await?;
                for folder in folders {
                    let more: Vec<$crate::store::rows::LibraryFileRow> = sqlx::query_as(
                        "SELECT path, folder, facts FROM library_files WHERE folder = $1 \
                         ORDER BY path",
                    )
                    .bind(folder)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.extend(more);
                }
                let mut files: Vec<$crate::store::IndexedFile> =
                    $crate::store::rows::convert(rows)?;
                files.sort_by(|a, b| a.path.cmp(&b.path));
                files.dedup_by(|a, b| a.path == b.path);
                Ok(files)
            }

            async fn library_file_count(&self) -> Result<i64, $crate::store::StoreError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM library_files")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn library_size(&self) -> Result<(i64, i64), $crate::store::StoreError> {
                let sizes: (i64, i64) =
                    sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT folder) FROM library_files")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(sizes)
            }
        }
    };
}

pub(super) use impl_sql_library;
