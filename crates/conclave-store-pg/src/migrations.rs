//! Embedded schema migrations; versions match the SQLite backend's one for one (a test checks).

use conclave_model::now_ms;
use conclave_store::StoreResult;
use sqlx::{Executor, PgPool};

use crate::to_store_error;

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

/// Arbitrary constant: the advisory lock that keeps nodes starting together from migrating twice.
const MIGRATION_LOCK: i64 = 0x636f_6e63_6c61_7665;

pub(crate) async fn run(pool: &PgPool) -> StoreResult<()> {
    let mut conn = pool.acquire().await.map_err(to_store_error)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(to_store_error)?;
    let result = apply_pending(&mut conn).await;
    let unlock = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(to_store_error);
    result.and(unlock.map(drop))
}

async fn apply_pending(conn: &mut sqlx::PgConnection) -> StoreResult<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL)",
    )
    .await
    .map_err(to_store_error)?;
    for (version, name, sql) in MIGRATIONS {
        let applied: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
        )
        .bind(version)
        .fetch_one(&mut *conn)
        .await
        .map_err(to_store_error)?;
        if applied {
            continue;
        }
        tracing::info!(version, name, "applying postgres migration");
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(to_store_error)?;
        tx.execute(*sql).await.map_err(to_store_error)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(to_store_error)?;
        tx.commit().await.map_err(to_store_error)?;
    }
    Ok(())
}
