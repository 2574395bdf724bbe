use async_trait::async_trait;
use conclave_model::Post;
use conclave_store::{
    NewPost, PostPage, PostSearch, PostStore, SearchDialect, StoreError, StoreResult, like_pattern,
    post_search_clauses,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{FILE_IDS_CONFLICT, PgStore, changed_one, retry, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, \
    channel_id, root_id, original_id, message, type, props, hashtags, file_ids, \
    pending_post_id, has_reactions";
/// Posts joined with their thread's counters (every post of a thread shows them).
const SELECT: &str = "SELECT p.id, p.create_at, p.update_at, p.edit_at, p.delete_at, \
    p.is_pinned, p.user_id, p.channel_id, p.root_id, p.original_id, p.message, p.type, p.props, \
    p.hashtags, p.file_ids, p.pending_post_id, p.has_reactions, \
    COALESCE(t.reply_count, 0) AS reply_count, COALESCE(t.last_reply_at, 0) AS last_reply_at \
    FROM posts p LEFT JOIN threads t \
    ON t.post_id = CASE WHEN p.root_id = '' THEN p.id ELSE p.root_id END";

fn from_row(r: &PgRow) -> StoreResult<Post> {
    let e = to_store_error;
    fn json<T: serde::de::DeserializeOwned>(s: String) -> StoreResult<T> {
        serde_json::from_str(&s).map_err(|err| StoreError::Internal(err.to_string()))
    }
    Ok(Post {
        id: r.try_get("id").map_err(e)?,
        create_at: r.try_get("create_at").map_err(e)?,
        update_at: r.try_get("update_at").map_err(e)?,
        edit_at: r.try_get("edit_at").map_err(e)?,
        delete_at: r.try_get("delete_at").map_err(e)?,
        is_pinned: r.try_get("is_pinned").map_err(e)?,
        user_id: r.try_get("user_id").map_err(e)?,
        channel_id: r.try_get("channel_id").map_err(e)?,
        root_id: r.try_get("root_id").map_err(e)?,
        original_id: r.try_get("original_id").map_err(e)?,
        message: r.try_get("message").map_err(e)?,
        post_type: r.try_get("type").map_err(e)?,
        props: json(r.try_get("props").map_err(e)?)?,
        hashtags: r.try_get("hashtags").map_err(e)?,
        file_ids: json(r.try_get("file_ids").map_err(e)?)?,
        pending_post_id: r.try_get("pending_post_id").map_err(e)?,
        has_reactions: r.try_get("has_reactions").map_err(e)?,
        reply_count: r.try_get("reply_count").map_err(e)?,
        last_reply_at: r.try_get("last_reply_at").map_err(e)?,
        ..Post::default()
    })
}

fn posts(rows: Vec<PgRow>) -> StoreResult<Vec<Post>> {
    rows.iter().map(from_row).collect()
}

/// Adds a reply to its thread row and moves the followers' memberships.
async fn record_reply(c: &mut PgConnection, new: &NewPost) -> Result<(), sqlx::Error> {
    let p = &new.post;
    let participants: Option<String> =
        sqlx::query_scalar("SELECT participants FROM threads WHERE post_id = $1 FOR UPDATE")
            .bind(&p.root_id)
            .fetch_optional(&mut *c)
            .await?;
    let mut list: Vec<String> = participants
        .map(|t| serde_json::from_str(&t).unwrap_or_default())
        .unwrap_or_default();
    list.retain(|u| u != &p.user_id);
    list.push(p.user_id.clone());
    sqlx::query(
        "INSERT INTO threads (post_id, channel_id, reply_count, last_reply_at, participants)
         VALUES ($1, $2, 1, $3, $4)
         ON CONFLICT (post_id) DO UPDATE SET reply_count = threads.reply_count + 1,
            last_reply_at = GREATEST(threads.last_reply_at, excluded.last_reply_at),
            participants = excluded.participants",
    )
    .bind(&p.root_id)
    .bind(&p.channel_id)
    .bind(p.create_at)
    .bind(serde_json::to_string(&list).expect("strings serialize"))
    .execute(&mut *c)
    .await?;
    // Everyone following sees the thread move; mentioned users get an unread mention.
    sqlx::query("UPDATE thread_memberships SET last_updated = $2 WHERE post_id = $1 AND following")
        .bind(&p.root_id)
        .bind(p.create_at)
        .execute(&mut *c)
        .await?;
    for user in &new.thread_followers {
        let viewed = if *user == p.user_id { p.create_at } else { 0 };
        sqlx::query(
            "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
             VALUES ($1, $2, TRUE, $3, $4)
             ON CONFLICT (post_id, user_id) DO UPDATE SET following = TRUE,
                last_viewed = GREATEST(thread_memberships.last_viewed, excluded.last_viewed),
                last_updated = excluded.last_updated",
        )
        .bind(&p.root_id)
        .bind(user)
        .bind(viewed)
        .bind(p.create_at)
        .execute(&mut *c)
        .await?;
    }
    let mentioned: Vec<&String> = new.mentioned.iter().filter(|u| **u != p.user_id).collect();
    if !mentioned.is_empty() {
        sqlx::query(
            "UPDATE thread_memberships SET unread_mentions = unread_mentions + 1
             WHERE post_id = $1 AND user_id = ANY($2)",
        )
        .bind(&p.root_id)
        .bind(mentioned)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl PostStore for PgStore {
    async fn create(&self, new: &NewPost) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let new = new.clone();
            Box::pin(async move {
                let p = &new.post;
                let root = !p.is_reply();
                sqlx::query(&format!(
                    "INSERT INTO posts ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
                ))
                .bind(&p.id)
                .bind(p.create_at)
                .bind(p.update_at)
                .bind(p.edit_at)
                .bind(p.delete_at)
                .bind(p.is_pinned)
                .bind(&p.user_id)
                .bind(&p.channel_id)
                .bind(&p.root_id)
                .bind(&p.original_id)
                .bind(&p.message)
                .bind(&p.post_type)
                .bind(p.props.to_string())
                .bind(&p.hashtags)
                .bind(serde_json::to_string(&p.file_ids).expect("strings serialize"))
                .bind(&p.pending_post_id)
                .bind(p.has_reactions)
                .execute(&mut *c)
                .await?;
                let moved = sqlx::query(
                    "UPDATE channels SET total_msg_count = total_msg_count + 1,
                        total_msg_count_root = total_msg_count_root + $3,
                        last_post_at = GREATEST(last_post_at, $2),
                        last_root_post_at = CASE WHEN $3 = 1 THEN GREATEST(last_root_post_at, $2)
                                                 ELSE last_root_post_at END
                     WHERE id = $1",
                )
                .bind(&p.channel_id)
                .bind(p.create_at)
                .bind(i64::from(root))
                .execute(&mut *c)
                .await?;
                if moved.rows_affected() == 0 {
                    return Err(sqlx::Error::RowNotFound);
                }
                // Posting reads the channel up to the new post for its author.
                sqlx::query(
                    "UPDATE channel_members AS m SET msg_count = ch.total_msg_count,
                        msg_count_root = ch.total_msg_count_root,
                        last_viewed_at = GREATEST(m.last_viewed_at, $3), last_update_at = $3
                     FROM channels AS ch
                     WHERE ch.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2",
                )
                .bind(&p.channel_id)
                .bind(&p.user_id)
                .bind(p.create_at)
                .execute(&mut *c)
                .await?;
                if !new.mentioned.is_empty() {
                    sqlx::query(
                        "UPDATE channel_members SET mention_count = mention_count + 1,
                            mention_count_root = mention_count_root + $2, last_update_at = $3
                         WHERE channel_id = $1 AND user_id = ANY($4)",
                    )
                    .bind(&p.channel_id)
                    .bind(i64::from(root))
                    .bind(p.create_at)
                    .bind(&new.mentioned)
                    .execute(&mut *c)
                    .await?;
                }
                if !root {
                    record_reply(&mut *c, &new).await?;
                }
                if !p.file_ids.is_empty() {
                    // Each file must be the author's own, uploaded to this channel, unattached.
                    let attached = sqlx::query(
                        "UPDATE file_infos SET post_id = $1, update_at = $2
                         WHERE user_id = $3 AND channel_id = $4 AND post_id = '' AND delete_at = 0
                           AND id = ANY($5)",
                    )
                    .bind(&p.id)
                    .bind(p.create_at)
                    .bind(&p.user_id)
                    .bind(&p.channel_id)
                    .bind(&p.file_ids)
                    .execute(&mut *c)
                    .await?;
                    if attached.rows_affected() != p.file_ids.len() as u64 {
                        return Err(sqlx::Error::Protocol(FILE_IDS_CONFLICT.into()));
                    }
                }
                Ok(())
            })
        })
        .await
    }

    async fn get(&self, id: &str) -> StoreResult<Post> {
        let row = sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_row(&row)
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Post>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE p.id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        posts(rows)
    }

    async fn update(&self, p: &Post) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE posts SET update_at = $2, edit_at = $3, is_pinned = $4, message = $5,
                props = $6, hashtags = $7, file_ids = $8, has_reactions = $9
             WHERE id = $1",
        )
        .bind(&p.id)
        .bind(p.update_at)
        .bind(p.edit_at)
        .bind(p.is_pinned)
        .bind(&p.message)
        .bind(p.props.to_string())
        .bind(&p.hashtags)
        .bind(serde_json::to_string(&p.file_ids).expect("strings serialize"))
        .bind(p.has_reactions)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn delete(&self, id: &str, at: i64) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let id = id.to_owned();
            Box::pin(async move {
                let root_id: String =
                    sqlx::query_scalar("SELECT root_id FROM posts WHERE id = $1 AND delete_at = 0")
                        .bind(&id)
                        .fetch_one(&mut *c)
                        .await?;
                if root_id.is_empty() {
                    sqlx::query(
                        "UPDATE posts SET delete_at = $2, update_at = $2
                         WHERE (id = $1 OR root_id = $1) AND delete_at = 0",
                    )
                    .bind(&id)
                    .bind(at)
                    .execute(&mut *c)
                    .await?;
                    sqlx::query("DELETE FROM threads WHERE post_id = $1")
                        .bind(&id)
                        .execute(&mut *c)
                        .await?;
                    sqlx::query("DELETE FROM thread_memberships WHERE post_id = $1")
                        .bind(&id)
                        .execute(&mut *c)
                        .await?;
                } else {
                    sqlx::query("UPDATE posts SET delete_at = $2, update_at = $2 WHERE id = $1")
                        .bind(&id)
                        .bind(at)
                        .execute(&mut *c)
                        .await?;
                    sqlx::query(
                        "UPDATE threads SET reply_count = GREATEST(reply_count - 1, 0),
                            last_reply_at = COALESCE((SELECT MAX(create_at) FROM posts
                                WHERE root_id = $1 AND delete_at = 0), 0)
                         WHERE post_id = $1",
                    )
                    .bind(&root_id)
                    .execute(&mut *c)
                    .await?;
                }
                // A deleted post's files go with it (the cleanup job removes their bytes).
                sqlx::query(
                    "UPDATE file_infos SET delete_at = $2, update_at = $2
                     WHERE delete_at = 0 AND post_id IN
                         (SELECT id FROM posts WHERE id = $1 OR ($3 AND root_id = $1))",
                )
                .bind(&id)
                .bind(at)
                .bind(root_id.is_empty())
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn channel_page(&self, channel_id: &str, page: &PostPage) -> StoreResult<Vec<Post>> {
        let mut filter = String::from("p.channel_id = $1");
        let mut order = "DESC";
        let mut next = 2;
        let (mut at, mut cursor) = (None, None);
        if let Some(since) = page.since {
            filter.push_str(" AND p.update_at > $2");
            at = Some(since);
            next = 3;
        } else {
            filter.push_str(" AND p.delete_at = 0");
            if let Some((t, id)) = &page.before {
                filter.push_str(" AND (p.create_at < $2 OR (p.create_at = $2 AND p.id < $3))");
                (at, cursor, next) = (Some(*t), Some(id.clone()), 4);
            } else if let Some((t, id)) = &page.after {
                filter.push_str(" AND (p.create_at > $2 OR (p.create_at = $2 AND p.id > $3))");
                (at, cursor, next) = (Some(*t), Some(id.clone()), 4);
                order = "ASC";
            }
        }
        if page.roots_only {
            filter.push_str(" AND p.root_id = ''");
        }
        let sql = format!(
            "{SELECT} WHERE {filter} ORDER BY p.create_at {order}, p.id {order} LIMIT ${} OFFSET ${}",
            next,
            next + 1
        );
        let mut q = sqlx::query(&sql).bind(channel_id);
        if let Some(t) = at {
            q = q.bind(t);
        }
        if let Some(id) = cursor {
            q = q.bind(id);
        }
        let rows = q
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)?;
        posts(rows)
    }

    async fn thread(&self, root_id: &str) -> StoreResult<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE (p.id = $1 OR p.root_id = $1) AND p.delete_at = 0 ORDER BY p.create_at, p.id"
        ))
        .bind(root_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        posts(rows)
    }

    async fn pinned(&self, channel_id: &str) -> StoreResult<Vec<Post>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE p.channel_id = $1 AND p.is_pinned AND p.delete_at = 0
             ORDER BY p.create_at DESC, p.id DESC"
        ))
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        posts(rows)
    }

    async fn pinned_count(&self, channel_id: &str) -> StoreResult<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM posts WHERE channel_id = $1 AND is_pinned AND delete_at = 0",
        )
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)
    }

    async fn flagged(
        &self,
        user_id: &str,
        channel_ids: Option<&[String]>,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Post>> {
        if channel_ids.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "{SELECT} JOIN preferences f ON f.user_id = $1 AND f.category = 'flagged_post'
                AND f.name = p.id AND f.value = 'true'
             WHERE p.delete_at = 0 AND ($4::TEXT[] IS NULL OR p.channel_id = ANY($4))
             ORDER BY p.create_at DESC, p.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .bind(channel_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        posts(rows)
    }

    async fn count_after(&self, channel_id: &str, after: i64) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE root_id = '') AS roots
             FROM posts WHERE channel_id = $1 AND create_at > $2 AND delete_at = 0",
        )
        .bind(channel_id)
        .bind(after)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        Ok((
            row.try_get("n").map_err(to_store_error)?,
            row.try_get("roots").map_err(to_store_error)?,
        ))
    }

    async fn search(&self, q: &PostSearch) -> StoreResult<Vec<Post>> {
        let (sql, args) = search_sql(q);
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = match arg {
                Arg::Text(s) => query.bind(s),
                Arg::Int(i) => query.bind(i),
                Arg::Texts(v) => query.bind(v),
            };
        }
        posts(query.fetch_all(&self.pool).await.map_err(to_store_error)?)
    }
}

