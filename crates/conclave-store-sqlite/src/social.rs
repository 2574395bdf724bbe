use async_trait::async_trait;
use conclave_model::{Preference, Reaction, Status};
use conclave_store::{PreferenceStore, ReactionStore, StatusStore, StoreResult};
use rusqlite::{Row, params, params_from_iter};

use crate::SqliteStore;
use crate::db::{execute_one, placeholders, query_one, query_vec, to_store_error};

fn reaction_from_row(r: &Row) -> rusqlite::Result<Reaction> {
    Ok(Reaction {
        post_id: r.get(0)?,
        user_id: r.get(1)?,
        emoji_name: r.get(2)?,
        create_at: r.get(3)?,
        update_at: r.get(4)?,
        channel_id: r.get(5)?,
        ..Reaction::default()
    })
}

fn preference_from_row(r: &Row) -> rusqlite::Result<Preference> {
    Ok(Preference {
        user_id: r.get(0)?,
        category: r.get(1)?,
        name: r.get(2)?,
        value: r.get(3)?,
    })
}

fn status_from_row(r: &Row) -> rusqlite::Result<Status> {
    Ok(Status {
        user_id: r.get(0)?,
        status: r.get(1)?,
        manual: r.get(2)?,
        last_activity_at: r.get(3)?,
        dnd_end_time: r.get(4)?,
        prev_status: r.get(5)?,
    })
}

#[async_trait]
impl ReactionStore for SqliteStore {
    async fn add(&self, reaction: &Reaction) -> StoreResult<()> {
        let r = reaction.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO reactions (post_id, user_id, emoji_name, create_at, update_at, channel_id)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![r.post_id, r.user_id, r.emoji_name, r.create_at, r.channel_id],
                )
                .map_err(to_store_error)?;
                execute_one(
                    c,
                    "UPDATE posts SET has_reactions = 1, update_at = ?2 WHERE id = ?1",
                    params![r.post_id, r.create_at],
                )
            })
            .await
    }

    async fn remove(
        &self,
        user_id: &str,
        post_id: &str,
        emoji_name: &str,
        at: i64,
    ) -> StoreResult<()> {
        let (user_id, post_id, emoji) = (
            user_id.to_owned(),
            post_id.to_owned(),
            emoji_name.to_owned(),
        );
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "DELETE FROM reactions WHERE post_id = ?1 AND user_id = ?2 AND emoji_name = ?3",
                    [&post_id, &user_id, &emoji],
                )?;
                c.execute(
                    "UPDATE posts SET update_at = ?2,
                        has_reactions = EXISTS (SELECT 1 FROM reactions WHERE post_id = ?1)
                     WHERE id = ?1",
                    params![post_id, at],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<Reaction>> {
        let ids = post_ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT post_id, user_id, emoji_name, create_at, update_at, channel_id
                     FROM reactions WHERE post_id IN ({}) ORDER BY create_at, user_id, emoji_name",
                    placeholders(ids.len())
                );
                query_vec(c, &sql, params_from_iter(ids.iter()), reaction_from_row)
            })
            .await
    }

    async fn distinct_emoji_count(&self, post_id: &str) -> StoreResult<i64> {
        let post_id = post_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT COUNT(DISTINCT emoji_name) FROM reactions WHERE post_id = ?1",
                    [post_id],
                    |r| r.get(0),
                )
            })
            .await
    }
}

#[async_trait]
impl PreferenceStore for SqliteStore {
    async fn save(&self, prefs: &[Preference]) -> StoreResult<()> {
        let prefs = prefs.to_vec();
        self.db
            .write(move |c| {
                for p in &prefs {
                    c.prepare_cached(
                        "INSERT INTO preferences (user_id, category, name, value) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (user_id, category, name) DO UPDATE SET value = excluded.value",
                    )
                    .and_then(|mut s| s.execute(params![p.user_id, p.category, p.name, p.value]))
                    .map_err(to_store_error)?;
                }
                Ok(())
            })
            .await
    }

    async fn list(&self, user_id: &str) -> StoreResult<Vec<Preference>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT user_id, category, name, value FROM preferences WHERE user_id = ?1
                     ORDER BY category, name",
                    [user_id],
                    preference_from_row,
                )
            })
            .await
    }

    async fn list_category(&self, user_id: &str, category: &str) -> StoreResult<Vec<Preference>> {
        let (user_id, category) = (user_id.to_owned(), category.to_owned());
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT user_id, category, name, value FROM preferences
                     WHERE user_id = ?1 AND category = ?2 ORDER BY name",
                    [user_id, category],
                    preference_from_row,
                )
            })
            .await
    }

    async fn get(&self, user_id: &str, category: &str, name: &str) -> StoreResult<Preference> {
        let key = [user_id.to_owned(), category.to_owned(), name.to_owned()];
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT user_id, category, name, value FROM preferences
                     WHERE user_id = ?1 AND category = ?2 AND name = ?3",
                    key,
                    preference_from_row,
                )
            })
            .await
    }

    async fn delete(&self, prefs: &[Preference]) -> StoreResult<()> {
        let prefs = prefs.to_vec();
        self.db
            .write(move |c| {
                for p in &prefs {
                    c.execute(
                        "DELETE FROM preferences WHERE user_id = ?1 AND category = ?2 AND name = ?3",
                        [&p.user_id, &p.category, &p.name],
                    )
                    .map_err(to_store_error)?;
                }
                Ok(())
            })
            .await
    }
}

const STATUS_COLUMNS: &str = "user_id, status, manual, last_activity_at, dnd_end_time, prev_status";

#[async_trait]
impl StatusStore for SqliteStore {
    async fn get(&self, user_id: &str) -> StoreResult<Status> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {STATUS_COLUMNS} FROM status WHERE user_id = ?1"),
                    [user_id],
                    status_from_row,
                )
            })
            .await
    }

    async fn get_many(&self, user_ids: &[String]) -> StoreResult<Vec<Status>> {
        let ids = user_ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {STATUS_COLUMNS} FROM status WHERE user_id IN ({})",
                    placeholders(ids.len())
                );
                query_vec(c, &sql, params_from_iter(ids.iter()), status_from_row)
            })
            .await
    }

    async fn save(&self, status: &Status) -> StoreResult<()> {
        let s = status.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!(
                        "INSERT INTO status ({STATUS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (user_id) DO UPDATE SET status = excluded.status,
                            manual = excluded.manual, last_activity_at = excluded.last_activity_at,
                            dnd_end_time = excluded.dnd_end_time, prev_status = excluded.prev_status"
                    ),
                    params![s.user_id, s.status, s.manual, s.last_activity_at, s.dnd_end_time, s.prev_status],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }
}
