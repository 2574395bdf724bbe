use async_trait::async_trait;
use conclave_model::User;
use conclave_model::user::{ROLE_SYSTEM_ADMIN, ROLE_SYSTEM_USER};
use conclave_store::{StoreResult, UserQuery, UserStore, like_pattern};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::db::to_store_error;
use crate::{SqliteStore, map_from_json, map_to_json};

const COLUMNS: &str = "id, create_at, update_at, delete_at, username, email, email_verified, \
    auth_service, auth_data, nickname, first_name, last_name, position, roles, allow_marketing, \
    props, notify_props, timezone, locale, password_hash, mfa_active, mfa_secret, \
    failed_attempts, last_password_update, last_picture_update, last_activity_at, is_bot, \
    disable_welcome_email";

fn from_row(r: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        create_at: r.get(1)?,
        update_at: r.get(2)?,
        delete_at: r.get(3)?,
        username: r.get(4)?,
        email: r.get(5)?,
        email_verified: r.get(6)?,
        auth_service: r.get(7)?,
        auth_data: r.get(8)?,
        nickname: r.get(9)?,
        first_name: r.get(10)?,
        last_name: r.get(11)?,
        position: r.get(12)?,
        roles: r.get(13)?,
        allow_marketing: r.get(14)?,
        props: map_from_json(r.get(15)?)?,
        notify_props: map_from_json(r.get(16)?)?,
        timezone: map_from_json(r.get(17)?)?,
        locale: r.get(18)?,
        password_hash: r.get(19)?,
        mfa_active: r.get(20)?,
        mfa_secret: r.get(21)?,
        failed_attempts: r.get(22)?,
        last_password_update: r.get(23)?,
        last_picture_update: r.get(24)?,
        last_activity_at: r.get(25)?,
        is_bot: r.get(26)?,
        disable_welcome_email: r.get(27)?,
    })
}

fn query_one(c: &Connection, filter: &str, value: &str) -> StoreResult<User> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE {filter} = ?1");
    c.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([value], from_row))
        .map_err(to_store_error)
}

