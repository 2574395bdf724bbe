use async_trait::async_trait;
use conclave_model::User;
use conclave_model::user::{ROLE_SYSTEM_ADMIN, ROLE_SYSTEM_USER};
use conclave_store::{StoreResult, UserQuery, UserStore, like_pattern};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, changed_one, map_from_json, map_to_json, retry, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, delete_at, username, email, email_verified, \
    auth_service, auth_data, nickname, first_name, last_name, position, roles, allow_marketing, \
    props, notify_props, timezone, locale, password_hash, mfa_active, mfa_secret, \
    failed_attempts, last_password_update, last_picture_update, last_activity_at, is_bot, \
    disable_welcome_email";

/// Serializes "is this the first user?" across concurrent sign-ups.
const FIRST_USER_LOCK: i64 = 0x6669_7273_745f_7573;

fn from_row(r: &PgRow) -> StoreResult<User> {
    let text = |c: &str| r.try_get::<String, _>(c).map_err(to_store_error);
    Ok(User {
        id: text("id")?,
        create_at: r.try_get("create_at").map_err(to_store_error)?,
        update_at: r.try_get("update_at").map_err(to_store_error)?,
        delete_at: r.try_get("delete_at").map_err(to_store_error)?,
        username: text("username")?,
        email: text("email")?,
        email_verified: r.try_get("email_verified").map_err(to_store_error)?,
        auth_service: text("auth_service")?,
        auth_data: text("auth_data")?,
        nickname: text("nickname")?,
        first_name: text("first_name")?,
        last_name: text("last_name")?,
        position: text("position")?,
        roles: text("roles")?,
        allow_marketing: r.try_get("allow_marketing").map_err(to_store_error)?,
        props: map_from_json(&text("props")?)?,
        notify_props: map_from_json(&text("notify_props")?)?,
        timezone: map_from_json(&text("timezone")?)?,
        locale: text("locale")?,
        password_hash: text("password_hash")?,
        mfa_active: r.try_get("mfa_active").map_err(to_store_error)?,
        mfa_secret: text("mfa_secret")?,
        failed_attempts: r.try_get("failed_attempts").map_err(to_store_error)?,
        last_password_update: r.try_get("last_password_update").map_err(to_store_error)?,
        last_picture_update: r.try_get("last_picture_update").map_err(to_store_error)?,
        last_activity_at: r.try_get("last_activity_at").map_err(to_store_error)?,
        is_bot: r.try_get("is_bot").map_err(to_store_error)?,
        disable_welcome_email: r.try_get("disable_welcome_email").map_err(to_store_error)?,
    })
}

fn from_rows(rows: Vec<PgRow>) -> StoreResult<Vec<User>> {
    rows.iter().map(from_row).collect()
}

