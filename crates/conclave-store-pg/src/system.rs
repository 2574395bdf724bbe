use async_trait::async_trait;
use conclave_store::{StoreResult, SystemStore};

use crate::{PgStore, to_store_error};

#[async_trait]
impl SystemStore for PgStore {
    async fn get(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM systems WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn get_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO systems (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        sqlx::query_scalar("SELECT value FROM systems WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)
    }
}
