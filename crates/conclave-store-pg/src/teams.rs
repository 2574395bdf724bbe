use async_trait::async_trait;
use conclave_model::{Channel, ChannelMember, Team, TeamMember};
use conclave_store::{StoreResult, TeamStore};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::channels::{insert_channel, insert_member as insert_channel_member};
use crate::{PgStore, changed_one, retry, to_store_error};

const COLUMNS: &str = "id, create_at, update_at, delete_at, display_name, name, description, \
    email, type, company_name, allowed_domains, invite_id, allow_open_invite, \
    last_team_icon_update";
const T_COLUMNS: &str = "t.id, t.create_at, t.update_at, t.delete_at, t.display_name, t.name, \
    t.description, t.email, t.type, t.company_name, t.allowed_domains, t.invite_id, \
    t.allow_open_invite, t.last_team_icon_update";
const MEMBER_COLUMNS: &str = "team_id, user_id, roles, delete_at, scheme_guest, scheme_user, \
    scheme_admin, explicit_roles, create_at";

fn team_from_row(r: &PgRow) -> Result<Team, sqlx::Error> {
    Ok(Team {
        id: r.try_get("id")?,
        create_at: r.try_get("create_at")?,
        update_at: r.try_get("update_at")?,
        delete_at: r.try_get("delete_at")?,
        display_name: r.try_get("display_name")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        email: r.try_get("email")?,
        team_type: r.try_get("type")?,
        company_name: r.try_get("company_name")?,
        allowed_domains: r.try_get("allowed_domains")?,
        invite_id: r.try_get("invite_id")?,
        allow_open_invite: r.try_get("allow_open_invite")?,
        last_team_icon_update: r.try_get("last_team_icon_update")?,
        ..Team::default()
    })
}

fn member_from_row(r: &PgRow) -> Result<TeamMember, sqlx::Error> {
    Ok(TeamMember {
        team_id: r.try_get("team_id")?,
        user_id: r.try_get("user_id")?,
        roles: r.try_get("roles")?,
        delete_at: r.try_get("delete_at")?,
        scheme_guest: r.try_get("scheme_guest")?,
        scheme_user: r.try_get("scheme_user")?,
        scheme_admin: r.try_get("scheme_admin")?,
        explicit_roles: r.try_get("explicit_roles")?,
        create_at: r.try_get("create_at")?,
    })
}

fn teams(rows: Vec<PgRow>) -> StoreResult<Vec<Team>> {
    rows.iter()
        .map(|r| team_from_row(r).map_err(to_store_error))
        .collect()
}

fn members(rows: Vec<PgRow>) -> StoreResult<Vec<TeamMember>> {
    rows.iter()
        .map(|r| member_from_row(r).map_err(to_store_error))
        .collect()
}

/// Inserts a membership, or re-activates a left one with the new roles.
async fn upsert_member(c: &mut PgConnection, m: &TeamMember) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO team_members ({MEMBER_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
         ON CONFLICT (team_id, user_id) DO UPDATE SET roles = excluded.roles,
            delete_at = excluded.delete_at, scheme_guest = excluded.scheme_guest,
            scheme_user = excluded.scheme_user, scheme_admin = excluded.scheme_admin,
            explicit_roles = excluded.explicit_roles"
    ))
    .bind(&m.team_id)
    .bind(&m.user_id)
    .bind(&m.roles)
    .bind(m.delete_at)
    .bind(m.scheme_guest)
    .bind(m.scheme_user)
    .bind(m.scheme_admin)
    .bind(&m.explicit_roles)
    .bind(m.create_at)
    .execute(&mut *c)
    .await
    .map(drop)
}

/// Joins channels, ignoring ones the user is already in.
async fn join_channels(c: &mut PgConnection, ms: &[ChannelMember]) -> Result<(), sqlx::Error> {
    for m in ms {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2)",
        )
        .bind(&m.channel_id)
        .bind(&m.user_id)
        .fetch_one(&mut *c)
        .await?;
        if !exists {
            insert_channel_member(&mut *c, m).await?;
        }
    }
    Ok(())
}

impl PgStore {
    async fn team_where(&self, filter: &str, value: &str) -> StoreResult<Team> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM teams WHERE {filter}"))
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        team_from_row(&row).map_err(to_store_error)
    }
}

