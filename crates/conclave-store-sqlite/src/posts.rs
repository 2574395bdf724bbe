use async_trait::async_trait;
use conclave_model::Post;
use conclave_store::{
    NewPost, PostPage, PostSearch, PostStore, SearchDialect, StoreResult, TRIGRAM_MIN_CHARS,
    post_search_clauses,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::SqliteStore;
use crate::db::{execute_one, numbered, placeholders, query_one, query_vec, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, edit_at, delete_at, is_pinned, user_id, \
    channel_id, root_id, original_id, message, type, props, hashtags, file_ids, \
    pending_post_id, has_reactions";
/// Posts joined with their thread's counters (every post of a thread shows them).
const SELECT: &str = "SELECT p.id, p.create_at, p.update_at, p.edit_at, p.delete_at, \
    p.is_pinned, p.user_id, p.channel_id, p.root_id, p.original_id, p.message, p.type, p.props, \
    p.hashtags, p.file_ids, p.pending_post_id, p.has_reactions, \
    COALESCE(t.reply_count, 0), COALESCE(t.last_reply_at, 0) \
    FROM posts p LEFT JOIN threads t \
    ON t.post_id = CASE WHEN p.root_id = '' THEN p.id ELSE p.root_id END";

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn from_row(r: &Row) -> rusqlite::Result<Post> {
    let props: String = r.get(12)?;
    let file_ids: String = r.get(14)?;
    Ok(Post {
        id: r.get(0)?,
        create_at: r.get(1)?,
        update_at: r.get(2)?,
        edit_at: r.get(3)?,
        delete_at: r.get(4)?,
        is_pinned: r.get(5)?,
        user_id: r.get(6)?,
        channel_id: r.get(7)?,
        root_id: r.get(8)?,
        original_id: r.get(9)?,
        message: r.get(10)?,
        post_type: r.get(11)?,
        props: serde_json::from_str(&props).map_err(json_err)?,
        hashtags: r.get(13)?,
        file_ids: serde_json::from_str(&file_ids).map_err(json_err)?,
        pending_post_id: r.get(15)?,
        has_reactions: r.get(16)?,
        reply_count: r.get(17)?,
        last_reply_at: r.get(18)?,
        ..Post::default()
    })
}

fn insert_post(c: &Connection, p: &Post) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO posts ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            p.id,
            p.create_at,
            p.update_at,
            p.edit_at,
            p.delete_at,
            p.is_pinned,
            p.user_id,
            p.channel_id,
            p.root_id,
            p.original_id,
            p.message,
            p.post_type,
            p.props.to_string(),
            p.hashtags,
            serde_json::to_string(&p.file_ids).expect("strings serialize"),
            p.pending_post_id,
            p.has_reactions
        ])
    })
    .map(drop)
    .map_err(to_store_error)
}

