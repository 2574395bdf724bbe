//! PostgreSQL backend: for clusters and large installs. A sqlx pool at READ COMMITTED;
//! multi-statement transactions retry on serialization failure or deadlock (`retry`).

mod audits;
mod channels;
mod files;
mod migrations;
mod posts;
mod sessions;
mod sidebar;
mod social;
mod system;
mod teams;
mod threads;
mod tokens;
mod users;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use conclave_store::{
    AccessTokenStore, AuditStore, ChannelStore, PostStore, PreferenceStore, ReactionStore,
    SessionStore, StatusStore, Store, StoreError, StoreResult, SystemStore, TeamStore, ThreadStore,
    UserStore,
};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use migrations::MIGRATIONS;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` and applies pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(to_store_error)?;
        migrations::run(&pool).await?;
        Ok(PgStore { pool })
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    fn users(&self) -> &dyn UserStore {
        self
    }
    fn sessions(&self) -> &dyn SessionStore {
        self
    }
    fn access_tokens(&self) -> &dyn AccessTokenStore {
        self
    }
    fn system(&self) -> &dyn SystemStore {
        self
    }
    fn audits(&self) -> &dyn AuditStore {
        self
    }
    fn teams(&self) -> &dyn TeamStore {
        self
    }
    fn channels(&self) -> &dyn ChannelStore {
        self
    }
    fn posts(&self) -> &dyn PostStore {
        self
    }
    fn reactions(&self) -> &dyn ReactionStore {
        self
    }
    fn preferences(&self) -> &dyn PreferenceStore {
        self
    }
    fn statuses(&self) -> &dyn StatusStore {
        self
    }
    fn threads(&self) -> &dyn ThreadStore {
        self
    }
    fn sidebar(&self) -> &dyn conclave_store::SidebarStore {
        self
    }
    fn files(&self) -> &dyn conclave_store::FileStore {
        self
    }
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }
    async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn to_store_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(match db.constraint() {
                Some("users_username_key") => "username",
                Some("users_email_key") => "email",
                Some("teams_name_key" | "channels_name_key") => "name",
                Some("channel_members_pkey" | "team_members_pkey") => "member",
                Some(c) if c.ends_with("token_key") => "token",
                _ => "id",
            })
        }
        sqlx::Error::Protocol(m) if m == FILE_IDS_CONFLICT => StoreError::Conflict("file_ids"),
        other => StoreError::Internal(other.to_string()),
    }
}

/// Raised inside a transaction (which it rolls back) when a post names files it may not
/// attach; `to_store_error` turns it into `Conflict("file_ids")`.
pub(crate) const FILE_IDS_CONFLICT: &str = "conflict: file_ids";

/// SQLSTATEs worth retrying a whole transaction for.
fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some("40001") | Some("40P01")))
}

/// Runs a transaction body, retrying on serialization failure or deadlock. The one place
/// where PostgreSQL transactions are begun and committed.
pub(crate) async fn retry<T, F>(pool: &PgPool, mut body: F) -> StoreResult<T>
where
    F: for<'c> FnMut(
        &'c mut sqlx::PgConnection,
    ) -> futures_core::future::BoxFuture<'c, Result<T, sqlx::Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = pool.begin().await.map_err(to_store_error)?;
        let outcome = match body(&mut tx).await {
            Ok(value) => tx.commit().await.map(|_| value),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(value) => return Ok(value),
            Err(e) if attempt < 5 && is_retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
            }
            Err(e) => return Err(to_store_error(e)),
        }
    }
}

pub(crate) fn map_from_json(text: &str) -> StoreResult<BTreeMap<String, String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Internal(e.to_string()))
}

pub(crate) fn map_to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).expect("a string map always serializes")
}

pub(crate) fn changed_one(result: sqlx::postgres::PgQueryResult) -> StoreResult<()> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
