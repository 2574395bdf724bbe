//! Resolves an actor's roles in a team or channel and answers permission questions there.
//! A permission holds if any role at that scope or an enclosing one grants it (channel →
//! team → system); system admins hold every permission.

use conclave_model::{Channel, ChannelMember, Team, TeamMember};
use conclave_store::StoreError;

use crate::error::OrNotFound;
use crate::permissions::{self, Permission, READ_CHANNEL, READ_PUBLIC_CHANNEL};
use crate::{Actor, App, Error, Result};

/// The actor's memberships around one channel.
pub(crate) struct ChannelAccess {
    pub channel: Channel,
    pub member: Option<ChannelMember>,
    pub team_member: Option<TeamMember>,
}

impl ChannelAccess {
    /// Whether the actor holds `permission` in this channel.
    pub fn can(&self, actor: &Actor, permission: Permission) -> bool {
        if actor.can(permission) {
            return true;
        }
        let team_roles = self
            .team_member
            .as_ref()
            .map(|m| m.roles.as_str())
            .unwrap_or("");
        let channel_roles = self.member.as_ref().map(|m| m.roles.as_str()).unwrap_or("");
        permissions::roles_grant(channel_roles, permission)
            || permissions::roles_grant(team_roles, permission)
    }

    pub fn require(&self, actor: &Actor, permission: Permission) -> Result<()> {
        if self.can(actor, permission) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    /// Requires the public-channel or the private-channel variant of a permission.
    pub fn require_by_privacy(
        &self,
        actor: &Actor,
        public: Permission,
        private: Permission,
    ) -> Result<()> {
        self.require(
            actor,
            if self.channel.is_public() {
                public
            } else {
                private
            },
        )
    }

    /// Reading: members, and team members for public channels.
    pub fn require_read(&self, actor: &Actor) -> Result<()> {
        let public_to_team = self.channel.is_public() && self.can(actor, READ_PUBLIC_CHANNEL);
        if self.member.is_some() || public_to_team || actor.can(READ_CHANNEL) {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    pub fn require_not_archived(&self) -> Result<()> {
        if self.channel.is_archived() {
            Err(Error::bad_request(
                "api.post.create_post.can_not_post_to_deleted.error",
                "Can not post to an archived channel.",
            ))
        } else {
            Ok(())
        }
    }
}

pub(crate) fn channel_not_found() -> Error {
    Error::not_found(
        "app.channel.get.existing.app_error",
        "Unable to find the existing channel.",
    )
}

pub(crate) fn team_not_found() -> Error {
    Error::not_found(
        "app.team.get.find.app_error",
        "Unable to find the existing team.",
    )
}

impl App {
    /// The active team membership, if any.
    pub(crate) async fn team_member(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> Result<Option<TeamMember>> {
        match self.store.teams().get_member(team_id, user_id).await {
            Ok(m) if m.delete_at == 0 => Ok(Some(m)),
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) async fn load_team(&self, team_id: &str) -> Result<Team> {
        if !conclave_model::is_valid_id(team_id) {
            return Err(Error::invalid_param("team_id"));
        }
        self.store
            .teams()
            .get(team_id)
            .await
            .or_not_found(team_not_found)
    }

    /// Whether the actor holds `permission` in the team.
    pub(crate) async fn can_in_team(
        &self,
        actor: &Actor,
        team_id: &str,
        permission: Permission,
    ) -> Result<bool> {
        if actor.can(permission) {
            return Ok(true);
        }
        Ok(self
            .team_member(team_id, &actor.user.id)
            .await?
            .is_some_and(|m| permissions::roles_grant(&m.roles, permission)))
    }

    pub(crate) async fn require_in_team(
        &self,
        actor: &Actor,
        team_id: &str,
        permission: Permission,
    ) -> Result<()> {
        if self.can_in_team(actor, team_id, permission).await? {
            Ok(())
        } else {
            Err(Error::forbidden())
        }
    }

    pub(crate) async fn channel_access(
        &self,
        actor: &Actor,
        channel_id: &str,
    ) -> Result<ChannelAccess> {
        if !conclave_model::is_valid_id(channel_id) {
            return Err(Error::invalid_param("channel_id"));
        }
        let channel = self
            .store
            .channels()
            .get(channel_id)
            .await
            .or_not_found(channel_not_found)?;
        self.access_to(actor, channel).await
    }

    pub(crate) async fn access_to(&self, actor: &Actor, channel: Channel) -> Result<ChannelAccess> {
        let member = match self
            .store
            .channels()
            .get_member(&channel.id, &actor.user.id)
            .await
        {
            Ok(m) => Some(m),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let team_member = if channel.team_id.is_empty() {
            None
        } else {
            self.team_member(&channel.team_id, &actor.user.id).await?
        };
        Ok(ChannelAccess {
            channel,
            member,
            team_member,
        })
    }
}