/// Adds a reply to its thread row and moves the followers' memberships.
fn record_reply(c: &Connection, new: &NewPost) -> StoreResult<()> {
    let p = &new.post;
    let participants: Option<String> = c
        .query_row(
            "SELECT participants FROM threads WHERE post_id = ?1",
            [&p.root_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(to_store_error)?;
    let mut list: Vec<String> = participants
        .map(|t| serde_json::from_str(&t).unwrap_or_default())
        .unwrap_or_default();
    list.retain(|u| u != &p.user_id);
    list.push(p.user_id.clone());
    let list = serde_json::to_string(&list).expect("strings serialize");
    c.execute(
        "INSERT INTO threads (post_id, channel_id, reply_count, last_reply_at, participants)
         VALUES (?1, ?2, 1, ?3, ?4)
         ON CONFLICT (post_id) DO UPDATE SET reply_count = reply_count + 1,
            last_reply_at = MAX(last_reply_at, excluded.last_reply_at),
            participants = excluded.participants",
        params![p.root_id, p.channel_id, p.create_at, list],
    )
    .map_err(to_store_error)?;
    // Everyone following sees the thread move; mentioned users get an unread mention.
    c.execute(
        "UPDATE thread_memberships SET last_updated = ?2 WHERE post_id = ?1 AND following = 1",
        params![p.root_id, p.create_at],
    )
    .map_err(to_store_error)?;
    for user in &new.thread_followers {
        let viewed = if *user == p.user_id { p.create_at } else { 0 };
        c.execute(
            "INSERT INTO thread_memberships (post_id, user_id, following, last_viewed, last_updated)
             VALUES (?1, ?2, 1, ?3, ?4)
             ON CONFLICT (post_id, user_id) DO UPDATE SET following = 1,
                last_viewed = MAX(last_viewed, excluded.last_viewed), last_updated = excluded.last_updated",
            params![p.root_id, user, viewed, p.create_at],
        )
        .map_err(to_store_error)?;
    }
    for user in new.mentioned.iter().filter(|u| **u != p.user_id) {
        c.execute(
            "UPDATE thread_memberships SET unread_mentions = unread_mentions + 1
             WHERE post_id = ?1 AND user_id = ?2",
            params![p.root_id, user],
        )
        .map_err(to_store_error)?;
    }
    Ok(())
}

#[async_trait]
impl PostStore for SqliteStore {
    async fn create(&self, new: &NewPost) -> StoreResult<()> {
        let new = new.clone();
        self.db
            .write(move |c| {
                let p = &new.post;
                let root = !p.is_reply();
                insert_post(c, p)?;
                execute_one(
                    c,
                    "UPDATE channels SET total_msg_count = total_msg_count + 1,
                        total_msg_count_root = total_msg_count_root + ?3,
                        last_post_at = MAX(last_post_at, ?2),
                        last_root_post_at = CASE WHEN ?3 = 1 THEN MAX(last_root_post_at, ?2)
                                                 ELSE last_root_post_at END
                     WHERE id = ?1",
                    params![p.channel_id, p.create_at, root],
                )?;
                // Posting reads the channel up to the new post for its author.
                c.execute(
                    "UPDATE channel_members AS m SET msg_count = ch.total_msg_count,
                        msg_count_root = ch.total_msg_count_root,
                        last_viewed_at = MAX(m.last_viewed_at, ?3), last_update_at = ?3
                     FROM channels AS ch
                     WHERE ch.id = m.channel_id AND m.channel_id = ?1 AND m.user_id = ?2",
                    params![p.channel_id, p.user_id, p.create_at],
                )
                .map_err(to_store_error)?;
                if !new.mentioned.is_empty() {
                    let mut args: Vec<Value> = vec![
                        p.channel_id.clone().into(),
                        i64::from(root).into(),
                        p.create_at.into(),
                    ];
                    args.extend(new.mentioned.iter().map(|u| u.clone().into()));
                    let sql = format!(
                        "UPDATE channel_members SET mention_count = mention_count + 1,
                            mention_count_root = mention_count_root + ?2, last_update_at = ?3
                         WHERE channel_id = ?1 AND user_id IN ({})",
                        placeholders(new.mentioned.len())
                    );
                    c.execute(&sql, params_from_iter(args.iter()))
                        .map_err(to_store_error)?;
                }
                if !root {
                    record_reply(c, &new)?;
                }
                attach_files(c, p)?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<Post> {
        let id = id.to_owned();
        self.db
            .read(move |c| query_one(c, &format!("{SELECT} WHERE p.id = ?1"), [id], from_row))
            .await
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Post>> {
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!("{SELECT} WHERE p.id IN ({})", placeholders(ids.len()));
                query_vec(c, &sql, params_from_iter(ids.iter()), from_row)
            })
            .await
    }

    async fn update(&self, post: &Post) -> StoreResult<()> {
        let p = post.clone();
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE posts SET update_at = ?2, edit_at = ?3, is_pinned = ?4, message = ?5,
                        props = ?6, hashtags = ?7, file_ids = ?8, has_reactions = ?9
                     WHERE id = ?1",
                    params![
                        p.id,
                        p.update_at,
                        p.edit_at,
                        p.is_pinned,
                        p.message,
                        p.props.to_string(),
                        p.hashtags,
                        serde_json::to_string(&p.file_ids).expect("strings serialize"),
                        p.has_reactions
                    ],
                )
            })
            .await
    }

    async fn delete(&self, id: &str, at: i64) -> StoreResult<()> {
        let id = id.to_owned();
        self.db
            .write(move |c| {
                let root_id: String = query_one(
                    c,
                    "SELECT root_id FROM posts WHERE id = ?1 AND delete_at = 0",
                    [&id],
                    |r| r.get(0),
                )?;
                if root_id.is_empty() {
                    c.execute(
                        "UPDATE posts SET delete_at = ?2, update_at = ?2
                         WHERE (id = ?1 OR root_id = ?1) AND delete_at = 0",
                        params![id, at],
                    )
                    .map_err(to_store_error)?;
                    c.execute("DELETE FROM threads WHERE post_id = ?1", [&id])
                        .map_err(to_store_error)?;
                    c.execute("DELETE FROM thread_memberships WHERE post_id = ?1", [&id])
                        .map_err(to_store_error)?;
                } else {
                    execute_one(
                        c,
                        "UPDATE posts SET delete_at = ?2, update_at = ?2 WHERE id = ?1",
                        params![id, at],
                    )?;
                    c.execute(
                        "UPDATE threads SET reply_count = MAX(reply_count - 1, 0),
                            last_reply_at = COALESCE((SELECT MAX(create_at) FROM posts
                                WHERE root_id = ?1 AND delete_at = 0), 0)
                         WHERE post_id = ?1",
                        [&root_id],
                    )
                    .map_err(to_store_error)?;
                }
                // A deleted post's files go with it (the cleanup job removes their bytes).
                c.execute(
                    "UPDATE file_infos SET delete_at = ?2, update_at = ?2
                     WHERE delete_at = 0 AND post_id IN
                         (SELECT id FROM posts WHERE id = ?1 OR (?3 AND root_id = ?1))",
                    params![id, at, root_id.is_empty()],
                )
                .map_err(to_store_error)?;
                Ok(())
            })
            .await
    }

    async fn channel_page(&self, channel_id: &str, page: &PostPage) -> StoreResult<Vec<Post>> {
        let (channel_id, page) = (channel_id.to_owned(), page.clone());
        self.db
            .read(move |c| {
                let mut args: Vec<Value> = vec![channel_id.into()];
                let mut filter = String::from("p.channel_id = ?1");
                let mut order = "DESC";
                if let Some(since) = page.since {
                    args.push(since.into());
                    filter.push_str(" AND p.update_at > ?2");
                } else {
                    filter.push_str(" AND p.delete_at = 0");
                    if let Some((at, id)) = &page.before {
                        args.extend([Value::from(*at), Value::from(id.clone())]);
                        filter.push_str(" AND (p.create_at < ?2 OR (p.create_at = ?2 AND p.id < ?3))");
                    } else if let Some((at, id)) = &page.after {
                        args.extend([Value::from(*at), Value::from(id.clone())]);
                        filter.push_str(" AND (p.create_at > ?2 OR (p.create_at = ?2 AND p.id > ?3))");
                        order = "ASC";
                    }
                }
                if page.roots_only {
                    filter.push_str(" AND p.root_id = ''");
                }
                let n = args.len();
                args.extend([Value::from(page.limit), Value::from(page.offset)]);
                let sql = format!(
                    "{SELECT} WHERE {filter} ORDER BY p.create_at {order}, p.id {order} LIMIT ?{} OFFSET ?{}",
                    n + 1,
                    n + 2
                );
                query_vec(c, &sql, params_from_iter(args.iter()), from_row)
            })
            .await
    }

    async fn thread(&self, root_id: &str) -> StoreResult<Vec<Post>> {
        let root_id = root_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "{SELECT} WHERE (p.id = ?1 OR p.root_id = ?1) AND p.delete_at = 0
                         ORDER BY p.create_at, p.id"
                    ),
                    [root_id],
                    from_row,
                )
            })
            .await
    }

    async fn pinned(&self, channel_id: &str) -> StoreResult<Vec<Post>> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "{SELECT} WHERE p.channel_id = ?1 AND p.is_pinned = 1 AND p.delete_at = 0
                         ORDER BY p.create_at DESC, p.id DESC"
                    ),
                    [channel_id],
                    from_row,
                )
            })
            .await
    }

    async fn pinned_count(&self, channel_id: &str) -> StoreResult<i64> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT COUNT(*) FROM posts WHERE channel_id = ?1 AND is_pinned = 1 AND delete_at = 0",
                    [channel_id],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn flagged(
        &self,
        user_id: &str,
        channel_ids: Option<&[String]>,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Post>> {
        let user_id = user_id.to_owned();
        let channel_ids = channel_ids.map(<[String]>::to_vec);
        self.db
            .read(move |c| {
                let mut args: Vec<Value> = vec![user_id.into(), limit.into(), offset.into()];
                let mut filter = String::new();
                if let Some(ids) = &channel_ids {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    filter = format!(" AND p.channel_id IN ({})", numbered(4, ids.len()));
                    args.extend(ids.iter().map(|id| Value::from(id.clone())));
                }
                let sql = format!(
                    "{SELECT} JOIN preferences f ON f.user_id = ?1 AND f.category = 'flagged_post'
                        AND f.name = p.id AND f.value = 'true'
                     WHERE p.delete_at = 0{filter}
                     ORDER BY p.create_at DESC, p.id DESC LIMIT ?2 OFFSET ?3"
                );
                query_vec(c, &sql, params_from_iter(args.iter()), from_row)
            })
            .await
    }

    async fn count_after(&self, channel_id: &str, after: i64) -> StoreResult<(i64, i64)> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN root_id = '' THEN 1 ELSE 0 END), 0)
                     FROM posts WHERE channel_id = ?1 AND create_at > ?2 AND delete_at = 0",
                    params![channel_id, after],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await
    }

    async fn search(&self, q: &PostSearch) -> StoreResult<Vec<Post>> {
        let q = q.clone();
        self.db
            .read(move |c| {
                let (sql, args) = search_sql(&q);
                query_vec(c, &sql, params_from_iter(args.iter()), from_row)
            })
            .await
    }
}

