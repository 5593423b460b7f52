//! PostgreSQL: the production store.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use super::StoreError;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects and applies `migrations/postgres`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool, for benchmarks that measure raw statements beside the store.
    pub fn pool(&self) -> &sqlx::Pool<Postgres> {
        &self.pool
    }
}

super::sql::impl_sql_store!(PostgresStore, sqlx::Postgres);
super::sql_downloads::impl_sql_downloads!(PostgresStore, sqlx::Postgres);
super::sql_library::impl_sql_library!(PostgresStore, sqlx::Postgres);
super::sql_offers::impl_sql_offers!(PostgresStore);
super::sql_wanted::impl_sql_wanted!(PostgresStore);
