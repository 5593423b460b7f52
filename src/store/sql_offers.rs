//! [`OfferStore`](super::OfferStore) in SQL shared by both databases.

macro_rules! impl_sql_offers {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::OfferStore for $store {
            async fn save_offer(
                &self,
                run_id: $crate::model::RunId,
                expires_at: chrono::DateTime<chrono::Utc>,
                candidates: &serde_json::Value,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO offers (run_id, expires_at, candidates, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO UPDATE SET \
                     expires_at = excluded.expires_at, candidates = excluded.candidates",
                )
                .bind(run_id.0)
                .bind(expires_at)
                .bind(sqlx::types::Json(candidates))
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
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

            async fn decide(
                &self,
                run_id: $crate::model::RunId,
                decision: &$crate::store::Decision,
            ) -> Result<bool, $crate::store::StoreError> {
                let (name, guid) = decision.columns();
                // The guard makes the first decision the only one, whatever
                // the number of concurrent callers.
                let done = sqlx::query(
                    "UPDATE offers SET decision = $2, chosen_guid = $3, decided_at = $4 \
                     WHERE run_id = $1 AND decision IS NULL",
                )
                .bind(run_id.0)
                .bind(name)
                .bind(guid)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn forget_offer(
                &self,
                run_id: $crate::model::RunId,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query("UPDATE offers SET candidates = $2 WHERE run_id = $1")
                    .bind(run_id.0)
                    .bind(sqlx::types::Json(serde_json::json!([])))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_sql_offers;
