use async_trait::async_trait;
use conclave_model::{Channel, ChannelMember, Team, TeamMember};
use conclave_store::{StoreResult, TeamStore};
use rusqlite::{Connection, Row, params, params_from_iter};

use crate::SqliteStore;
use crate::channels::{insert_channel, insert_member as insert_channel_member};
use crate::db::{execute_one, placeholders, query_one, query_vec, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, delete_at, display_name, name, description, \
    email, type, company_name, allowed_domains, invite_id, allow_open_invite, \
    last_team_icon_update";
const T_COLUMNS: &str = "t.id, t.create_at, t.update_at, t.delete_at, t.display_name, t.name, \
    t.description, t.email, t.type, t.company_name, t.allowed_domains, t.invite_id, \
    t.allow_open_invite, t.last_team_icon_update";
const MEMBER_COLUMNS: &str = "team_id, user_id, roles, delete_at, scheme_guest, scheme_user, \
    scheme_admin, explicit_roles, create_at";

fn team_from_row(r: &Row) -> rusqlite::Result<Team> {
    Ok(Team {
        id: r.get(0)?,
        create_at: r.get(1)?,
        update_at: r.get(2)?,
        delete_at: r.get(3)?,
        display_name: r.get(4)?,
        name: r.get(5)?,
        description: r.get(6)?,
        email: r.get(7)?,
        team_type: r.get(8)?,
        company_name: r.get(9)?,
        allowed_domains: r.get(10)?,
        invite_id: r.get(11)?,
        allow_open_invite: r.get(12)?,
        last_team_icon_update: r.get(13)?,
        ..Team::default()
    })
}

fn member_from_row(r: &Row) -> rusqlite::Result<TeamMember> {
    Ok(TeamMember {
        team_id: r.get(0)?,
        user_id: r.get(1)?,
        roles: r.get(2)?,
        delete_at: r.get(3)?,
        scheme_guest: r.get(4)?,
        scheme_user: r.get(5)?,
        scheme_admin: r.get(6)?,
        explicit_roles: r.get(7)?,
        create_at: r.get(8)?,
    })
}

/// Inserts a membership, or re-activates a left one with the new roles.
fn upsert_member(c: &Connection, m: &TeamMember) -> StoreResult<()> {
    c.prepare_cached(&format!(
        "INSERT INTO team_members ({MEMBER_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
         ON CONFLICT (team_id, user_id) DO UPDATE SET roles = excluded.roles,
            delete_at = excluded.delete_at, scheme_guest = excluded.scheme_guest,
            scheme_user = excluded.scheme_user, scheme_admin = excluded.scheme_admin,
            explicit_roles = excluded.explicit_roles"
    ))
    .and_then(|mut s| {
        s.execute(params![
            m.team_id,
            m.user_id,
            m.roles,
            m.delete_at,
            m.scheme_guest,
            m.scheme_user,
            m.scheme_admin,
            m.explicit_roles,
            m.create_at
        ])
    })
    .map(drop)
    .map_err(to_store_error)
}

/// Joins channels, ignoring ones the user is already in.
fn join_channels(c: &Connection, members: &[ChannelMember]) -> StoreResult<()> {
    for m in members {
        let exists: bool = query_one(
            c,
            "SELECT EXISTS (SELECT 1 FROM channel_members WHERE channel_id = ?1 AND user_id = ?2)",
            params![m.channel_id, m.user_id],
            |r| r.get(0),
        )?;
        if !exists {
            insert_channel_member(c, m)?;
        }
    }
    Ok(())
}

#[async_trait]
impl TeamStore for SqliteStore {
    async fn create(
        &self,
        team: &Team,
        member: &TeamMember,
        channels: &[Channel],
        channel_members: &[ChannelMember],
    ) -> StoreResult<()> {
        let (t, m, chans, cms) = (
            team.clone(),
            member.clone(),
            channels.to_vec(),
            channel_members.to_vec(),
        );
        self.db
            .write(move |c| {
                c.prepare_cached(&format!(
                    "INSERT INTO teams ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
                ))
                .and_then(|mut s| {
                    s.execute(params![
                        t.id,
                        t.create_at,
                        t.update_at,
                        t.delete_at,
                        t.display_name,
                        t.name,
                        t.description,
                        t.email,
                        t.team_type,
                        t.company_name,
                        t.allowed_domains,
                        t.invite_id,
                        t.allow_open_invite,
                        t.last_team_icon_update
                    ])
                })
                .map_err(to_store_error)?;
                upsert_member(c, &m)?;
                for ch in &chans {
                    insert_channel(c, ch)?;
                }
                join_channels(c, &cms)
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<Team> {
        let id = id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM teams WHERE id = ?1"),
                    [id],
                    team_from_row,
                )
            })
            .await
    }

    async fn get_by_name(&self, name: &str) -> StoreResult<Team> {
        let name = name.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM teams WHERE name = ?1"),
                    [name],
                    team_from_row,
                )
            })
            .await
    }

    async fn get_by_invite_id(&self, invite_id: &str) -> StoreResult<Team> {
        let invite_id = invite_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM teams WHERE invite_id = ?1 AND delete_at = 0"),
                    [invite_id],
                    team_from_row,
                )
            })
            .await
    }

    async fn list(&self, open_only: bool, offset: i64, limit: i64) -> StoreResult<Vec<Team>> {
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {COLUMNS} FROM teams WHERE delete_at = 0
                           AND (?1 = 0 OR allow_open_invite = 1)
                         ORDER BY display_name, id LIMIT ?2 OFFSET ?3"
                    ),
                    params![open_only, limit, offset],
                    team_from_row,
                )
            })
            .await
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Team>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {T_COLUMNS} FROM teams t JOIN team_members m ON m.team_id = t.id
                         WHERE m.user_id = ?1 AND m.delete_at = 0 AND t.delete_at = 0
                         ORDER BY t.display_name, t.id"
                    ),
                    [user_id],
                    team_from_row,
                )
            })
            .await
    }

    async fn update(&self, team: &Team) -> StoreResult<()> {
        let t = team.clone();
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE teams SET update_at = ?2, delete_at = ?3, display_name = ?4,
                        description = ?5, email = ?6, type = ?7, company_name = ?8,
                        allowed_domains = ?9, invite_id = ?10, allow_open_invite = ?11,
                        last_team_icon_update = ?12
                     WHERE id = ?1",
                    params![
                        t.id,
                        t.update_at,
                        t.delete_at,
                        t.display_name,
                        t.description,
                        t.email,
                        t.team_type,
                        t.company_name,
                        t.allowed_domains,
                        t.invite_id,
                        t.allow_open_invite,
                        t.last_team_icon_update
                    ],
                )
            })
            .await
    }

    async fn add_member(
        &self,
        member: &TeamMember,
        channel_members: &[ChannelMember],
    ) -> StoreResult<()> {
        let (m, cms) = (member.clone(), channel_members.to_vec());
        self.db
            .write(move |c| {
                upsert_member(c, &m)?;
                join_channels(c, &cms)
            })
            .await
    }

    async fn update_member(&self, member: &TeamMember) -> StoreResult<()> {
        let m = member.clone();
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE team_members SET roles = ?3, scheme_guest = ?4, scheme_user = ?5,
                        scheme_admin = ?6, explicit_roles = ?7
                     WHERE team_id = ?1 AND user_id = ?2",
                    params![
                        m.team_id,
                        m.user_id,
                        m.roles,
                        m.scheme_guest,
                        m.scheme_user,
                        m.scheme_admin,
                        m.explicit_roles
                    ],
                )
            })
            .await
    }

    async fn get_member(&self, team_id: &str, user_id: &str) -> StoreResult<TeamMember> {
        let (team_id, user_id) = (team_id.to_owned(), user_id.to_owned());
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = ?1 AND user_id = ?2"),
                    [team_id, user_id],
                    member_from_row,
                )
            })
            .await
    }

    async fn list_members(
        &self,
        team_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<TeamMember>> {
        let team_id = team_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = ?1 AND delete_at = 0
                         ORDER BY user_id LIMIT ?2 OFFSET ?3"
                    ),
                    params![team_id, limit, offset],
                    member_from_row,
                )
            })
            .await
    }

    async fn members_by_ids(
        &self,
        team_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<TeamMember>> {
        let mut args = vec![team_id.to_owned()];
        args.extend(user_ids.iter().cloned());
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = ?1 AND delete_at = 0
                       AND user_id IN ({}) ORDER BY user_id",
                    placeholders(args.len() - 1)
                );
                query_vec(c, &sql, params_from_iter(args.iter()), member_from_row)
            })
            .await
    }

    async fn list_members_for_user(&self, user_id: &str) -> StoreResult<Vec<TeamMember>> {
        let user_id = user_id.to_owned();
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    "SELECT m.team_id, m.user_id, m.roles, m.delete_at, m.scheme_guest, m.scheme_user,
                        m.scheme_admin, m.explicit_roles, m.create_at
                     FROM team_members m JOIN teams t ON t.id = m.team_id
                     WHERE m.user_id = ?1 AND m.delete_at = 0 AND t.delete_at = 0 ORDER BY m.team_id",
                    [user_id],
                    member_from_row,
                )
            })
            .await
    }

    async fn remove_member(&self, team_id: &str, user_id: &str, at: i64) -> StoreResult<()> {
        let (team_id, user_id) = (team_id.to_owned(), user_id.to_owned());
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "UPDATE team_members SET delete_at = ?3 WHERE team_id = ?1 AND user_id = ?2",
                    params![team_id, user_id, at],
                )?;
                c.execute(
                    "DELETE FROM channel_members WHERE user_id = ?2
                       AND channel_id IN (SELECT id FROM channels WHERE team_id = ?1)",
                    params![team_id, user_id],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }

    async fn member_counts(&self, team_id: &str) -> StoreResult<(i64, i64)> {
        let team_id = team_id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN u.delete_at = 0 THEN 1 ELSE 0 END), 0)
                     FROM team_members m JOIN users u ON u.id = m.user_id
                     WHERE m.team_id = ?1 AND m.delete_at = 0",
                    [team_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await
    }
}