/// Attaches the post's files: each must be the author's own, uploaded to this channel, and not
/// yet attached — or the whole post is refused (`Conflict("file_ids")`).
fn attach_files(c: &Connection, p: &Post) -> StoreResult<()> {
    if p.file_ids.is_empty() {
        return Ok(());
    }
    let mut args: Vec<Value> = vec![
        p.id.clone().into(),
        p.create_at.into(),
        p.user_id.clone().into(),
        p.channel_id.clone().into(),
    ];
    args.extend(p.file_ids.iter().map(|f| Value::from(f.clone())));
    let sql = format!(
        "UPDATE file_infos SET post_id = ?1, update_at = ?2
         WHERE user_id = ?3 AND channel_id = ?4 AND post_id = '' AND delete_at = 0
           AND id IN ({})",
        numbered(5, p.file_ids.len())
    );
    let changed = c
        .execute(&sql, params_from_iter(args.iter()))
        .map_err(to_store_error)?;
    if changed != p.file_ids.len() {
        return Err(conclave_store::StoreError::Conflict("file_ids"));
    }
    Ok(())
}

/// SQLite's way of testing text: the FTS5 trigram index for three or more characters, a
/// case-folded scan otherwise. Parameters are numbered as they are bound.
#[derive(Default)]
struct Sqlite(Vec<Value>);

