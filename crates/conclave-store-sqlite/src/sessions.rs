use async_trait::async_trait;
use conclave_model::Session;
use conclave_store::{SessionStore, StoreResult};
use rusqlite::{Connection, Row, params};

use crate::db::to_store_error;
use crate::{SqliteStore, map_from_json, map_to_json};

const COLUMNS: &str = "id, token, create_at, expires_at, last_activity_at, user_id, device_id, \
    roles, is_oauth, expired_notify, props";

fn from_row(r: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        token: r.get(1)?,
        create_at: r.get(2)?,
        expires_at: r.get(3)?,
        last_activity_at: r.get(4)?,
        user_id: r.get(5)?,
        device_id: r.get(6)?,
        roles: r.get(7)?,
        is_oauth: r.get(8)?,
        expired_notify: r.get(9)?,
        props: map_from_json(r.get(10)?)?,
        ..Session::default()
    })
}

fn query_one(c: &Connection, filter: &str, value: &str) -> StoreResult<Session> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE {filter} = ?1");
    c.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([value], from_row))
        .map_err(to_store_error)
}

/// Deletes the sessions matching `filter` and returns their ids.
fn delete_returning_ids(
    c: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<String>> {
    let sql = format!("DELETE FROM sessions WHERE {filter} RETURNING id");
    let mut stmt = c.prepare_cached(&sql).map_err(to_store_error)?;
    let rows = stmt
        .query_map(params, |r| r.get(0))
        .map_err(to_store_error)?;
    rows.collect::<rusqlite::Result<Vec<String>>>()
        .map_err(to_store_error)
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create(&self, session: &Session) -> StoreResult<()> {
        let s = session.clone();
        self.db
            .write(move |c| {
                let sql = format!(
                    "INSERT INTO sessions ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
                );
                c.prepare_cached(&sql)
                    .and_then(|mut st| {
                        st.execute(params![
                            s.id,
                            s.token,
                            s.create_at,
                            s.expires_at,
                            s.last_activity_at,
                            s.user_id,
                            s.device_id,
                            s.roles,
                            s.is_oauth,
                            s.expired_notify,
                            map_to_json(&s.props),
                        ])
                    })
                    .map(drop)
                    .map_err(to_store_error)
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<Session> {
        let id = id.to_owned();
        self.db.read(move |c| query_one(c, "id", &id)).await
    }

    async fn get_by_token(&self, token: &str) -> StoreResult<Session> {
        let token = token.to_owned();
        self.db.read(move |c| query_one(c, "token", &token)).await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY create_at DESC"
                );
                let mut stmt = c.prepare_cached(&sql).map_err(to_store_error)?;
                let rows = stmt
                    .query_map([user_id], from_row)
                    .map_err(to_store_error)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(to_store_error)
            })
            .await
    }

    async fn touch(&self, id: &str, last_activity_at: i64) -> StoreResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE sessions SET last_activity_at = ?2 WHERE id = ?1",
                    params![id, last_activity_at],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn update_roles_for_user(&self, user_id: &str, roles: &str) -> StoreResult<()> {
        let (user_id, roles) = (user_id.to_owned(), roles.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE sessions SET roles = ?2 WHERE user_id = ?1",
                    params![user_id, roles],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn delete(&self, id: &str) -> StoreResult<String> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                c.query_row(
                    "DELETE FROM sessions WHERE id = ?1 RETURNING token",
                    [id],
                    |r| r.get(0),
                )
                .map_err(to_store_error)
            })
            .await
    }

    async fn delete_by_token(&self, token: &str) -> StoreResult<()> {
        let token = token.to_owned();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM sessions WHERE token = ?1", [token])
                    .map(drop)
                    .map_err(to_store_error)
            })
            .await
    }

    async fn delete_for_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let user_id = user_id.to_owned();
        self.db
            .write(move |c| delete_returning_ids(c, "user_id = ?1", [user_id]))
            .await
    }

    async fn delete_for_device(&self, user_id: &str, device_id: &str) -> StoreResult<Vec<String>> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.db
            .write(move |c| {
                delete_returning_ids(c, "user_id = ?1 AND device_id = ?2", [user_id, device_id])
            })
            .await
    }

    async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        self.db
            .write(move |c| {
                c.execute(
                    "DELETE FROM sessions WHERE expires_at > 0 AND expires_at <= ?1",
                    [now],
                )
                .map(|n| n as u64)
                .map_err(to_store_error)
            })
            .await
    }
}
