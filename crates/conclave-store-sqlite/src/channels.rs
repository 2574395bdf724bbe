use async_trait::async_trait;
use conclave_model::{Channel, ChannelMember};
use conclave_store::{ChannelStore, StoreResult, like_pattern};
use rusqlite::{Connection, Row, params, params_from_iter};

use crate::db::{execute_one, placeholders, query_one, query_vec, to_store_error};
use crate::{SqliteStore, map_from_json, map_to_json};

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

fn channel_from_row(r: &Row) -> rusqlite::Result<Channel> {
    Ok(Channel {
        id: r.get(0)?,
        create_at: r.get(1)?,
        update_at: r.get(2)?,
        delete_at: r.get(3)?,
        team_id: r.get(4)?,
        channel_type: r.get(5)?,
        display_name: r.get(6)?,
        name: r.get(7)?,
        header: r.get(8)?,
        purpose: r.get(9)?,
        last_post_at: r.get(10)?,
        total_msg_count: r.get(11)?,
        total_msg_count_root: r.get(12)?,
        last_root_post_at: r.get(13)?,
        extra_update_at: r.get(14)?,
        creator_id: r.get(15)?,
        ..Channel::default()
    })
}

pub(crate) fn member_from_row(r: &Row) -> rusqlite::Result<ChannelMember> {
    Ok(ChannelMember {
        channel_id: r.get(0)?,
        user_id: r.get(1)?,
        roles: r.get(2)?,
        last_viewed_at: r.get(3)?,
        msg_count: r.get(4)?,
        mention_count: r.get(5)?,
        mention_count_root: r.get(6)?,
        urgent_mention_count: r.get(7)?,
        msg_count_root: r.get(8)?,
        notify_props: map_from_json(r.get(9)?)?,
        last_update_at: r.get(10)?,
        scheme_guest: r.get(11)?,
        scheme_user: r.get(12)?,
        scheme_admin: r.get(13)?,
        explicit_roles: r.get(14)?,
    })
}

pub(crate) fn insert_channel(c: &Connection, ch: &Channel) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO channels ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"
    ))
    .and_then(|mut s| {
        s.execute(params![
            ch.id,
            ch.create_at,
            ch.update_at,
            ch.delete_at,
            ch.team_id,
            ch.channel_type,
            ch.display_name,
            ch.name,
            ch.header,
            ch.purpose,
            ch.last_post_at,
            ch.total_msg_count,
            ch.total_msg_count_root,
            ch.last_root_post_at,
            ch.extra_update_at,
            ch.creator_id
        ])
    })
    .map(drop)
    .map_err(to_store_error)
}

/// A new member starts with the channel read up to now: Mattermost does not count history
/// from before someone joined as unread.
pub(crate) fn insert_member(c: &Connection, m: &ChannelMember) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO channel_members ({MEMBER_COLUMNS})
         SELECT ?1, ?2, ?3, MAX(?4, ch.last_post_at), ch.total_msg_count, ?6, ?7, ?8,
                ch.total_msg_count_root, ?10, ?11, ?12, ?13, ?14, ?15
         FROM channels ch WHERE ch.id = ?1"
    ))
    .and_then(|mut s| {
        s.execute(params![
            m.channel_id,
            m.user_id,
            m.roles,
            m.last_viewed_at,
            m.msg_count,
            m.mention_count,
            m.mention_count_root,
            m.urgent_mention_count,
            m.msg_count_root,
            map_to_json(&m.notify_props),
            m.last_update_at,
            m.scheme_guest,
            m.scheme_user,
            m.scheme_admin,
            m.explicit_roles
        ])
    })
    .map_err(to_store_error)
    .and_then(|n| {
        if n == 0 {
            Err(conclave_store::StoreError::NotFound)
        } else {
            Ok(())
        }
    })
}