impl Sqlite {
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("?{}", self.0.len())
    }
}

impl SearchDialect for Sqlite {
    fn text(&mut self, value: String) -> String {
        self.bind(value)
    }

    fn int(&mut self, value: i64) -> String {
        self.bind(value)
    }

    fn one_of(&mut self, column: &str, values: &[String]) -> String {
        let list: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
        format!("{column} IN ({})", list.join(","))
    }

    fn contains(&mut self, column: &str, text: &str) -> String {
        if text.chars().count() >= TRIGRAM_MIN_CHARS {
            // An FTS5 string literal (inner quotes doubled) matches as a substring.
            let m = self.bind(format!("{column} : \"{}\"", text.replace('"', "\"\"")));
            format!("p.rowid IN (SELECT rowid FROM posts_search WHERE posts_search MATCH {m})")
        } else {
            let t = self.bind(text.to_lowercase());
            format!("instr(fold(p.{column}), {t}) > 0")
        }
    }

    fn has_hashtag(&mut self, tag: &str) -> String {
        let prefilter = self.contains("hashtags", tag);
        let t = self.bind(format!(" {} ", tag.to_lowercase()));
        format!("({prefilter} AND instr(' ' || fold(p.hashtags) || ' ', {t}) > 0)")
    }
}

fn search_sql(q: &PostSearch) -> (String, Vec<Value>) {
    let mut d = Sqlite::default();
    let clauses = post_search_clauses(q, &mut d);
    (format!("{SELECT} {clauses}"), d.0)
}