enum Arg {
    Text(String),
    Int(i64),
    Texts(Vec<String>),
}

/// PostgreSQL's way of testing text: `ILIKE '%…%'`, which the trigram indexes serve for three or
/// more characters (wildcards in the text escaped). Parameters are numbered as they are bound.
#[derive(Default)]
struct Postgres(Vec<Arg>);

impl Postgres {
    fn bind(&mut self, a: Arg) -> String {
        self.0.push(a);
        format!("${}", self.0.len())
    }
}

impl SearchDialect for Postgres {
    fn text(&mut self, value: String) -> String {
        self.bind(Arg::Text(value))
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(Arg::Int(value))
    }

    fn one_of(&mut self, column: &str, values: &[String]) -> String {
        let ids = self.bind(Arg::Texts(values.to_vec()));
        format!("{column} = ANY({ids})")
    }

    fn contains(&mut self, column: &str, text: &str) -> String {
        let p = self.text(like_pattern(text));
        format!("p.{column} ILIKE {p}")
    }

    fn has_hashtag(&mut self, tag: &str) -> String {
        let prefilter = self.contains("hashtags", tag);
        let t = self.text(format!(" {} ", tag.to_lowercase()));
        format!("({prefilter} AND position({t} in ' ' || lower(p.hashtags) || ' ') > 0)")
    }
}

fn search_sql(q: &PostSearch) -> (String, Vec<Arg>) {
    let mut d = Postgres::default();
    let clauses = post_search_clauses(q, &mut d);
    (format!("{SELECT} {clauses}"), d.0)
}
