use async_trait::async_trait;
use conclave_model::{Channel, ChannelMember};
use conclave_store::{ChannelStore, StoreResult, like_pattern};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::{PgStore, changed_one, map_from_json, map_to_json, retry, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, delete_at, team_id, type, display_name, name, \
    header, purpose, last_post_at, total_msg_count, total_msg_count_root, last_root_post_at, \
    extra_update_at, creator_id";
const C_COLUMNS: &str = "c.id, c.create_at, c.update_at, c.delete_at, c.team_id, c.type, \
    c.display_name, c.name, c.header, c.purpose, c.last_post_at, c.total_msg_count, \
    c.total_msg_count_root, c.last_root_post_at, c.extra_update_at, c.creator_id";
const MEMBER_COLUMNS: &str = "channel_id, user_id, roles, last_viewed_at, msg_count, \
    mention_count, mention_count_root, urgent_mention_count, msg_count_root, notify_props, \
    last_update_at, scheme_guest, scheme_user, scheme_admin, explicit_roles";
const M_COLUMNS: &str = "m.channel_id, m.user_id, m.roles, m.last_viewed_at, m.msg_count, \
    m.mention_count, m.mention_count_root, m.urgent_mention_count, m.msg_count_root, \
    m.notify_props, m.last_update_at, m.scheme_guest, m.scheme_user, m.scheme_admin, \
    m.explicit_roles";

fn channel_from_row(r: &PgRow) -> Result<Channel, sqlx::Error> {
    Ok(Channel {
        id: r.try_get("id")?,
        create_at: r.try_get("create_at")?,
        update_at: r.try_get("update_at")?,
        delete_at: r.try_get("delete_at")?,
        team_id: r.try_get("team_id")?,
        channel_type: r.try_get("type")?,
        display_name: r.try_get("display_name")?,
        name: r.try_get("name")?,
        header: r.try_get("header")?,
        purpose: r.try_get("purpose")?,
        last_post_at: r.try_get("last_post_at")?,
        total_msg_count: r.try_get("total_msg_count")?,
        total_msg_count_root: r.try_get("total_msg_count_root")?,
        last_root_post_at: r.try_get("last_root_post_at")?,
        extra_update_at: r.try_get("extra_update_at")?,
        creator_id: r.try_get("creator_id")?,
        ..Channel::default()
    })
}

fn member_from_row(r: &PgRow) -> StoreResult<ChannelMember> {
    let get = |e: sqlx::Error| to_store_error(e);
    let props: String = r.try_get("notify_props").map_err(get)?;
    Ok(ChannelMember {
        channel_id: r.try_get("channel_id").map_err(get)?,
        user_id: r.try_get("user_id").map_err(get)?,
        roles: r.try_get("roles").map_err(get)?,
        last_viewed_at: r.try_get("last_viewed_at").map_err(get)?,
        msg_count: r.try_get("msg_count").map_err(get)?,
        mention_count: r.try_get("mention_count").map_err(get)?,
        mention_count_root: r.try_get("mention_count_root").map_err(get)?,
        urgent_mention_count: r.try_get("urgent_mention_count").map_err(get)?,
        msg_count_root: r.try_get("msg_count_root").map_err(get)?,
        notify_props: map_from_json(&props)?,
        last_update_at: r.try_get("last_update_at").map_err(get)?,
        scheme_guest: r.try_get("scheme_guest").map_err(get)?,
        scheme_user: r.try_get("scheme_user").map_err(get)?,
        scheme_admin: r.try_get("scheme_admin").map_err(get)?,
        explicit_roles: r.try_get("explicit_roles").map_err(get)?,
    })
}

fn channels(rows: Vec<PgRow>) -> StoreResult<Vec<Channel>> {
    rows.iter()
        .map(|r| channel_from_row(r).map_err(to_store_error))
        .collect()
}

fn members(rows: Vec<PgRow>) -> StoreResult<Vec<ChannelMember>> {
    rows.iter().map(member_from_row).collect()
}

pub(crate) async fn insert_channel(c: &mut PgConnection, ch: &Channel) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO channels ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"
    ))
    .bind(&ch.id)
    .bind(ch.create_at)
    .bind(ch.update_at)
    .bind(ch.delete_at)
    .bind(&ch.team_id)
    .bind(&ch.channel_type)
    .bind(&ch.display_name)
    .bind(&ch.name)
    .bind(&ch.header)
    .bind(&ch.purpose)
    .bind(ch.last_post_at)
    .bind(ch.total_msg_count)
    .bind(ch.total_msg_count_root)
    .bind(ch.last_root_post_at)
    .bind(ch.extra_update_at)
    .bind(&ch.creator_id)
    .execute(c)
    .await
    .map(drop)
}

