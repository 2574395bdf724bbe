//! SQLite backend: the embedded default. One file under the data dir, WAL mode, one
//! group-committing writer, pooled readers (see `db`).

mod audits;
mod channels;
mod db;
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

use std::path::PathBuf;

use async_trait::async_trait;
use conclave_store::{
    AccessTokenStore, AuditStore, ChannelStore, PostStore, PreferenceStore, ReactionStore,
    SessionStore, StatusStore, Store, StoreResult, SystemStore, TeamStore, ThreadStore, UserStore,
};

pub use migrations::MIGRATIONS;

pub struct SqliteStore {
    db: db::Db,
}

impl SqliteStore {
    /// Opens the database at `path` (created if missing) and applies pending migrations.
    pub fn open(path: impl Into<PathBuf>) -> StoreResult<SqliteStore> {
        let db = db::Db::open(path.into(), migrations::run)?;
        Ok(SqliteStore { db })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
        self.db
            .read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(db::to_store_error)
            })
            .await
    }
    async fn close(&self) {
        self.db.close().await;
    }
}

/// Decodes a JSON text column holding a string map.
pub(crate) fn map_from_json(
    text: String,
) -> rusqlite::Result<std::collections::BTreeMap<String, String>> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn map_to_json(map: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(map).expect("a string map always serializes")
}
