use async_trait::async_trait;
use conclave_store::{StoreResult, ThreadStore, ThreadView};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, to_store_error};

/// Thread memberships joined with their thread and the count of unread live replies.
const SELECT: &str = "SELECT tm.post_id, t.channel_id, t.reply_count, t.last_reply_at, \
    t.participants, tm.following, tm.last_viewed, tm.unread_mentions, \
    (SELECT COUNT(*) FROM posts r WHERE r.root_id = tm.post_id AND r.delete_at = 0 \
        AND r.create_at > tm.last_viewed) AS unread_replies \
    FROM thread_memberships tm JOIN threads t ON t.post_id = tm.post_id";

fn from_row(r: &PgRow) -> Result<ThreadView, sqlx::Error> {
    let participants: String = r.try_get("participants")?;
    Ok(ThreadView {
        post_id: r.try_get("post_id")?,
        channel_id: r.try_get("channel_id")?,
        reply_count: r.try_get("reply_count")?,
        last_reply_at: r.try_get("last_reply_at")?,
        participants: serde_json::from_str(&participants).unwrap_or_default(),
        following: r.try_get("following")?,
        last_viewed: r.try_get("last_viewed")?,
        unread_mentions: r.try_get("unread_mentions")?,
        unread_replies: r.try_get("unread_replies")?,
    })
}

#[async_trait]
impl ThreadStore for PgStore {
    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        unread_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<ThreadView>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM ({SELECT} JOIN channels c ON c.id = t.channel_id
               WHERE tm.user_id = $1 AND tm.following AND (c.team_id = $2 OR c.team_id = '')
                 AND c.delete_at = 0) v
             WHERE NOT $3 OR unread_replies > 0
             ORDER BY last_reply_at DESC, post_id LIMIT $4"
        ))
        .bind(user_id)
        .bind(team_id)
        .bind(unread_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter()
            .map(|r| from_row(r).map_err(to_store_error))
            .collect()
    }

    async fn get_for_user(&self, user_id: &str, post_id: &str) -> StoreResult<ThreadView> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE tm.user_id = $1 AND tm.post_id = $2"
        ))
        .bind(user_id)
        .bind(post_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        from_row(&row).map_err(to_store_error)
    }

    async fn set_following(
        &self,
        user_id: &str,
        post_id: &str,
        following: bool,
        at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (post_id, user_id) DO UPDATE SET following = excluded.following,
                last_updated = excluded.last_updated",
        )
        .bind(post_id)
        .bind(user_id)
        .bind(following)
        .bind(at)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(to_store_error)
    }

    async fn mark_read(&self, user_id: &str, post_id: &str, viewed_at: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
             VALUES ($1, $2, FALSE, $3, $3)
             ON CONFLICT (post_id, user_id) DO UPDATE SET last_viewed = excluded.last_viewed,
                unread_mentions = 0",
        )
        .bind(post_id)
        .bind(user_id)
        .bind(viewed_at)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(to_store_error)
    }

    async fn followers(&self, post_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT user_id FROM thread_memberships WHERE post_id = $1 AND following",
        )
        .bind(post_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)
    }

    async fn mark_all_read(&self, user_id: &str, team_id: &str, at: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE thread_memberships SET last_viewed = $3, unread_mentions = 0
             WHERE user_id = $1 AND post_id IN (SELECT t.post_id FROM threads t
                JOIN channels c ON c.id = t.channel_id WHERE c.team_id = $2 OR c.team_id = '')",
        )
        .bind(user_id)
        .bind(team_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(to_store_error)
    }
}
