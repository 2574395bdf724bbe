//! Teams: creation with default channels, membership, roles, unread totals.

use conclave_model::channel::CHANNEL_OPEN;
use conclave_model::team::{TEAM_INVITE, TEAM_OPEN};
use conclave_model::{
    Channel, ChannelMember, Team, TeamMember, TeamPatch, TeamUnread, is_valid_id, new_id,
    new_random_id, now_ms,
};
use conclave_realtime::{Event, Membership, json_string};
use conclave_store::StoreError;

use crate::access::team_not_found;
use crate::accounts::{check_ids, page_size};
use crate::error::OrNotFound;
use crate::permissions::{
    ADD_USER_TO_TEAM, CREATE_TEAM, EDIT_OTHER_USERS, JOIN_PUBLIC_TEAMS, LIST_PUBLIC_TEAMS,
    MANAGE_SYSTEM, MANAGE_TEAM, MANAGE_TEAM_ROLES, REMOVE_USER_FROM_TEAM, VIEW_TEAM,
};
use crate::{Actor, App, Error, Result};

pub const DEFAULT_CHANNELS: [(&str, &str); 2] =
    [("town-square", "Town Square"), ("off-topic", "Off-Topic")];

/// Names that would collide with the web client's routes.
const RESERVED_TEAM_NAMES: &[&str] = &[
    "admin",
    "api",
    "channel",
    "claim",
    "error",
    "files",
    "help",
    "landing",
    "login",
    "mfa",
    "oauth",
    "plug",
    "plugins",
    "post",
    "signup",
    "boards",
    "playbooks",
    "static",
    "hooks",
];

/// `POST /teams` input.
#[derive(Debug, Clone, Default)]
pub struct NewTeam {
    pub name: String,
    pub display_name: String,
    pub team_type: String,
    pub description: String,
}

fn valid_team_name(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
        && !RESERVED_TEAM_NAMES
            .iter()
            .any(|r| name == *r || name.starts_with(&format!("{r}-")))
}

fn check_display_name(name: &str) -> Result<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > 64 {
        return Err(Error::bad_request(
            "model.team.is_valid.name.app_error",
            "Display name must be 1 to 64 characters.",
        ));
    }
    Ok(())
}

fn check_team_type(t: &str) -> Result<()> {
    if t == TEAM_OPEN || t == TEAM_INVITE {
        Ok(())
    } else {
        Err(Error::bad_request(
            "model.team.is_valid.type.app_error",
            "Team type must be O or I.",
        ))
    }
}

fn check_description(d: &str) -> Result<()> {
    if d.chars().count() > 255 {
        return Err(Error::bad_request(
            "model.team.is_valid.description.app_error",
            "Description must be at most 255 characters.",
        ));
    }
    Ok(())
}

pub(crate) fn default_channel(
    team_id: &str,
    name: &str,
    display: &str,
    creator: &str,
    now: i64,
) -> Channel {
    Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        team_id: team_id.into(),
        channel_type: CHANNEL_OPEN.into(),
        display_name: display.into(),
        name: name.into(),
        creator_id: creator.into(),
        ..Channel::default()
    }
}

impl App {
    /// Shapes a team for the viewer: invite ids and emails only for those who manage it.
    async fn team_for(&self, actor: &Actor, mut team: Team) -> Result<Team> {
        if !self.can_in_team(actor, &team.id, MANAGE_TEAM).await? {
            team.email.clear();
            team.invite_id.clear();
        }
        Ok(team)
    }

