//! Embedded schema migrations. Versions match the PostgreSQL backend's one for one (a test
//! checks); an applied migration is never edited, only followed by a new one.

use conclave_model::now_ms;
use conclave_store::StoreResult;
use rusqlite::{Connection, params};

use crate::db::to_store_error;

/// `(version, name, sql)`, in order.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("../migrations/0001_accounts.sql"),
    ),
    (
        2,
        "messaging",
        include_str!("../migrations/0002_messaging.sql"),
    ),
    (3, "sidebar", include_str!("../migrations/0003_sidebar.sql")),
    (4, "search", include_str!("../migrations/0004_search.sql")),
    (5, "files", include_str!("../migrations/0005_files.sql")),
];

pub(crate) fn run(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            applied_at INTEGER NOT NULL)",
    )
    .map_err(to_store_error)?;
    for (version, name, sql) in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(to_store_error)?;
        let applied: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(to_store_error)?;
        if !applied {
            tracing::info!(version, name, "applying sqlite migration");
            tx.execute_batch(sql).map_err(to_store_error)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, now_ms()],
            )
            .map_err(to_store_error)?;
        }
        tx.commit().map_err(to_store_error)?;
    }
    Ok(())
}
