use async_trait::async_trait;
use conclave_model::UserAccessToken;
use conclave_store::{AccessTokenStore, StoreResult, like_prefix};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, changed_one, to_store_error};

const COLUMNS: &str = "id, token, user_id, description, is_active";

fn from_row(r: &PgRow) -> StoreResult<UserAccessToken> {
    Ok(UserAccessToken {
        id: r.try_get("id").map_err(to_store_error)?,
        token: r.try_get("token").map_err(to_store_error)?,
        user_id: r.try_get("user_id").map_err(to_store_error)?,
        description: r.try_get("description").map_err(to_store_error)?,
        is_active: r.try_get("is_active").map_err(to_store_error)?,
    })
}

impl PgStore {
    async fn token_where(&self, filter: &str, value: &str) -> StoreResult<UserAccessToken> {
        let sql = format!("SELECT {COLUMNS} FROM user_access_tokens WHERE {filter} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_row(&row)
    }
}

#[async_trait]
impl AccessTokenStore for PgStore {
    async fn create(&self, t: &UserAccessToken) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO user_access_tokens ({COLUMNS}) VALUES ($1,$2,$3,$4,$5)"
        ))
        .bind(&t.id)
        .bind(&t.token)
        .bind(&t.user_id)
        .bind(&t.description)
        .bind(t.is_active)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(to_store_error)
    }

    async fn get(&self, id: &str) -> StoreResult<UserAccessToken> {
        self.token_where("id", id).await
    }

    async fn get_by_token(&self, token: &str) -> StoreResult<UserAccessToken> {
        self.token_where("token", token).await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<UserAccessToken>> {
        let sql =
            format!("SELECT {COLUMNS} FROM user_access_tokens WHERE user_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn list(&self, offset: i64, limit: i64) -> StoreResult<Vec<UserAccessToken>> {
        let sql =
            format!("SELECT {COLUMNS} FROM user_access_tokens ORDER BY id LIMIT $1 OFFSET $2");
        let rows = sqlx::query(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn search(&self, term: &str, limit: i64) -> StoreResult<Vec<UserAccessToken>> {
        let rows = sqlx::query(
            "SELECT t.id, t.token, t.user_id, t.description, t.is_active
             FROM user_access_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.id LIKE $1 ESCAPE '\\' OR t.user_id LIKE $1 ESCAPE '\\'
                OR u.username LIKE $1 ESCAPE '\\'
             ORDER BY t.id LIMIT $2",
        )
        .bind(like_prefix(term))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn set_active(&self, id: &str, active: bool) -> StoreResult<()> {
        let result = sqlx::query("UPDATE user_access_tokens SET is_active = $2 WHERE id = $1")
            .bind(id)
            .bind(active)
            .execute(&self.pool)
            .await
            .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn delete(&self, id: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM user_access_tokens WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(to_store_error)?;
        changed_one(result)
    }
}