impl PgStore {
    async fn user_where(&self, filter: &str, value: &str) -> StoreResult<User> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE {filter} = $1");
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_row(&row)
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn create(&self, user: User, admin_if_first: bool) -> StoreResult<User> {
        retry(&self.pool, |c| {
            let mut u = user.clone();
            Box::pin(async move {
                if admin_if_first {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)")
                        .bind(FIRST_USER_LOCK)
                        .execute(&mut *c)
                        .await?;
                    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
                        .fetch_one(&mut *c)
                        .await?;
                    if !any {
                        u.roles = format!("{ROLE_SYSTEM_ADMIN} {ROLE_SYSTEM_USER}");
                    }
                }
                let sql = format!(
                    "INSERT INTO users ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
                     $25, $26, $27, $28)"
                );
                sqlx::query(&sql)
                    .bind(&u.id)
                    .bind(u.create_at)
                    .bind(u.update_at)
                    .bind(u.delete_at)
                    .bind(&u.username)
                    .bind(&u.email)
                    .bind(u.email_verified)
                    .bind(&u.auth_service)
                    .bind(&u.auth_data)
                    .bind(&u.nickname)
                    .bind(&u.first_name)
                    .bind(&u.last_name)
                    .bind(&u.position)
                    .bind(&u.roles)
                    .bind(u.allow_marketing)
                    .bind(map_to_json(&u.props))
                    .bind(map_to_json(&u.notify_props))
                    .bind(map_to_json(&u.timezone))
                    .bind(&u.locale)
                    .bind(&u.password_hash)
                    .bind(u.mfa_active)
                    .bind(&u.mfa_secret)
                    .bind(u.failed_attempts)
                    .bind(u.last_password_update)
                    .bind(u.last_picture_update)
                    .bind(u.last_activity_at)
                    .bind(u.is_bot)
                    .bind(u.disable_welcome_email)
                    .execute(&mut *c)
                    .await?;
                sqlx::query("UPDATE users SET mention_keyed = $2 WHERE id = $1")
                    .bind(&u.id)
                    .bind(u.has_mention_keys())
                    .execute(&mut *c)
                    .await?;
                Ok(u)
            })
        })
        .await
    }

    async fn count(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn get(&self, id: &str) -> StoreResult<User> {
        self.user_where("id", id).await
    }

    async fn get_by_username(&self, username: &str) -> StoreResult<User> {
        self.user_where("username", username).await
    }

    async fn get_by_email(&self, email: &str) -> StoreResult<User> {
        self.user_where("email", email).await
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ANY($1)");
        let rows = sqlx::query(&sql)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_rows(rows)
    }

    async fn get_by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = ANY($1)");
        let rows = sqlx::query(&sql)
            .bind(usernames)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_rows(rows)
    }

    async fn list(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        // $1: active filter (NULL = any), $2: role (NULL = any).
        let sql = format!(
            "SELECT {COLUMNS} FROM users
             WHERE ($1::BOOLEAN IS NULL OR ($1 AND delete_at = 0) OR (NOT $1 AND delete_at > 0))
               AND ($2::TEXT IS NULL OR $2 = ANY(string_to_array(roles, ' ')))
             ORDER BY username LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(&sql)
            .bind(query.active)
            .bind(&query.role)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_rows(rows)
    }

    async fn search(
        &self,
        term: &str,
        include_email: bool,
        allow_inactive: bool,
        limit: i64,
    ) -> StoreResult<Vec<User>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM users
             WHERE ($2 OR delete_at = 0)
               AND (username LIKE $1 ESCAPE '\\' OR lower(first_name) LIKE $1 ESCAPE '\\'
                 OR lower(last_name) LIKE $1 ESCAPE '\\' OR lower(nickname) LIKE $1 ESCAPE '\\'
                 OR ($3 AND email LIKE $1 ESCAPE '\\'))
             ORDER BY username LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(like_pattern(term))
            .bind(allow_inactive)
            .bind(include_email)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_rows(rows)
    }

    async fn update(&self, u: &User) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE users SET update_at = $2, delete_at = $3, username = $4,
                email = $5, email_verified = $6, nickname = $7, first_name = $8,
                last_name = $9, position = $10, roles = $11, allow_marketing = $12,
                props = $13, notify_props = $14, timezone = $15, locale = $16,
                password_hash = $17, mfa_active = $18, mfa_secret = $19,
                last_password_update = $20, last_picture_update = $21,
                last_activity_at = $22, mention_keyed = $23
             WHERE id = $1",
        )
        .bind(&u.id)
        .bind(u.update_at)
        .bind(u.delete_at)
        .bind(&u.username)
        .bind(&u.email)
        .bind(u.email_verified)
        .bind(&u.nickname)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.position)
        .bind(&u.roles)
        .bind(u.allow_marketing)
        .bind(map_to_json(&u.props))
        .bind(map_to_json(&u.notify_props))
        .bind(map_to_json(&u.timezone))
        .bind(&u.locale)
        .bind(&u.password_hash)
        .bind(u.mfa_active)
        .bind(&u.mfa_secret)
        .bind(u.last_password_update)
        .bind(u.last_picture_update)
        .bind(u.last_activity_at)
        .bind(u.has_mention_keys())
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn add_failed_attempt(&self, id: &str) -> StoreResult<i64> {
        sqlx::query_scalar(
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1
             RETURNING failed_attempts",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)
    }

    async fn reset_failed_attempts(&self, id: &str) -> StoreResult<()> {
        let result = sqlx::query("UPDATE users SET failed_attempts = 0 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(to_store_error)?;
        changed_one(result)
    }
}
