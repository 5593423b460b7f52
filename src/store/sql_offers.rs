//! [`OfferStore`](super::OfferStore) in SQL shared by both databases.

macro_rules! impl_sql_offers {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::OfferStore for $store {
            async fn append_offer(
                &self,
                run_id: $crate::model::RunId,
                message: &str,
                payload: &serde_json::Value,
                expires_at: chrono::DateTime<chrono::Utc>,
                candidates: &serde_json::Value,
            ) -> Result<$crate::model::Event, $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                let appended = Self::append_in(
                    &mut tx,
                    run_id,
                    $crate::model::WorkflowStatus::AwaitingChoice,
                    message,
                    Some(payload),
                )
                .await?;
                let Some(row) = appended else {
                    tx.rollback().await?;
                    return Err(self.refusal(run_id).await);
                };
                sqlx::query(
                    "INSERT INTO offers (run_id, expires_at, candidates, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO UPDATE SET \
                     expires_at = excluded.expires_at, candidates = excluded.candidates",
                )
                .bind(run_id.0)
                .bind(expires_at)
                .bind(sqlx::types::Json(candidates))
                .bind(chrono::Utc::now())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                row.try_into()
            }

            async fn offer(
                &self,
                run_id: $crate::model::RunId,
            ) -> Result<Option<$crate::store::StoredOffer>, $crate::store::StoreError> {
                #[allow(clippy::type_complexity)]
                let row: Option<(
                    chrono::DateTime<chrono::Utc>,
                    sqlx::types::Json<serde_json::Value>,
                    Option<String>,
                    Option<String>,
                    Option<chrono::DateTime<chrono::Utc>>,
                )> = sqlx::query_as(
                    "SELECT expires_at, candidates, decision, chosen_guid, decided_at \
                     FROM offers WHERE run_id = $1",
                )
                .bind(run_id.0)
                .fetch_optional(&self.pool)
                .await?;
                let Some((expires_at, candidates, decision, guid, decided_at)) = row else {
                    return Ok(None);
                };
                Ok(Some($crate::store::StoredOffer {
                    run_id,
                    expires_at,
                    candidates: candidates.0,
                    decision: $crate::store::Decision::from_columns(decision.as_deref(), guid)?,
                    decided_at,
                }))
            }

            async fn decision(
                &self,
                run_id: $crate::model::RunId,
            ) -> Result<Option<$crate::store::Decision>, $crate::store::StoreError> {
                let row: Option<(Option<String>, Option<String>)> =
                    sqlx::query_as("SELECT decision, chosen_guid FROM offers WHERE run_id = $1")
                        .bind(run_id.0)
                        .fetch_optional(&self.pool)
                        .await?;
                match row {
                    Some((decision, guid)) => {
                        $crate::store::Decision::from_columns(decision.as_deref(), guid)
                    }
                    None => Ok(None),
                }
            }

            async fn decide(
                &self,
                run_id: $crate::model::RunId,
                decision: &$crate::store::Decision,
            ) -> Result<bool, $crate::store::StoreError> {
                let (name, guid) = decision.columns();
                // The guard makes the first decision the only one, whatever
                // the number of concurrent callers; an emptied document is an
                // ended run (the terminal event's transaction empties it, and
                // the row lock orders the two); a client's answer must come
                // before the deadline.
                let done = sqlx::query(
                    "UPDATE offers SET decision = $2, chosen_guid = $3, decided_at = $4 \
                     WHERE run_id = $1 AND decision IS NULL AND candidates <> $5 \
                     AND ($2 = 'expired' OR expires_at > $4)",
                )
                .bind(run_id.0)
                .bind(name)
                .bind(guid)
                .bind(chrono::Utc::now())
                .bind(sqlx::types::Json($crate::store::offers::ended_document()))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(super) use impl_sql_offers;