#[async_trait]
impl TeamStore for PgStore {
    async fn create(
        &self,
        team: &Team,
        member: &TeamMember,
        channels: &[Channel],
        channel_members: &[ChannelMember],
    ) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let (team, member) = (team.clone(), member.clone());
            let (channels, channel_members) = (channels.to_vec(), channel_members.to_vec());
            Box::pin(async move {
                sqlx::query(&format!(
                    "INSERT INTO teams ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
                ))
                .bind(&team.id)
                .bind(team.create_at)
                .bind(team.update_at)
                .bind(team.delete_at)
                .bind(&team.display_name)
                .bind(&team.name)
                .bind(&team.description)
                .bind(&team.email)
                .bind(&team.team_type)
                .bind(&team.company_name)
                .bind(&team.allowed_domains)
                .bind(&team.invite_id)
                .bind(team.allow_open_invite)
                .bind(team.last_team_icon_update)
                .execute(&mut *c)
                .await?;
                upsert_member(&mut *c, &member).await?;
                for ch in &channels {
                    insert_channel(&mut *c, ch).await?;
                }
                join_channels(&mut *c, &channel_members).await
            })
        })
        .await
    }

    async fn get(&self, id: &str) -> StoreResult<Team> {
        self.team_where("id = $1", id).await
    }

    async fn get_by_name(&self, name: &str) -> StoreResult<Team> {
        self.team_where("name = $1", name).await
    }

    async fn get_by_invite_id(&self, invite_id: &str) -> StoreResult<Team> {
        self.team_where("invite_id = $1 AND delete_at = 0", invite_id)
            .await
    }

    async fn list(&self, open_only: bool, offset: i64, limit: i64) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM teams WHERE delete_at = 0 AND (NOT $1 OR allow_open_invite)
             ORDER BY display_name, id LIMIT $2 OFFSET $3"
        ))
        .bind(open_only)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        teams(rows)
    }

    async fn list_for_user(&self, user_id: &str) -> StoreResult<Vec<Team>> {
        let rows = sqlx::query(&format!(
            "SELECT {T_COLUMNS} FROM teams t JOIN team_members m ON m.team_id = t.id
             WHERE m.user_id = $1 AND m.delete_at = 0 AND t.delete_at = 0
             ORDER BY t.display_name, t.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        teams(rows)
    }

    async fn update(&self, t: &Team) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE teams SET update_at = $2, delete_at = $3, display_name = $4,
                description = $5, email = $6, type = $7, company_name = $8,
                allowed_domains = $9, invite_id = $10, allow_open_invite = $11,
                last_team_icon_update = $12
             WHERE id = $1",
        )
        .bind(&t.id)
        .bind(t.update_at)
        .bind(t.delete_at)
        .bind(&t.display_name)
        .bind(&t.description)
        .bind(&t.email)
        .bind(&t.team_type)
        .bind(&t.company_name)
        .bind(&t.allowed_domains)
        .bind(&t.invite_id)
        .bind(t.allow_open_invite)
        .bind(t.last_team_icon_update)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn add_member(
        &self,
        member: &TeamMember,
        channel_members: &[ChannelMember],
    ) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let (member, channel_members) = (member.clone(), channel_members.to_vec());
            Box::pin(async move {
                upsert_member(&mut *c, &member).await?;
                join_channels(&mut *c, &channel_members).await
            })
        })
        .await
    }

    async fn update_member(&self, m: &TeamMember) -> StoreResult<()> {
        let result = sqlx::query(
            "UPDATE team_members SET roles = $3, scheme_guest = $4, scheme_user = $5,
                scheme_admin = $6, explicit_roles = $7
             WHERE team_id = $1 AND user_id = $2",
        )
        .bind(&m.team_id)
        .bind(&m.user_id)
        .bind(&m.roles)
        .bind(m.scheme_guest)
        .bind(m.scheme_user)
        .bind(m.scheme_admin)
        .bind(&m.explicit_roles)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        changed_one(result)
    }

    async fn get_member(&self, team_id: &str, user_id: &str) -> StoreResult<TeamMember> {
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = $1 AND user_id = $2"
        ))
        .bind(team_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        member_from_row(&row).map_err(to_store_error)
    }

    async fn list_members(
        &self,
        team_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<TeamMember>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = $1 AND delete_at = 0
             ORDER BY user_id LIMIT $2 OFFSET $3"
        ))
        .bind(team_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn members_by_ids(
        &self,
        team_id: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<TeamMember>> {
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM team_members WHERE team_id = $1 AND delete_at = 0
               AND user_id = ANY($2) ORDER BY user_id"
        ))
        .bind(team_id)
        .bind(user_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn list_members_for_user(&self, user_id: &str) -> StoreResult<Vec<TeamMember>> {
        let rows = sqlx::query(
            "SELECT m.team_id, m.user_id, m.roles, m.delete_at, m.scheme_guest, m.scheme_user,
                m.scheme_admin, m.explicit_roles, m.create_at
             FROM team_members m JOIN teams t ON t.id = m.team_id
             WHERE m.user_id = $1 AND m.delete_at = 0 AND t.delete_at = 0 ORDER BY m.team_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        members(rows)
    }

    async fn remove_member(&self, team_id: &str, user_id: &str, at: i64) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let (team_id, user_id) = (team_id.to_owned(), user_id.to_owned());
            Box::pin(async move {
                let result = sqlx::query(
                    "UPDATE team_members SET delete_at = $3 WHERE team_id = $1 AND user_id = $2",
                )
                .bind(&team_id)
                .bind(&user_id)
                .bind(at)
                .execute(&mut *c)
                .await?;
                if result.rows_affected() == 0 {
                    return Err(sqlx::Error::RowNotFound);
                }
                sqlx::query(
                    "DELETE FROM channel_members WHERE user_id = $2
                       AND channel_id IN (SELECT id FROM channels WHERE team_id = $1)",
                )
                .bind(&team_id)
                .bind(&user_id)
                .execute(&mut *c)
                .await
                .map(drop)
            })
        })
        .await
    }

    async fn member_counts(&self, team_id: &str) -> StoreResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE u.delete_at = 0) AS active
             FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = $1 AND m.delete_at = 0",
        )
        .bind(team_id)
        .fetch_one(&self.pool)
        .await
        .map_err(to_store_error)?;
        Ok((
            row.try_get("total").map_err(to_store_error)?,
            row.try_get("active").map_err(to_store_error)?,
        ))
    }
}
