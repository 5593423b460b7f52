//! SQLite: the embedded default, one file under the data directory.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use super::StoreError;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and applies
    /// `migrations/sqlite`. WAL lets readers (stream replays) go on while the
    /// workflows write; writers wait for each other up to the busy timeout.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool, for benchmarks that measure raw statements beside the store.
    pub fn pool(&self) -> &sqlx::Pool<Sqlite> {
        &self.pool
    }
}

super::sql::impl_sql_store!(SqliteStore, sqlx::Sqlite);
super::sql_downloads::impl_sql_downloads!(SqliteStore, sqlx::Sqlite);
super::sql_library::impl_sql_library!(SqliteStore, sqlx::Sqlite);
super::sql_offers::impl_sql_offers!(SqliteStore);
super::sql_wanted::impl_sql_wanted!(SqliteStore);