    pub async fn create_team(&self, actor: &Actor, new: NewTeam) -> Result<Team> {
        actor.require(CREATE_TEAM)?;
        let name = new.name.trim().to_lowercase();
        if !valid_team_name(&name) {
            return Err(Error::bad_request(
                "model.team.is_valid.url.app_error",
                "Invalid team name.",
            ));
        }
        check_display_name(&new.display_name)?;
        let team_type = if new.team_type.is_empty() {
            TEAM_OPEN.to_owned()
        } else {
            new.team_type
        };
        check_team_type(&team_type)?;
        check_description(&new.description)?;
        let now = now_ms();
        let team = Team {
            id: new_id(),
            create_at: now,
            update_at: now,
            display_name: new.display_name.trim().to_owned(),
            name,
            description: new.description,
            email: actor.user.email.clone(),
            allow_open_invite: team_type == TEAM_OPEN,
            team_type,
            invite_id: new_random_id(),
            ..Team::default()
        };
        let user = &actor.user.id;
        let channels: Vec<Channel> = DEFAULT_CHANNELS
            .iter()
            .map(|(n, d)| default_channel(&team.id, n, d, user, now))
            .collect();
        let members: Vec<ChannelMember> = channels
            .iter()
            .map(|c| ChannelMember::new(&c.id, user, false, now))
            .collect();
        let member = TeamMember::new(&team.id, user, true, now);
        self.store
            .teams()
            .create(&team, &member, &channels, &members)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::bad_request(
                    "store.sql_team.save_team.existing.app_error",
                    "A team with that name already exists.",
                ),
                other => other.into(),
            })?;
        self.announce_team_join(&team.id, user, &channels);
        self.post_team_join(&channels[0], user, "").await;
        Ok(team)
    }

    /// `added_to_team` to the user, `user_added` to each channel they joined with it.
    fn announce_team_join(&self, team_id: &str, user_id: &str, channels: &[Channel]) {
        self.publish(
            Event::new("added_to_team")
                .to_user(user_id)
                .with("team_id", team_id)
                .with("user_id", user_id)
                .with_membership(Membership::JoinTeam {
                    user_id: user_id.to_owned(),
                    team_id: team_id.to_owned(),
                }),
        );
        for c in channels {
            self.publish(
                Event::new("user_added")
                    .to_channel(&c.id)
                    .with("user_id", user_id)
                    .with("team_id", team_id)
                    .with_membership(Membership::JoinChannel {
                        user_id: user_id.to_owned(),
                        channel_id: c.id.clone(),
                    }),
            );
        }
    }

    fn announce_team(&self, name: &'static str, team: &Team) {
        self.publish(
            Event::new(name)
                .to_team(&team.id)
                .with("team", json_string(team)),
        );
    }

    pub async fn get_team(&self, actor: &Actor, team_id: &str) -> Result<Team> {
        let team = self.load_team(team_id).await?;
        self.require_team_visible(actor, &team).await?;
        self.team_for(actor, team).await
    }

    pub async fn get_team_by_name(&self, actor: &Actor, name: &str) -> Result<Team> {
        let team = self
            .store
            .teams()
            .get_by_name(&name.to_lowercase())
            .await
            .or_not_found(team_not_found)?;
        self.require_team_visible(actor, &team).await?;
        self.team_for(actor, team).await
    }

    pub async fn team_name_exists(&self, actor: &Actor, name: &str) -> Result<bool> {
        actor.require(LIST_PUBLIC_TEAMS)?;
        match self.store.teams().get_by_name(&name.to_lowercase()).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Members see their team; others see open teams (if they may list them).
    async fn require_team_visible(&self, actor: &Actor, team: &Team) -> Result<()> {
        if self.can_in_team(actor, &team.id, VIEW_TEAM).await?
            || (team.allow_open_invite && team.delete_at == 0 && actor.can(LIST_PUBLIC_TEAMS))
        {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// `GET /teams`: open teams, or every team for admins.
    pub async fn list_teams(&self, actor: &Actor, page: i64, per_page: i64) -> Result<Vec<Team>> {
        actor.require(LIST_PUBLIC_TEAMS)?;
        let per_page = page_size(per_page);
        let open_only = !actor.can(MANAGE_SYSTEM);
        let teams = self
            .store
            .teams()
            .list(open_only, page.max(0) * per_page, per_page)
            .await?;
        let mut out = Vec::with_capacity(teams.len());
        for t in teams {
            out.push(self.team_for(actor, t).await?);
        }
        Ok(out)
    }

    pub async fn teams_for_user(&self, actor: &Actor, user_id: &str) -> Result<Vec<Team>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let teams = self.store.teams().list_for_user(user_id).await?;
        let mut out = Vec::with_capacity(teams.len());
        for t in teams {
            out.push(self.team_for(actor, t).await?);
        }
        Ok(out)
    }

    pub async fn patch_team(&self, actor: &Actor, team_id: &str, patch: TeamPatch) -> Result<Team> {
        let mut team = self.load_team(team_id).await?;
        self.require_in_team(actor, team_id, MANAGE_TEAM).await?;
        if let Some(v) = patch.display_name {
            check_display_name(&v)?;
            team.display_name = v.trim().to_owned();
        }
        if let Some(v) = patch.description {
            check_description(&v)?;
            team.description = v;
        }
        if let Some(v) = patch.company_name {
            team.company_name = v;
        }
        if let Some(v) = patch.allowed_domains {
            team.allowed_domains = v;
        }
        if let Some(v) = patch.allow_open_invite {
            team.allow_open_invite = v;
            team.team_type = if v { TEAM_OPEN } else { TEAM_INVITE }.to_owned();
        }
        team.update_at = now_ms();
        self.store.teams().update(&team).await?;
        self.announce_team("update_team", &team);
        self.team_for(actor, team).await
    }

    /// Archives (`deleted = true`) or restores a team.
    pub async fn set_team_deleted(
        &self,
        actor: &Actor,
        team_id: &str,
        deleted: bool,
    ) -> Result<Team> {
        let mut team = self.load_team(team_id).await?;
        self.require_in_team(actor, team_id, MANAGE_TEAM).await?;
        let now = now_ms();
        team.delete_at = if deleted { now } else { 0 };
        team.update_at = now;
        self.store.teams().update(&team).await?;
        self.announce_team(
            if deleted {
                "delete_team"
            } else {
                "restore_team"
            },
            &team,
        );
        self.team_for(actor, team).await
    }

    /// Adds `user_id` to the team and its default channels. Joining oneself needs an open team
    /// (or an invite id); adding others needs `add_user_to_team`.
    pub async fn add_team_member(
        &self,
        actor: &Actor,
        team_id: &str,
        user_id: &str,
        invited: bool,
    ) -> Result<TeamMember> {
        let team = self.load_team(team_id).await?;
        if team.delete_at > 0 {
            return Err(Error::bad_request(
                "api.team.add_user_to_team.deleted.app_error",
                "The team is archived.",
            ));
        }
        let own = actor.user.id == user_id;
        if own && !invited {
            let open = team.allow_open_invite && actor.can(JOIN_PUBLIC_TEAMS);
            if !open && !actor.can(MANAGE_SYSTEM) {
                return Err(Error::forbidden());
            }
        } else if !own {
            self.require_in_team(actor, team_id, ADD_USER_TO_TEAM)
                .await?;
        }
        if !is_valid_id(user_id) {
            return Err(Error::invalid_param("user_id"));
        }
        let user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        if !user.is_active() {
            return Err(Error::bad_request(
                "api.team.add_user_to_team.inactive",
                "The user is deactivated.",
            ));
        }
        if let Some(existing) = self.team_member(team_id, user_id).await? {
            return Ok(existing);
        }
        let now = now_ms();
        let member = TeamMember::new(team_id, user_id, false, now);
        let mut joins = Vec::new();
        let mut joined = Vec::new();
        let mut town_square = None;
        for (name, _) in DEFAULT_CHANNELS {
            if let Ok(c) = self.store.channels().get_by_name(team_id, name).await
                && c.delete_at == 0
            {
                joins.push(ChannelMember::new(&c.id, user_id, false, now));
                if name == "town-square" {
                    town_square = Some(c.clone());
                }
                joined.push(c);
            }
        }
        self.store.teams().add_member(&member, &joins).await?;
        self.announce_team_join(team_id, user_id, &joined);
        if let Some(c) = town_square {
            let adder = if own { "" } else { actor.user.id.as_str() };
            self.post_team_join(&c, user_id, adder).await;
        }
        Ok(member)
    }

    pub async fn join_team_by_invite(&self, actor: &Actor, invite_id: &str) -> Result<TeamMember> {
        let team = self
            .store
            .teams()
            .get_by_invite_id(invite_id)
            .await
            .or_not_found(|| {
                Error::not_found(
                    "app.team.get_by_invite_id.finding.app_error",
                    "The invite link is invalid.",
                )
            })?;
        self.add_team_member(actor, &team.id, &actor.user.id.clone(), true)
            .await
    }

    /// Leaves (oneself) or removes someone; they also leave every channel of the team.
    pub async fn remove_team_member(
        &self,
        actor: &Actor,
        team_id: &str,
        user_id: &str,
    ) -> Result<()> {
        self.load_team(team_id).await?;
        if actor.user.id != user_id {
            self.require_in_team(actor, team_id, REMOVE_USER_FROM_TEAM)
                .await?;
        }
        if self.team_member(team_id, user_id).await?.is_none() {
            return Err(Error::bad_request(
                "api.team.remove_user_from_team.missing.app_error",
                "That user is not a member of the team.",
            ));
        }
        if let Ok(c) = self
            .store
            .channels()
            .get_by_name(team_id, "town-square")
            .await
        {
            self.post_system(
                &c,
                user_id,
                conclave_model::post::POST_TYPE_LEAVE_TEAM,
                "left the team.",
                serde_json::json!({}),
            )
            .await;
        }
        let channel_ids: Vec<String> = self
            .store
            .channels()
            .list_for_user(user_id, team_id, true)
            .await?
            .into_iter()
            .filter(|c| c.team_id == team_id)
            .map(|c| c.id)
            .collect();
        self.store
            .teams()
            .remove_member(team_id, user_id, now_ms())
            .await?;
        // Everyone on the team hears it, the leaver included; then the leaver stops
        // receiving the team's events.
        self.publish(
            Event::new("leave_team")
                .to_team(team_id)
                .with("user_id", user_id)
                .with("team_id", team_id),
        );
        self.hub.apply(&[Membership::LeaveTeam {
            user_id: user_id.to_owned(),
            team_id: team_id.to_owned(),
            channel_ids,
        }]);
        Ok(())
    }

    pub async fn get_team_member(
        &self,
        actor: &Actor,
        team_id: &str,
        user_id: &str,
    ) -> Result<TeamMember> {
        self.require_in_team(actor, team_id, VIEW_TEAM).await?;
        self.team_member(team_id, user_id).await?.ok_or_else(|| {
            Error::not_found(
                "app.team.get_member.missing.app_error",
                "No team member found for that user and team.",
            )
        })
    }

    pub async fn list_team_members(
        &self,
        actor: &Actor,
        team_id: &str,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<TeamMember>> {
        self.require_in_team(actor, team_id, VIEW_TEAM).await?;
        let per_page = page_size(per_page);
        Ok(self
            .store
            .teams()
            .list_members(team_id, page.max(0) * per_page, per_page)
            .await?)
    }

    pub async fn team_members_by_ids(
        &self,
        actor: &Actor,
        team_id: &str,
        ids: &[String],
    ) -> Result<Vec<TeamMember>> {
        self.require_in_team(actor, team_id, VIEW_TEAM).await?;
        check_ids(ids, self.config.limits.max_batch_items, "user_ids")?;
        Ok(self.store.teams().members_by_ids(team_id, ids).await?)
    }

    pub async fn team_members_for_user(
        &self,
        actor: &Actor,
        user_id: &str,
    ) -> Result<Vec<TeamMember>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        Ok(self.store.teams().list_members_for_user(user_id).await?)
    }

    pub async fn update_team_member_roles(
        &self,
        actor: &Actor,
        team_id: &str,
        user_id: &str,
        roles: &str,
    ) -> Result<()> {
        self.require_in_team(actor, team_id, MANAGE_TEAM_ROLES)
            .await?;
        let mut member = self.team_member(team_id, user_id).await?.ok_or_else(|| {
            Error::not_found(
                "app.team.get_member.missing.app_error",
                "No team member found for that user and team.",
            )
        })?;
        let mut wanted: Vec<&str> = roles.split_whitespace().collect();
        wanted.dedup();
        if !wanted.contains(&"team_user")
            || wanted
                .iter()
                .any(|r| !matches!(*r, "team_user" | "team_admin"))
        {
            return Err(Error::bad_request(
                "api.team.update_team_member_roles.bad_role.app_error",
                "Invalid team roles.",
            ));
        }
        member.scheme_admin = wanted.contains(&"team_admin");
        member.roles = if member.scheme_admin {
            "team_user team_admin"
        } else {
            "team_user"
        }
        .into();
        self.store.teams().update_member(&member).await?;
        self.publish(
            Event::new("memberrole_updated")
                .to_user(user_id)
                .with("member", json_string(&member)),
        );
        Ok(())
    }

    pub async fn team_stats(&self, actor: &Actor, team_id: &str) -> Result<(i64, i64)> {
        self.require_in_team(actor, team_id, VIEW_TEAM).await?;
        Ok(self.store.teams().member_counts(team_id).await?)
    }

    /// Unread totals per team, summed over the user's channel memberships.
    pub async fn team_unreads(
        &self,
        actor: &Actor,
        user_id: &str,
        only_team: Option<&str>,
    ) -> Result<Vec<TeamUnread>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let teams = match only_team {
            Some(t) => vec![self.load_team(t).await?],
            None => self.store.teams().list_for_user(user_id).await?,
        };
        let mut out = Vec::with_capacity(teams.len());
        for team in teams {
            let members = self
                .store
                .channels()
                .list_members_for_user(user_id, &team.id)
                .await?;
            let ids: Vec<String> = members.iter().map(|m| m.channel_id.clone()).collect();
            let channels = self.store.channels().get_many(&ids).await?;
            let mut unread = TeamUnread {
                team_id: team.id.clone(),
                ..TeamUnread::default()
            };
            for m in &members {
                let Some(c) = channels
                    .iter()
                    .find(|c| c.id == m.channel_id && c.team_id == team.id)
                else {
                    continue;
                };
                unread.msg_count += (c.total_msg_count - m.msg_count).max(0);
                unread.msg_count_root += (c.total_msg_count_root - m.msg_count_root).max(0);
                unread.mention_count += m.mention_count;
                unread.mention_count_root += m.mention_count_root;
            }
            out.push(unread);
        }
        Ok(out)
    }
}