fn query_many(c: &Connection, sql: &str, params: impl rusqlite::Params) -> StoreResult<Vec<User>> {
    let mut stmt = c.prepare_cached(sql).map_err(to_store_error)?;
    let rows = stmt.query_map(params, from_row).map_err(to_store_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(to_store_error)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create(&self, mut user: User, admin_if_first: bool) -> StoreResult<User> {
        self.db
            .write(move |c| {
                if admin_if_first {
                    let any: Option<i64> = c
                        .query_row("SELECT 1 FROM users LIMIT 1", [], |r| r.get(0))
                        .optional()
                        .map_err(to_store_error)?;
                    if any.is_none() {
                        user.roles = format!("{ROLE_SYSTEM_ADMIN} {ROLE_SYSTEM_USER}");
                    }
                }
                let sql = format!(
                    "INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
                     ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, \
                     ?25, ?26, ?27, ?28)"
                );
                let u = &user;
                c.prepare_cached(&sql)
                    .and_then(|mut s| {
                        s.execute(params![
                            u.id,
                            u.create_at,
                            u.update_at,
                            u.delete_at,
                            u.username,
                            u.email,
                            u.email_verified,
                            u.auth_service,
                            u.auth_data,
                            u.nickname,
                            u.first_name,
                            u.last_name,
                            u.position,
                            u.roles,
                            u.allow_marketing,
                            map_to_json(&u.props),
                            map_to_json(&u.notify_props),
                            map_to_json(&u.timezone),
                            u.locale,
                            u.password_hash,
                            u.mfa_active,
                            u.mfa_secret,
                            u.failed_attempts,
                            u.last_password_update,
                            u.last_picture_update,
                            u.last_activity_at,
                            u.is_bot,
                            u.disable_welcome_email,
                        ])
                    })
                    .map_err(to_store_error)?;
                c.execute(
                    "UPDATE users SET mention_keyed = ?2 WHERE id = ?1",
                    params![user.id, user.has_mention_keys()],
                )
                .map_err(to_store_error)?;
                Ok(user)
            })
            .await
    }

    async fn count(&self) -> StoreResult<i64> {
        self.db
            .read(|c| {
                c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
                    .map_err(to_store_error)
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<User> {
        let id = id.to_owned();
        self.db.read(move |c| query_one(c, "id", &id)).await
    }

    async fn get_by_username(&self, username: &str) -> StoreResult<User> {
        let username = username.to_owned();
        self.db
            .read(move |c| query_one(c, "username", &username))
            .await
    }

    async fn get_by_email(&self, email: &str) -> StoreResult<User> {
        let email = email.to_owned();
        self.db.read(move |c| query_one(c, "email", &email)).await
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<User>> {
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM users WHERE id IN ({})",
                    placeholders(ids.len())
                );
                query_many(c, &sql, params_from_iter(ids.iter()))
            })
            .await
    }

    async fn get_by_usernames(&self, usernames: &[String]) -> StoreResult<Vec<User>> {
        let names = usernames.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM users WHERE username IN ({})",
                    placeholders(names.len())
                );
                query_many(c, &sql, params_from_iter(names.iter()))
            })
            .await
    }

    async fn list(&self, query: &UserQuery) -> StoreResult<Vec<User>> {
        let q = query.clone();
        self.db
            .read(move |c| {
                // ?1: active filter (NULL = any), ?2: role (NULL = any).
                let sql = format!(
                    "SELECT {COLUMNS} FROM users
                     WHERE (?1 IS NULL OR (?1 = 1 AND delete_at = 0) OR (?1 = 0 AND delete_at > 0))
                       AND (?2 IS NULL OR instr(' ' || roles || ' ', ' ' || ?2 || ' ') > 0)
                     ORDER BY username LIMIT ?3 OFFSET ?4"
                );
                query_many(c, &sql, params![q.active, q.role, q.limit, q.offset])
            })
            .await
    }

    async fn search(
        &self,
        term: &str,
        include_email: bool,
        allow_inactive: bool,
        limit: i64,
    ) -> StoreResult<Vec<User>> {
        let pattern = like_pattern(term);
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM users
                     WHERE (?2 = 1 OR delete_at = 0)
                       AND (username LIKE ?1 ESCAPE '\\' OR fold(first_name) LIKE ?1 ESCAPE '\\'
                         OR fold(last_name) LIKE ?1 ESCAPE '\\'
                         OR fold(nickname) LIKE ?1 ESCAPE '\\'
                         OR (?3 = 1 AND email LIKE ?1 ESCAPE '\\'))
                     ORDER BY username LIMIT ?4"
                );
                query_many(
                    c,
                    &sql,
                    params![pattern, allow_inactive, include_email, limit],
                )
            })
            .await
    }

    async fn update(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.db
            .write(move |c| {
                let n = c
                    .prepare_cached(
                        "UPDATE users SET update_at = ?2, delete_at = ?3, username = ?4,
                            email = ?5, email_verified = ?6, nickname = ?7, first_name = ?8,
                            last_name = ?9, position = ?10, roles = ?11, allow_marketing = ?12,
                            props = ?13, notify_props = ?14, timezone = ?15, locale = ?16,
                            password_hash = ?17, mfa_active = ?18, mfa_secret = ?19,
                            last_password_update = ?20, last_picture_update = ?21,
                            last_activity_at = ?22, mention_keyed = ?23
                         WHERE id = ?1",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            u.id,
                            u.update_at,
                            u.delete_at,
                            u.username,
                            u.email,
                            u.email_verified,
                            u.nickname,
                            u.first_name,
                            u.last_name,
                            u.position,
                            u.roles,
                            u.allow_marketing,
                            map_to_json(&u.props),
                            map_to_json(&u.notify_props),
                            map_to_json(&u.timezone),
                            u.locale,
                            u.password_hash,
                            u.mfa_active,
                            u.mfa_secret,
                            u.last_password_update,
                            u.last_picture_update,
                            u.last_activity_at,
                            u.has_mention_keys(),
                        ])
                    })
                    .map_err(to_store_error)?;
                if n == 0 {
                    Err(conclave_store::StoreError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }

    async fn add_failed_attempt(&self, id: &str) -> StoreResult<i64> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                c.query_row(
                    "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?1
                     RETURNING failed_attempts",
                    [id],
                    |r| r.get(0),
                )
                .map_err(to_store_error)
            })
            .await
    }

    async fn reset_failed_attempts(&self, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                let n = c
                    .execute("UPDATE users SET failed_attempts = 0 WHERE id = ?1", [id])
                    .map_err(to_store_error)?;
                if n == 0 {
                    Err(conclave_store::StoreError::NotFound)
                } else {
                    Ok(())
                }
            })
            .await
    }
}
