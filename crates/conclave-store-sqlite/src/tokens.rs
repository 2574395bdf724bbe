use async_trait::async_trait;
use conclave_model::UserAccessToken;
use conclave_store::{AccessTokenStore, StoreError, StoreResult, like_prefix};
use rusqlite::{Connection, Row, params};

use crate::SqliteStore;
use crate::db::to_store_error;

const COLUMNS: &str = "id, token, user_id, description, is_active";

fn from_row(r: &Row) -> rusqlite::Result<UserAccessToken> {
    Ok(UserAccessToken {
        id: r.get(0)?,
        token: r.get(1)?,
        user_id: r.get(2)?,
        description: r.get(3)?,
        is_active: r.get(4)?,
    })
}

fn query_one(c: &Connection, filter: &str, value: &str) -> StoreResult<UserAccessToken> {
    let sql = format!("SELECT {COLUMNS} FROM user_access_tokens WHERE {filter} = ?1");
    c.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([value], from_row))
        .map_err(to_store_error)
}

fn query_many(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<UserAccessToken>> {
    let mut stmt = c.prepare_cached(sql).map_err(to_store_error)?;
    let rows = stmt.query_map(params, from_row).map_err(to_store_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(to_store_error)
}

fn changed_one(n: usize) -> StoreResult<()> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[async_trait]
impl AccessTokenStore for SqliteStore {
    async fn create(&self, token: &UserAccessToken) -> StoreResult<()> {
        let t = token.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!("INSERT INTO user_access_tokens ({COLUMNS}) VALUES (?1,?2,?3,?4,?5)"),
                    params![t.id, t.token, t.user_id, t.description, t.is_active],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<UserAccessToken> {
        let id = id.to_owned();
        self.db.read(move |c| query_one(c, "id", &id)).await
    }

    async fn get_by_token(&self, token: &str) -> StoreResult<UserAccessToken> {
        let token = token.to_owned();
        self.db.read(move |c| query_one(c, "token", &token)).await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<UserAccessToken>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM user_access_tokens WHERE user_id = ?1 ORDER BY id"
                );
                query_many(c, &sql, [user_id])
            })
            .await
    }

    async fn list(&self, offset: i64, limit: i64) -> StoreResult<Vec<UserAccessToken>> {
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM user_access_tokens ORDER BY id LIMIT ?1 OFFSET ?2"
                );
                query_many(c, &sql, params![limit, offset])
            })
            .await
    }

    async fn search(&self, term: &str, limit: i64) -> StoreResult<Vec<UserAccessToken>> {
        let pattern = like_prefix(term);
        self.db
            .read(move |c| {
                let sql = "SELECT t.id, t.token, t.user_id, t.description, t.is_active
                     FROM user_access_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.id LIKE ?1 ESCAPE '\\' OR t.user_id LIKE ?1 ESCAPE '\\'
                        OR u.username LIKE ?1 ESCAPE '\\'
                     ORDER BY t.id LIMIT ?2";
                query_many(c, sql, params![pattern, limit])
            })
            .await
    }

    async fn set_active(&self, id: &str, active: bool) -> StoreResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE user_access_tokens SET is_active = ?2 WHERE id = ?1",
                    params![id, active],
                )
                .map_err(to_store_error)
                .and_then(changed_one)
            })
            .await
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM user_access_tokens WHERE id = ?1", [id])
                    .map_err(to_store_error)
                    .and_then(changed_one)
            })
            .await
    }
}