fn get_member(c: &Connection, channel_id: &str, user_id: &str) -> StoreResult<ChannelMember> {
    query_one(
        c,
        &format!(
            "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = ?1 AND user_id = ?2"
        ),
        [channel_id, user_id],
        member_from_row,
    )
}

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn create(&self, channel: &Channel, members: &[ChannelMember]) -> StoreResult<()> {
        let (ch, ms) = (channel.clone(), members.to_vec());
        self.db
            .write(move |c| {
                insert_channel(c, &ch)?;
                ms.iter().try_for_each(|m| insert_member(c, m))
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<Channel> {
        let id = id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM channels WHERE id = ?1"),
                    [id],
                    channel_from_row,
                )
            })
            .await
    }

    async fn get_by_name(&self, team_id: &str, name: &str) -> StoreResult<Channel> {
        let (team_id, name) = (team_id.to_owned(), name.to_owned());
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM channels WHERE team_id = ?1 AND name = ?2"),
                    [team_id, name],
                    channel_from_row,
                )
            })
            .await
    }

    async fn get_many(&self, ids: &[String]) -> StoreResult<Vec<Channel>> {
        let ids = ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM channels WHERE id IN ({})",
                    placeholders(ids.len())
                );
                query_vec(c, &sql, params_from_iter(ids.iter()), channel_from_row)
            })
            .await
    }

    async fn list_public(
        &self,
        team_id: &str,
        archived: bool,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Channel>> {
        let team_id = team_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {COLUMNS} FROM channels WHERE team_id = ?1 AND type = 'O'
                           AND ((?2 = 1 AND delete_at > 0) OR (?2 = 0 AND delete_at = 0))
                         ORDER BY display_name, id LIMIT ?3 OFFSET ?4"
                    ),
                    params![team_id, archived, limit, offset],
                    channel_from_row,
                )
            })
            .await
    }

    async fn search_public(
        &self,
        team_id: &str,
        term: &str,
        limit: i64,
    ) -> StoreResult<Vec<Channel>> {
        let (team_id, pattern) = (team_id.to_owned(), like_pattern(term));
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {COLUMNS} FROM channels WHERE team_id = ?1 AND type = 'O' AND delete_at = 0
                           AND (name LIKE ?2 ESCAPE '\\' OR fold(display_name) LIKE ?2 ESCAPE '\\')
                         ORDER BY display_name, id LIMIT ?3"
                    ),
                    params![team_id, pattern, limit],
                    channel_from_row,
                )
            })
            .await
    }

    async fn list_for_user(
        &self,
        user_id: &str,
        team_id: &str,
        include_archived: bool,
    ) -> StoreResult<Vec<Channel>> {
        let (user_id, team_id) = (user_id.to_owned(), team_id.to_owned());
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {C_COLUMNS} FROM channels c JOIN channel_members m ON m.channel_id = c.id
                         WHERE m.user_id = ?1 AND (c.team_id = ?2 OR c.team_id = '')
                           AND (?3 = 1 OR c.delete_at = 0)
                         ORDER BY c.display_name, c.id"
                    ),
                    params![user_id, team_id, include_archived],
                    channel_from_row,
                )
            })
            .await
    }

    async fn update(&self, channel: &Channel) -> StoreResult<()> {
        let ch = channel.clone();
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE channels SET update_at = ?2, delete_at = ?3, type = ?4,
                        display_name = ?5, name = ?6, header = ?7, purpose = ?8,
                        extra_update_at = ?9
                     WHERE id = ?1",
                    params![
                        ch.id,
                        ch.update_at,
                        ch.delete_at,
                        ch.channel_type,
                        ch.display_name,
                        ch.name,
                        ch.header,
                        ch.purpose,
                        ch.extra_update_at
                    ],
                )
            })
            .await
    }

    async fn add_member(&self, member: &ChannelMember) -> StoreResult<()> {
        let m = member.clone();
        self.db.write(move |c| insert_member(c, &m)).await
    }

    async fn update_member(&self, member: &ChannelMember) -> StoreResult<()> {
        let m = member.clone();
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE channel_members SET roles = ?3, notify_props = ?4, scheme_guest = ?5,
                        scheme_user = ?6, scheme_admin = ?7, explicit_roles = ?8, last_update_at = ?9
                     WHERE channel_id = ?1 AND user_id = ?2",
                    params![
                        m.channel_id,
                        m.user_id,
                        m.roles,
                        map_to_json(&m.notify_props),
                        m.scheme_guest,
                        m.scheme_user,
                        m.scheme_admin,
                        m.explicit_roles,
                        m.last_update_at
                    ],
                )
            })
            .await
    }

    async fn get_member(&self, channel_id: &str, user_id: &str) -> StoreResult<ChannelMember> {
        let (channel_id, user_id) = (channel_id.to_owned(), user_id.to_owned());
        self.db
            .read(move |c| get_member(c, &channel_id, &user_id))
            .await
    }

    async fn list_members(
        &self,
        channel_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<ChannelMember>> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = ?1
                         ORDER BY user_id LIMIT ?2 OFFSET ?3"
                    ),
                    params![channel_id, limit, offset],
                    member_from_row,
                )
            })
            .await
    }

    async fn members_by_ids(
        &self,
        channel_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<ChannelMember>> {
        let mut args = vec![channel_id.to_owned()];
        args.extend(user_ids.iter().cloned());
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} FROM channel_members WHERE channel_id = ?1
                       AND user_id IN ({}) ORDER BY user_id",
                    placeholders(args.len() - 1)
                );
                query_vec(c, &sql, params_from_iter(args.iter()), member_from_row)
            })
            .await
    }

    async fn list_members_for_user(
        &self,
        user_id: &str,
        team_id: &str,
    ) -> StoreResult<Vec<ChannelMember>> {
        let (user_id, team_id) = (user_id.to_owned(), team_id.to_owned());
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {M_COLUMNS} FROM channel_members m JOIN channels c ON c.id = m.channel_id
                         WHERE m.user_id = ?1 AND (c.team_id = ?2 OR c.team_id = '')
                         ORDER BY m.channel_id"
                    ),
                    [user_id, team_id],
                    member_from_row,
                )
            })
            .await
    }

    async fn remove_member(&self, channel_id: &str, user_id: &str) -> StoreResult<()> {
        let (channel_id, user_id) = (channel_id.to_owned(), user_id.to_owned());
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "DELETE FROM channel_members WHERE channel_id = ?1 AND user_id = ?2",
                    [channel_id, user_id],
                )
            })
            .await
    }

    async fn member_count(&self, channel_id: &str) -> StoreResult<i64> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT COUNT(*) FROM channel_members WHERE channel_id = ?1",
                    [channel_id],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn channel_ids_for_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT channel_id FROM channel_members WHERE user_id = ?1",
                    [user_id],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn members_with_mention_keys(
        &self,
        channel_id: &str,
    ) -> StoreResult<Vec<(String, String, std::collections::BTreeMap<String, String>)>> {
        let channel_id = channel_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT u.id, u.first_name, u.notify_props FROM users u
                     JOIN channel_members m ON m.channel_id = ?1 AND m.user_id = u.id
                     WHERE u.mention_keyed = 1 AND u.delete_at = 0",
                    [channel_id],
                    |r| Ok((r.get(0)?, r.get(1)?, map_from_json(r.get(2)?)?)),
                )
            })
            .await
    }

    async fn mark_viewed(
        &self,
        user_id: &str,
        channel_ids: &[String],
        now: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        let mut args: Vec<rusqlite::types::Value> = vec![user_id.to_owned().into(), now.into()];
        args.extend(channel_ids.iter().map(|id| id.clone().into()));
        self.db
            .write(move |c| {
                let list = placeholders(args.len() - 2);
                let sql = format!(
                    "UPDATE channel_members AS m SET msg_count = ch.total_msg_count,
                        msg_count_root = ch.total_msg_count_root, mention_count = 0,
                        mention_count_root = 0, urgent_mention_count = 0,
                        last_viewed_at = MAX(m.last_viewed_at, ch.last_post_at), last_update_at = ?2
                     FROM channels AS ch
                     WHERE ch.id = m.channel_id AND m.user_id = ?1 AND m.channel_id IN ({list})"
                );
                c.execute(&sql, params_from_iter(args.iter()))
                    .map_err(to_store_error)?;
                // SQLite's RETURNING cannot see the FROM table: read the times back.
                let sql = format!(
                    "SELECT ch.id, ch.last_post_at FROM channels ch
                     JOIN channel_members m ON m.channel_id = ch.id AND m.user_id = ?1
                     WHERE ?2 = ?2 AND ch.id IN ({list}) ORDER BY ch.id"
                );
                query_vec(c, &sql, params_from_iter(args.iter()), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
            })
            .await
    }

    async fn mark_unread(
        &self,
        user_id: &str,
        channel_id: &str,
        post_create_at: i64,
        mentions: i64,
        mentions_root: i64,
    ) -> StoreResult<ChannelMember> {
        let (user_id, channel_id) = (user_id.to_owned(), channel_id.to_owned());
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE channel_members AS m SET
                        msg_count = ch.total_msg_count - (SELECT COUNT(*) FROM posts p
                            WHERE p.channel_id = ?2 AND p.create_at >= ?3 AND p.delete_at = 0),
                        msg_count_root = ch.total_msg_count_root - (SELECT COUNT(*) FROM posts p
                            WHERE p.channel_id = ?2 AND p.create_at >= ?3 AND p.delete_at = 0
                              AND p.root_id = ''),
                        mention_count = ?4, mention_count_root = ?5,
                        last_viewed_at = ?3 - 1, last_update_at = ?3
                     FROM channels AS ch
                     WHERE ch.id = m.channel_id AND m.channel_id = ?2 AND m.user_id = ?1",
                    params![user_id, channel_id, post_create_at, mentions, mentions_root],
                )?;
                get_member(c, &channel_id, &user_id)
            })
            .await
    }
}
