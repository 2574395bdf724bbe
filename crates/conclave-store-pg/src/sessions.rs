use async_trait::async_trait;
use conclave_model::Session;
use conclave_store::{SessionStore, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, map_from_json, map_to_json, to_store_error};

const COLUMNS: &str = "id, token, create_at, expires_at, last_activity_at, user_id, device_id, \
    roles, is_oauth, expired_notify, props";

fn from_row(r: &PgRow) -> StoreResult<Session> {
    let props: String = r.try_get("props").map_err(to_store_error)?;
    Ok(Session {
        id: r.try_get("id").map_err(to_store_error)?,
        token: r.try_get("token").map_err(to_store_error)?,
        create_at: r.try_get("create_at").map_err(to_store_error)?,
        expires_at: r.try_get("expires_at").map_err(to_store_error)?,
        last_activity_at: r.try_get("last_activity_at").map_err(to_store_error)?,
        user_id: r.try_get("user_id").map_err(to_store_error)?,
        device_id: r.try_get("device_id").map_err(to_store_error)?,
        roles: r.try_get("roles").map_err(to_store_error)?,
        is_oauth: r.try_get("is_oauth").map_err(to_store_error)?,
        expired_notify: r.try_get("expired_notify").map_err(to_store_error)?,
        props: map_from_json(&props)?,
        ..Session::default()
    })
}

impl PgStore {
    async fn session_where(&self, filter: &str, value: &str) -> StoreResult<Session> {
        let sql = format!("SELECT {COLUMNS} FROM sessions WHERE {filter} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_row(&row)
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create(&self, s: &Session) -> StoreResult<()> {
        let sql =
            format!("INSERT INTO sessions ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)");
        sqlx::query(&sql)
            .bind(&s.id)
            .bind(&s.token)
            .bind(s.create_at)
            .bind(s.expires_at)
            .bind(s.last_activity_at)
            .bind(&s.user_id)
            .bind(&s.device_id)
            .bind(&s.roles)
            .bind(s.is_oauth)
            .bind(s.expired_notify)
            .bind(map_to_json(&s.props))
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }

    async fn get(&self, id: &str) -> StoreResult<Session> {
        self.session_where("id", id).await
    }

    async fn get_by_token(&self, token: &str) -> StoreResult<Session> {
        self.session_where("token", token).await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let sql =
            format!("SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY create_at DESC");
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn touch(&self, id: &str, last_activity_at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_activity_at = $2 WHERE id = $1")
            .bind(id)
            .bind(last_activity_at)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }

    async fn update_roles_for_user(&self, user_id: &str, roles: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET roles = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(roles)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }

    async fn delete(&self, id: &str) -> StoreResult<String> {
        sqlx::query_scalar("DELETE FROM sessions WHERE id = $1 RETURNING token")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn delete_by_token(&self, token: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token = $1")
            .bind(token)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn delete_for_device(&self, user_id: &str, device_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "DELETE FROM sessions WHERE user_id = $1 AND device_id = $2 RETURNING id",
        )
        .bind(user_id)
        .bind(device_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)
    }

    async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        sqlx::query("DELETE FROM sessions WHERE expires_at > 0 AND expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(to_store_error)
    }
}
