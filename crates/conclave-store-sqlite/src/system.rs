use async_trait::async_trait;
use conclave_store::{StoreResult, SystemStore};
use rusqlite::{OptionalExtension, params};

use crate::SqliteStore;
use crate::db::to_store_error;

#[async_trait]
impl SystemStore for SqliteStore {
    async fn get(&self, name: &str) -> StoreResult<Option<String>> {
        let name = name.to_owned();
        self.db
            .read(move |c| {
                c.query_row("SELECT value FROM systems WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(to_store_error)
            })
            .await
    }

    async fn get_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO systems (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    params![name, value],
                )
                .map_err(to_store_error)?;
                c.query_row("SELECT value FROM systems WHERE name = ?1", [name], |r| r.get(0))
                    .map_err(to_store_error)
            })
            .await
    }
}
