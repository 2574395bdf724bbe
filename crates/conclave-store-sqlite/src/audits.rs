use async_trait::async_trait;
use conclave_store::{AuditRecord, AuditStore, StoreResult};
use rusqlite::params;

use crate::SqliteStore;
use crate::db::to_store_error;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append(&self, record: &AuditRecord) -> StoreResult<()> {
        let a = record.clone();
        self.db
            .write(move |c| {
                c.prepare_cached(
                    "INSERT INTO audits (id, create_at, user_id, action, extra_info, ip_address,
                        session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        a.id,
                        a.create_at,
                        a.user_id,
                        a.action,
                        a.extra_info,
                        a.ip_address,
                        a.session_id
                    ])
                })
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn list_for_user(&self, user_id: &str, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT id, create_at, user_id, action, extra_info, ip_address, session_id
                         FROM audits WHERE user_id = ?1 ORDER BY create_at DESC, id DESC LIMIT ?2",
                    )
                    .map_err(to_store_error)?;
                let rows = stmt
                    .query_map(params![user_id, limit], |r| {
                        Ok(AuditRecord {
                            id: r.get(0)?,
                            create_at: r.get(1)?,
                            user_id: r.get(2)?,
                            action: r.get(3)?,
                            extra_info: r.get(4)?,
                            ip_address: r.get(5)?,
                            session_id: r.get(6)?,
                        })
                    })
                    .map_err(to_store_error)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(to_store_error)
            })
            .await
    }
}