/// A new member starts with the channel read up to now: Mattermost does not count history
/// from before someone joined as unread.
pub(crate) async fn insert_member(
    c: &mut PgConnection,
    m: &ChannelMember,
) -> Result<(), sqlx::Error> {
    let result = sqlx::query(&format!(
        "INSERT INTO channel_members ({MEMBER_COLUMNS})
         SELECT $1, $2, $3, GREATEST($4, ch.last_post_at), ch.total_msg_count, $5, $6, $7,
                ch.total_msg_count_root, $8, $9, $10, $11, $12, $13
         FROM channels ch WHERE ch.id = $1"
    ))
    .bind(&m.channel_id)
    .bind(&m.user_id)
    .bind(&m.roles)
    .bind(m.last_viewed_at)
    .bind(m.mention_count)
    .bind(m.mention_count_root)
    .bind(m.urgent_mention_count)
    .bind(map_to_json(&m.notify_props))
    .bind(m.last_update_at)
    .bind(m.scheme_guest)
    .bind(m.scheme_user)
    .bind(m.scheme_admin)
    .bind(&m.explicit_roles)
    .execute(c)
    .await?;
    if result.rows_affected() == 0 {
        Err(sqlx::Error::RowNotFound)
    } else {
        Ok(())
    }
}

impl PgStore {
    async fn get_member_row(&self, channel_id: &str, user_id: &str) -> StoreResult<ChannelMember> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = $1 AND user_id = $2"
        ))
        .bind(channel_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        member_from_row(&row)
    }
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn create(&self, channel: &Channel, members: &[ChannelMember]) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let (channel, members) = (channel.clone(), members.to_vec());
            Box::pin(async move {
                insert_channel(&mut *c, &channel).await?;
                for m in &members {
                    insert_member(&mut *c, m).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn get(&self, id: &str) -> StoreResult<Channel> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM channels WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        channel_from_row(&row).map_err(to_store_error)
    }

    async fn get_by_name(&self, team_id: &str, name: &str) -> StoreResult<Channel> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels WHERE team_id = $1 AND name = $2"
        ))
        .bind(team_id)
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        channel_from_row(&row).map_err(to_store_error)
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels WHERE id = ANY($1)"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        channels(rows)
    }

    async fn list_public(
        &self,
        team_id: &str,
        archived: bool,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels WHERE team_id = $1 AND type = 'O'
               AND (($2 AND delete_at > 0) OR (NOT $2 AND delete_at = 0))
             ORDER BY display_name, id LIMIT $3 OFFSET $4"
        ))
        .bind(team_id)
        .bind(archived)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        channels(rows)
    }

    async fn search_public(
        &self,
        team_id: &str,
        term: &str,
        limit: i64,
    ) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM channels WHERE team_id = $1 AND type = 'O' AND delete_at = 0
               AND (name LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\')
             ORDER BY display_name, id LIMIT $3"
        ))
        .bind(team_id)
        .bind(like_pattern(term))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        channels(rows)
    }

    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        include_archived: bool,
    ) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(&format!(
            "SELECT {C_COLUMNS} FROM channels c JOIN channel_members m ON m.channel_id = c.id
             WHERE m.user_id = $1 AND (c.team_id = $2 OR c.team_id = '')
               AND ($3 OR c.delete_at = 0)
             ORDER BY c.display_name, c.id"
        ))
        .bind(user_id)
        .bind(team_id)
        .bind(include_archived)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        channels(rows)
    }

    async fn update(&self, ch: &Channel) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE channels SET update_at = $2, delete_at = $3, type = $4,
                display_name = $5, name = $6, header = $7, purpose = $8, extra_update_at = $9
             WHERE id = $1",
        )
        .bind(&ch.id)
        .bind(ch.update_at)
        .bind(ch.delete_at)
        .bind(&ch.channel_type)
        .bind(&ch.display_name)
        .bind(&ch.name)
        .bind(&ch.header)
        .bind(&ch.purpose)
        .bind(ch.extra_update_at)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn add_member(&self, member: &ChannelMember) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(to_store_error)?;
        insert_member(&mut conn, member)
            .await
            .map_err(to_store_error)
    }

    async fn update_member(&self, m: &ChannelMember) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE channel_members SET roles = $3, notify_props = $4, scheme_guest = $5,
                scheme_user = $6, scheme_admin = $7, explicit_roles = $8, last_update_at = $9
             WHERE channel_id = $1 AND user_id = $2",
        )
        .bind(&m.channel_id)
        .bind(&m.user_id)
        .bind(&m.roles)
        .bind(map_to_json(&m.notify_props))
        .bind(m.scheme_guest)
        .bind(m.scheme_user)
        .bind(m.scheme_admin)
        .bind(&m.explicit_roles)
        .bind(m.last_update_at)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn get_member(&self, channel_id: &str, user_id: &str) -> StoreResult<ChannelMember> {
        self.get_member_row(channel_id, user_id).await
    }

    async fn list_members(
        &self,
        channel_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChannelMember>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = $1
             ORDER BY user_id LIMIT $2 OFFSET $3"
        ))
        .bind(channel_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn members_by_ids(
        &self,
        channel_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<ChannelMember>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = $1
               AND user_id = ANY($2) ORDER BY user_id"
        ))
        .bind(channel_id)
        .bind(user_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn list_members_for_user(
        &self,
        user_id: &str,
        team_id: &str,
    ) -> StoreResult<Vec<ChannelMember>> {
        let rows = sqlx::query(&format!(
            "SELECT {M_COLUMNS} FROM channel_members m JOIN channels c ON c.id = m.channel_id
             WHERE m.user_id = $1 AND (c.team_id = $2 OR c.team_id = '')
             ORDER BY m.channel_id"
        ))
        .bind(user_id)
        .bind(team_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn remove_member(&self, channel_id: &str, user_id: &str) -> StoreResult<()> {
        let result =
            sqlx::query("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2")
                .bind(channel_id)
                .bind(user_id)
                .execute(&self.pool)
                .await
                .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn member_count(&self, channel_id: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM channel_members WHERE channel_id = $1")
            .bind(channel_id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn channel_ids_for_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT channel_id FROM channel_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(to_store_error)
    }

    async fn members_with_mention_keys(
        &self,
        channel_id: &str,
    ) -> StoreResult<Vec<(String, String, std::collections::BTreeMap<String, String>)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.first_name, u.notify_props FROM users u
             JOIN channel_members m ON m.channel_id = $1 AND m.user_id = u.id
             WHERE u.mention_keyed AND u.delete_at = 0",
        )
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter()
            .map(|r| {
                let props: String = r.try_get(2).map_err(to_store_error)?;
                Ok((
                    r.try_get(0).map_err(to_store_error)?,
                    r.try_get(1).map_err(to_store_error)?,
                    map_from_json(&props)?,
                ))
            })
            .collect()
    }

    async fn mark_viewed(
        &self,
        user_id: &str,
        channel_ids: &[String],
        now: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "UPDATE channel_members AS m SET msg_count = ch.total_msg_count,
                msg_count_root = ch.total_msg_count_root, mention_count = 0,
                mention_count_root = 0, urgent_mention_count = 0,
                last_viewed_at = GREATEST(m.last_viewed_at, ch.last_post_at), last_update_at = $2
             FROM channels AS ch
             WHERE ch.id = m.channel_id AND m.user_id = $1 AND m.channel_id = ANY($3)
             RETURNING m.channel_id, ch.last_post_at",
        )
        .bind(user_id)
        .bind(now)
        .bind(channel_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(to_store_error)?,
                    r.try_get(1).map_err(to_store_error)?,
                ))
            })
            .collect()
    }

    async fn mark_unread(
        &self,
        user_id: &str,
        channel_id: &str,
        post_create_at: i64,
        mentions: i64,
        mentions_root: i64,
    ) -> StoreResult<ChannelMember> {
        let result = sqlx::query(
            "UPDATE channel_members AS m SET
                msg_count = ch.total_msg_count - (SELECT COUNT(*) FROM posts p
                    WHERE p.channel_id = $2 AND p.create_at >= $3 AND p.delete_at = 0),
                msg_count_root = ch.total_msg_count_root - (SELECT COUNT(*) FROM posts p
                    WHERE p.channel_id = $2 AND p.create_at >= $3 AND p.delete_at = 0
                      AND p.root_id = ''),
                mention_count = $4, mention_count_root = $5,
                last_viewed_at = $3 - 1, last_update_at = $3
             FROM channels AS ch
             WHERE ch.id = m.channel_id AND m.channel_id = $2 AND m.user_id = $1",
        )
        .bind(user_id)
        .bind(channel_id)
        .bind(post_create_at)
        .bind(mentions)
        .bind(mentions_root)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)?;
        self.get_member_row(channel_id, user_id).await
    }
}
