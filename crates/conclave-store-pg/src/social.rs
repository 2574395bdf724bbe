use async_trait::async_trait;
use conclave_model::{Preference, Reaction, Status};
use conclave_store::{PreferenceStore, ReactionStore, StatusStore, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, changed_one, retry, to_store_error};

fn reaction_from_row(r: &PgRow) -> Result<Reaction, sqlx::Error> {
    Ok(Reaction {
        post_id: r.try_get("post_id")?,
        user_id: r.try_get("user_id")?,
        emoji_name: r.try_get("emoji_name")?,
        create_at: r.try_get("create_at")?,
        update_at: r.try_get("update_at")?,
        channel_id: r.try_get("channel_id")?,
        ..Reaction::default()
    })
}

fn preference_from_row(r: &PgRow) -> Result<Preference, sqlx::Error> {
    Ok(Preference {
        user_id: r.try_get("user_id")?,
        category: r.try_get("category")?,
        name: r.try_get("name")?,
        value: r.try_get("value")?,
    })
}

fn status_from_row(r: &PgRow) -> Result<Status, sqlx::Error> {
    Ok(Status {
        user_id: r.try_get("user_id")?,
        status: r.try_get("status")?,
        manual: r.try_get("manual")?,
        last_activity_at: r.try_get("last_activity_at")?,
        dnd_end_time: r.try_get("dnd_end_time")?,
        prev_status: r.try_get("prev_status")?,
    })
}

fn collect<T>(rows: Vec<PgRow>, f: fn(&PgRow) -> Result<T, sqlx::Error>) -> StoreResult<Vec<T>> {
    rows.iter().map(|r| f(r).map_err(to_store_error)).collect()
}

#[async_trait]
impl ReactionStore for PgStore {
    async fn add(&self, reaction: &Reaction) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let r = reaction.clone();
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO reactions (post_id, user_id, emoji_name, create_at, update_at, channel_id)
                     VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(&r.post_id)
                .bind(&r.user_id)
                .bind(&r.emoji_name)
                .bind(r.create_at)
                .bind(&r.channel_id)
                .execute(&mut *c)
                .await?;
                let result = sqlx::query("UPDATE posts SET has_reactions = TRUE, update_at = $2 WHERE id = $1")
                    .bind(&r.post_id)
                    .bind(r.create_at)
                    .execute(&mut *c)
                    .await?;
                if result.rows_affected() == 0 { Err(sqlx::Error::RowNotFound) } else { Ok(()) }
            })
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
        retry(&self.pool, |c| {
            let (user_id, post_id, emoji) = (
                user_id.to_owned(),
                post_id.to_owned(),
                emoji_name.to_owned(),
            );
            Box::pin(async move {
                let result = sqlx::query(
                    "DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND emoji_name = $3",
                )
                .bind(&post_id)
                .bind(&user_id)
                .bind(&emoji)
                .execute(&mut *c)
                .await?;
                if result.rows_affected() == 0 {
                    return Err(sqlx::Error::RowNotFound);
                }
                sqlx::query(
                    "UPDATE posts SET update_at = $2,
                        has_reactions = EXISTS (SELECT 1 FROM reactions WHERE post_id = $1)
                     WHERE id = $1",
                )
                .bind(&post_id)
                .bind(at)
                .execute(&mut *c)
                .await
                .map(drop)
            })
        })
        .await
    }

    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<Reaction>> {
        let rows = sqlx::query(
            "SELECT post_id, user_id, emoji_name, create_at, update_at, channel_id
             FROM reactions WHERE post_id = ANY($1) ORDER BY create_at, user_id, emoji_name",
        )
        .bind(post_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        collect(rows, reaction_from_row)
    }

    async fn distinct_emoji_count(&self, post_id: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(DISTINCT emoji_name) FROM reactions WHERE post_id = $1")
            .bind(post_id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)
    }
}

#[async_trait]
impl PreferenceStore for PgStore {
    async fn save(&self, prefs: &[Preference]) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let prefs = prefs.to_vec();
            Box::pin(async move {
                for p in &prefs {
                    sqlx::query(
                        "INSERT INTO preferences (user_id, category, name, value) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (user_id, category, name) DO UPDATE SET value = excluded.value",
                    )
                    .bind(&p.user_id)
                    .bind(&p.category)
                    .bind(&p.name)
                    .bind(&p.value)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn list(&self, user_id: &str) -> StoreResult<Vec<Preference>> {
        let rows = sqlx::query(
            "SELECT user_id, category, name, value FROM preferences WHERE user_id = $1 ORDER BY category, name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        collect(rows, preference_from_row)
    }

    async fn list_category(&self, user_id: &str, category: &str) -> StoreResult<Vec<Preference>> {
        let rows = sqlx::query(
            "SELECT user_id, category, name, value FROM preferences
             WHERE user_id = $1 AND category = $2 ORDER BY name",
        )
        .bind(user_id)
        .bind(category)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        collect(rows, preference_from_row)
    }

    async fn get(&self, user_id: &str, category: &str, name: &str) -> StoreResult<Preference> {
        let row = sqlx::query(
            "SELECT user_id, category, name, value FROM preferences
             WHERE user_id = $1 AND category = $2 AND name = $3",
        )
        .bind(user_id)
        .bind(category)
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        preference_from_row(&row).map_err(to_store_error)
    }

    async fn delete(&self, prefs: &[Preference]) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let prefs = prefs.to_vec();
            Box::pin(async move {
                for p in &prefs {
                    sqlx::query("DELETE FROM preferences WHERE user_id = $1 AND category = $2 AND name = $3")
                        .bind(&p.user_id)
                        .bind(&p.category)
                        .bind(&p.name)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }
}

const STATUS_COLUMNS: &str = "user_id, status, manual, last_activity_at, dnd_end_time, prev_status";

#[async_trait]
impl StatusStore for PgStore {
    async fn get(&self, user_id: &str) -> StoreResult<Status> {
        let row = sqlx::query(&format!(
            "SELECT {STATUS_COLUMNS} FROM status WHERE user_id = $1"
        ))
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        status_from_row(&row).map_err(to_store_error)
    }

    async fn get_many(&self, user_ids: &[String]) -> StoreResult<Vec<Status>> {
        let rows = sqlx::query(&format!(
            "SELECT {STATUS_COLUMNS} FROM status WHERE user_id = ANY($1)"
        ))
        .bind(user_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        collect(rows, status_from_row)
    }

    async fn save(&self, s: &Status) -> StoreResult<()> {
        let result = sqlx::query(&format!(
            "INSERT INTO status ({STATUS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id) DO UPDATE SET status = excluded.status,
                manual = excluded.manual, last_activity_at = excluded.last_activity_at,
                dnd_end_time = excluded.dnd_end_time, prev_status = excluded.prev_status"
        ))
        .bind(&s.user_id)
        .bind(&s.status)
        .bind(s.manual)
        .bind(s.last_activity_at)
        .bind(s.dnd_end_time)
        .bind(&s.prev_status)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }
}
