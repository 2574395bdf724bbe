use async_trait::async_trait;
use conclave_store::{StoreResult, ThreadStore, ThreadView};
use rusqlite::{Row, params};

use crate::SqliteStore;
use crate::db::{query_one, query_vec, to_store_error};

/// Thread memberships joined with their thread and the count of unread live replies.
const SELECT: &str = "SELECT tm.post_id, t.channel_id, t.reply_count, t.last_reply_at, \
    t.participants, tm.following, tm.last_viewed, tm.unread_mentions, \
    (SELECT COUNT(*) FROM posts r WHERE r.root_id = tm.post_id AND r.delete_at = 0 \
        AND r.create_at > tm.last_viewed) AS unread_replies \
    FROM thread_memberships tm JOIN threads t ON t.post_id = tm.post_id";

fn from_row(r: &Row) -> rusqlite::Result<ThreadView> {
    let participants: String = r.get(4)?;
    Ok(ThreadView {
        post_id: r.get(0)?,
        channel_id: r.get(1)?,
        reply_count: r.get(2)?,
        last_reply_at: r.get(3)?,
        participants: serde_json::from_str(&participants).unwrap_or_default(),
        following: r.get(5)?,
        last_viewed: r.get(6)?,
        unread_mentions: r.get(7)?,
        unread_replies: r.get(8)?,
    })
}

#[async_trait]
impl ThreadStore for SqliteStore {
    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        unread_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<ThreadView>> {
        let (user_id, team_id) = (user_id.to_owned(), team_id.to_owned());
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT * FROM ({SELECT} JOIN channels c ON c.id = t.channel_id
                       WHERE tm.user_id = ?1 AND tm.following = 1 AND (c.team_id = ?2 OR c.team_id = '')
                         AND c.delete_at = 0)
                     WHERE ?3 = 0 OR unread_replies > 0
                     ORDER BY last_reply_at DESC, post_id LIMIT ?4"
                );
                query_vec(c, &sql, params![user_id, team_id, unread_only, limit], from_row)
            })
            .await
    }

    async fn get_for_user(&self, user_id: &str, post_id: &str) -> StoreResult<ThreadView> {
        let (user_id, post_id) = (user_id.to_owned(), post_id.to_owned());
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("{SELECT} WHERE tm.user_id = ?1 AND tm.post_id = ?2"),
                    [user_id, post_id],
                    from_row,
                )
            })
            .await
    }

    async fn set_following(
        &self,
        user_id: &str,
        post_id: &str,
        following: bool,
        at: i64,
    ) -> StoreResult<()> {
        let (user_id, post_id) = (user_id.to_owned(), post_id.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
                     VALUES (?1, ?2, ?3, ?4, ?4)
                     ON CONFLICT (post_id, user_id) DO UPDATE SET following = excluded.following,
                        last_updated = excluded.last_updated",
                    params![post_id, user_id, following, at],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn mark_read(&self, user_id: &str, post_id: &str, viewed_at: i64) -> StoreResult<()> {
        let (user_id, post_id) = (user_id.to_owned(), post_id.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
                     VALUES (?1, ?2, 0, ?3, ?3)
                     ON CONFLICT (post_id, user_id) DO UPDATE SET last_viewed = excluded.last_viewed,
                        unread_mentions = 0",
                    params![post_id, user_id, viewed_at],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn followers(&self, post_id: &str) -> StoreResult<Vec<String>> {
        let post_id = post_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT user_id FROM thread_memberships WHERE post_id = ?1 AND following = 1",
                    [post_id],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn mark_all_read(&self, user_id: &str, team_id: &str, at: i64) -> StoreResult<()> {
        let (user_id, team_id) = (user_id.to_owned(), team_id.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE thread_memberships SET last_viewed = ?3, unread_mentions = 0
                     WHERE user_id = ?1 AND post_id IN (SELECT t.post_id FROM threads t
                        JOIN channels c ON c.id = t.channel_id WHERE c.team_id = ?2 OR c.team_id = '')",
                    params![user_id, team_id, at],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }
}
