use async_trait::async_trait;
use conclave_store::{AuditRecord, AuditStore, StoreResult};
use sqlx::Row;

use crate::{PgStore, to_store_error};

#[async_trait]
impl AuditStore for PgStore {
    async fn append(&self, a: &AuditRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audits (id, create_at, user_id, action, extra_info, ip_address,
                session_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&a.id)
        .bind(a.create_at)
        .bind(&a.user_id)
        .bind(&a.action)
        .bind(&a.extra_info)
        .bind(&a.ip_address)
        .bind(&a.session_id)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(to_store_error)
    }

    async fn list_for_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT id, create_at, user_id, action, extra_info, ip_address, session_id
             FROM audits WHERE user_id = $1 ORDER BY create_at DESC, id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id").map_err(to_store_error)?,
                    create_at: r.try_get("create_at").map_err(to_store_error)?,
                    user_id: r.try_get("user_id").map_err(to_store_error)?,
                    action: r.try_get("action").map_err(to_store_error)?,
                    extra_info: r.try_get("extra_info").map_err(to_store_error)?,
                    ip_address: r.try_get("ip_address").map_err(to_store_error)?,
                    session_id: r.try_get("session_id").map_err(to_store_error)?,
                })
            })
            .collect()
    }
}
