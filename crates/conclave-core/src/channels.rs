//! Channels: public/private creation, direct and group messages, membership, archiving,
//! conversion, reading state.

use std::collections::BTreeMap;

use conclave_model::channel::{
    CHANNEL_DIRECT, CHANNEL_GROUP, CHANNEL_OPEN, CHANNEL_PRIVATE, direct_channel_name,
};
use conclave_model::post::{
    POST_TYPE_ADD_TO_CHANNEL, POST_TYPE_CHANNEL_DELETED, POST_TYPE_CHANNEL_RESTORED,
    POST_TYPE_DISPLAYNAME_CHANGE, POST_TYPE_HEADER_CHANGE, POST_TYPE_JOIN_CHANNEL,
    POST_TYPE_LEAVE_CHANNEL, POST_TYPE_PURPOSE_CHANGE, POST_TYPE_REMOVE_FROM_CHANNEL,
};
use conclave_model::{
    Channel, ChannelMember, ChannelPatch, ChannelUnread, User, is_valid_id, new_id, now_ms,
};
use conclave_realtime::{Event, Membership, json_string};
use conclave_store::StoreError;
use serde_json::json;
use sha1::{Digest, Sha1};

use crate::access::channel_not_found;
use crate::accounts::{MAX_PER_PAGE, check_ids, page_size};
use crate::error::OrNotFound;
use crate::permissions::{
    CONVERT_PRIVATE_CHANNEL_TO_PUBLIC, CONVERT_PUBLIC_CHANNEL_TO_PRIVATE, CREATE_DIRECT_CHANNEL,
    CREATE_GROUP_CHANNEL, CREATE_PRIVATE_CHANNEL, CREATE_PUBLIC_CHANNEL, DELETE_PRIVATE_CHANNEL,
    DELETE_PUBLIC_CHANNEL, EDIT_OTHER_USERS, JOIN_PUBLIC_CHANNELS, LIST_TEAM_CHANNELS,
    MANAGE_CHANNEL_ROLES, MANAGE_PRIVATE_CHANNEL_MEMBERS, MANAGE_PRIVATE_CHANNEL_PROPERTIES,
    MANAGE_PUBLIC_CHANNEL_MEMBERS, MANAGE_PUBLIC_CHANNEL_PROPERTIES, MANAGE_SYSTEM, MANAGE_TEAM,
};
use crate::{Actor, App, Error, Result};

const GROUP_MIN: usize = 3;
const GROUP_MAX: usize = 8;
const HEADER_MAX: usize = 1024;
const PURPOSE_MAX: usize = 250;
const TOWN_SQUARE: &str = "town-square";

/// `POST /channels` input.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    pub team_id: String,
    pub name: String,
    pub display_name: String,
    pub channel_type: String,
    pub header: String,
    pub purpose: String,
}

fn member_not_found() -> Error {
    Error::not_found(
        "app.channel.get_member.missing.app_error",
        "No channel member found for that user ID and channel ID.",
    )
}

/// Unread counts of one member, from the channel's totals.
pub(crate) fn channel_unread(c: &Channel, m: &ChannelMember) -> ChannelUnread {
    ChannelUnread {
        team_id: c.team_id.clone(),
        channel_id: c.id.clone(),
        msg_count: (c.total_msg_count - m.msg_count).max(0),
        mention_count: m.mention_count,
        mention_count_root: m.mention_count_root,
        urgent_mention_count: m.urgent_mention_count,
        msg_count_root: (c.total_msg_count_root - m.msg_count_root).max(0),
    }
}

fn invalid(id: &'static str, message: &str) -> Error {
    Error::bad_request(id, message.to_owned())
}

fn check_channel_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !name.contains("__")
        && is_valid_id(name) == name.contains("__");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "model.channel.is_valid.2_or_more.app_error",
            "Invalid channel name.",
        ))
    }
}

fn check_channel_fields(display_name: &str, header: &str, purpose: &str) -> Result<()> {
    let n = display_name.trim().chars().count();
    if n == 0 || n > 64 {
        return Err(invalid(
            "model.channel.is_valid.display_name.app_error",
            "Display name must be 1 to 64 characters.",
        ));
    }
    if header.chars().count() > HEADER_MAX {
        return Err(invalid(
            "model.channel.is_valid.header.app_error",
            "The header is too long.",
        ));
    }
    if purpose.chars().count() > PURPOSE_MAX {
        return Err(invalid(
            "model.channel.is_valid.purpose.app_error",
            "The purpose is too long.",
        ));
    }
    Ok(())
}

fn group_channel_name(ids: &[String]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort();
    let digest = Sha1::digest(sorted.concat().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn conflict_to_existing(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(_) => invalid(
            "store.sql_channel.save_channel.exists.app_error",
            "A channel with that name already exists on the same team.",
        ),
        other => other.into(),
    }
}

impl App {
    pub async fn create_channel(&self, actor: &Actor, new: NewChannel) -> Result<Channel> {
        let permission = match new.channel_type.as_str() {
            CHANNEL_OPEN => CREATE_PUBLIC_CHANNEL,
            CHANNEL_PRIVATE => CREATE_PRIVATE_CHANNEL,
            _ => {
                return Err(invalid(
                    "model.channel.is_valid.type.app_error",
                    "Channel type must be O or P.",
                ));
            }
        };
        let team = self.load_team(&new.team_id).await?;
        self.require_in_team(actor, &team.id, permission).await?;
        if team.delete_at > 0 {
            return Err(invalid(
                "api.channel.create_channel.deleted_team.app_error",
                "The team is archived.",
            ));
        }
        let name = new.name.trim().to_lowercase();
        check_channel_name(&name)?;
        check_channel_fields(&new.display_name, &new.header, &new.purpose)?;
        let now = now_ms();
        let channel = Channel {
            id: new_id(),
            create_at: now,
            update_at: now,
            team_id: team.id,
            channel_type: new.channel_type,
            display_name: new.display_name.trim().to_owned(),
            name,
            header: new.header,
            purpose: new.purpose,
            creator_id: actor.user.id.clone(),
            ..Channel::default()
        };
        let member = ChannelMember::new(&channel.id, &actor.user.id, true, now);
        self.store
            .channels()
            .create(&channel, &[member])
            .await
            .map_err(conflict_to_existing)?;
        self.publish(
            Event::new("channel_created")
                .to_user(&actor.user.id)
                .with("channel_id", channel.id.as_str())
                .with("team_id", channel.team_id.as_str())
                .with_membership(joins(&channel.id, &actor.user.id)),
        );
        Ok(channel)
    }

    async fn active_users(&self, ids: &[String]) -> Result<Vec<User>> {
        if !ids.iter().all(|i| is_valid_id(i)) {
            return Err(Error::invalid_param("user_ids"));
        }
        let users = self.store.users().get_many(ids).await?;
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if users.len() != distinct.len() || users.iter().any(|u| !u.is_active()) {
            return Err(invalid(
                "api.channel.create_group.bad_user.app_error",
                "One of the users does not exist or is deactivated.",
            ));
        }
        Ok(users)
    }

    /// Returns the direct channel between two users, creating it the first time.
    pub async fn create_direct_channel(
        &self,
        actor: &Actor,
        user_ids: &[String],
    ) -> Result<(Channel, bool)> {
        actor.require(CREATE_DIRECT_CHANNEL)?;
        if user_ids.len() != 2 {
            return Err(Error::invalid_param("user_ids"));
        }
        if !user_ids.contains(&actor.user.id) && !actor.can(MANAGE_SYSTEM) {
            return Err(Error::forbidden());
        }
        self.active_users(user_ids).await?;
        let name = direct_channel_name(&user_ids[0], &user_ids[1]);
        if let Ok(existing) = self.store.channels().get_by_name("", &name).await {
            return Ok((existing, false));
        }
        let now = now_ms();
        let channel = Channel {
            id: new_id(),
            create_at: now,
            update_at: now,
            channel_type: CHANNEL_DIRECT.into(),
            name: name.clone(),
            creator_id: actor.user.id.clone(),
            ..Channel::default()
        };
        let mut members: Vec<ChannelMember> = user_ids
            .iter()
            .map(|u| ChannelMember::new(&channel.id, u, false, now))
            .collect();
        members.dedup_by(|a, b| a.user_id == b.user_id);
        match self.store.channels().create(&channel, &members).await {
            Ok(()) => {
                let teammate = user_ids
                    .iter()
                    .find(|u| **u != actor.user.id)
                    .unwrap_or(&user_ids[0]);
                let mut e = Event::new("direct_added")
                    .to_channel(&channel.id)
                    .with("creator_id", actor.user.id.as_str())
                    .with("teammate_id", teammate.as_str());
                for m in &members {
                    e = e.with_membership(joins(&channel.id, &m.user_id));
                }
                self.publish(e);
                Ok((channel, true))
            }
            // Created concurrently by the other person: theirs stands.
            Err(StoreError::Conflict(_)) => {
                Ok((self.store.channels().get_by_name("", &name).await?, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Returns the group channel for 3–8 users (the actor included), creating it once.
    pub async fn create_group_channel(
        &self,
        actor: &Actor,
        user_ids: &[String],
    ) -> Result<(Channel, bool)> {
        actor.require(CREATE_GROUP_CHANNEL)?;
        let mut ids = user_ids.to_vec();
        if !ids.contains(&actor.user.id) {
            ids.push(actor.user.id.clone());
        }
        ids.sort();
        ids.dedup();
        if !(GROUP_MIN..=GROUP_MAX).contains(&ids.len()) {
            return Err(invalid(
                "api.channel.create_group.bad_size.app_error",
                "Group messages must have at least 3 and no more than 8 users.",
            ));
        }
        let users = self.active_users(&ids).await?;
        let name = group_channel_name(&ids);
        if let Ok(existing) = self.store.channels().get_by_name("", &name).await {
            return Ok((existing, false));
        }
        let mut usernames: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        usernames.sort();
        let now = now_ms();
        let channel = Channel {
            id: new_id(),
            create_at: now,
            update_at: now,
            channel_type: CHANNEL_GROUP.into(),
            display_name: usernames.join(", "),
            name: name.clone(),
            creator_id: actor.user.id.clone(),
            ..Channel::default()
        };
        let members: Vec<ChannelMember> = ids
            .iter()
            .map(|u| ChannelMember::new(&channel.id, u, false, now))
            .collect();
        match self.store.channels().create(&channel, &members).await {
            Ok(()) => {
                let mut e = Event::new("group_added")
                    .to_channel(&channel.id)
                    .with("teammate_ids", json_string(&ids));
                for u in &ids {
                    e = e.with_membership(joins(&channel.id, u));
                }
                self.publish(e);
                Ok((channel, true))
            }
            Err(StoreError::Conflict(_)) => {
                Ok((self.store.channels().get_by_name("", &name).await?, false))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_channel(&self, actor: &Actor, channel_id: &str) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        access.require_read(actor)?;
        Ok(access.channel)
    }

    pub async fn get_channel_by_name(
        &self,
        actor: &Actor,
        team_id: &str,
        name: &str,
        include_deleted: bool,
    ) -> Result<Channel> {
        self.load_team(team_id).await?;
        let channel = self
            .store
            .channels()
            .get_by_name(team_id, &name.to_lowercase())
            .await
            .or_not_found(channel_not_found)?;
        if channel.delete_at > 0 && !include_deleted {
            return Err(channel_not_found());
        }
        let access = self.access_to(actor, channel).await?;
        // Private channels the caller cannot read do not exist for them, as in Mattermost.
        access.require_read(actor).map_err(|_| {
            Error::not_found(
                "app.channel.get_by_name.missing.app_error",
                "Channel does not exist.",
            )
        })?;
        Ok(access.channel)
    }

    pub async fn get_channel_by_team_and_channel_name(
        &self,
        actor: &Actor,
        team_name: &str,
        name: &str,
        include_deleted: bool,
    ) -> Result<Channel> {
        let team = self
            .store
            .teams()
            .get_by_name(&team_name.to_lowercase())
            .await
            .or_not_found(crate::access::team_not_found)?;
        self.get_channel_by_name(actor, &team.id, name, include_deleted)
            .await
    }

    pub async fn public_channels(
        &self,
        actor: &Actor,
        team_id: &str,
        archived: bool,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<Channel>> {
        self.load_team(team_id).await?;
        self.require_in_team(actor, team_id, LIST_TEAM_CHANNELS)
            .await?;
        let per_page = page_size(per_page);
        Ok(self
            .store
            .channels()
            .list_public(team_id, archived, page.max(0) * per_page, per_page)
            .await?)
    }

    pub async fn channels_by_ids(
        &self,
        actor: &Actor,
        team_id: &str,
        ids: &[String],
    ) -> Result<Vec<Channel>> {
        self.require_in_team(actor, team_id, LIST_TEAM_CHANNELS)
            .await?;
        check_ids(ids, self.config.limits.max_batch_items, "channel_ids")?;
        let mut out = Vec::new();
        for c in self.store.channels().get_many(ids).await? {
            if c.team_id == team_id
                && self
                    .access_to(actor, c.clone())
                    .await?
                    .require_read(actor)
                    .is_ok()
            {
                out.push(c);
            }
        }
        Ok(out)
    }

    pub async fn search_channels(
        &self,
        actor: &Actor,
        team_id: &str,
        term: &str,
        limit: i64,
    ) -> Result<Vec<Channel>> {
        self.require_in_team(actor, team_id, LIST_TEAM_CHANNELS)
            .await?;
        if term.chars().count() > 64 {
            return Err(Error::invalid_param("term"));
        }
        let limit = if limit <= 0 {
            50
        } else {
            limit.min(MAX_PER_PAGE)
        };
        Ok(self
            .store
            .channels()
            .search_public(team_id, term.trim(), limit)
            .await?)
    }

    /// Autocomplete: public channels plus the caller's own private channels that match.
    pub async fn autocomplete_channels(
        &self,
        actor: &Actor,
        team_id: &str,
        name: &str,
    ) -> Result<Vec<Channel>> {
        let mut found = self.search_channels(actor, team_id, name, 50).await?;
        let term = name.trim().to_lowercase();
        for c in self
            .store
            .channels()
            .list_for_user(&actor.user.id, team_id, false)
            .await?
        {
            let matches = c.name.contains(&term) || c.display_name.to_lowercase().contains(&term);
            if c.channel_type == CHANNEL_PRIVATE && c.team_id == team_id && matches {
                found.push(c);
            }
        }
        found.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.cmp(&b.id)));
        Ok(found)
    }

    pub async fn channels_for_user(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        include_deleted: bool,
    ) -> Result<Vec<Channel>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        Ok(self
            .store
            .channels()
            .list_for_user(user_id, team_id, include_deleted)
            .await?)
    }

    /// Every channel of the user across teams, plus direct and group channels.
    pub async fn all_channels_for_user(
        &self,
        actor: &Actor,
        user_id: &str,
    ) -> Result<Vec<Channel>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let mut out: BTreeMap<String, Channel> = BTreeMap::new();
        for c in self
            .store
            .channels()
            .list_for_user(user_id, "", false)
            .await?
        {
            out.insert(c.id.clone(), c);
        }
        for t in self.store.teams().list_for_user(user_id).await? {
            for c in self
                .store
                .channels()
                .list_for_user(user_id, &t.id, false)
                .await?
            {
                out.insert(c.id.clone(), c);
            }
        }
        Ok(out.into_values().collect())
    }

    pub async fn channel_members_for_user(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
    ) -> Result<Vec<ChannelMember>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        Ok(self
            .store
            .channels()
            .list_members_for_user(user_id, team_id)
            .await?)
    }

    /// Changes name, display name, header or purpose, writing the system messages Mattermost
    /// writes. Members of direct and group channels may change only the header.
    pub async fn patch_channel(
        &self,
        actor: &Actor,
        channel_id: &str,
        patch: ChannelPatch,
    ) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        let mut channel = access.channel.clone();
        if channel.is_dm_or_gm() {
            if access.member.is_none() {
                return Err(Error::forbidden());
            }
            if patch.name.is_some() || patch.display_name.is_some() || patch.purpose.is_some() {
                return Err(invalid(
                    "api.channel.patch_update_channel.forbidden.app_error",
                    "Only the header of a direct or group message can change.",
                ));
            }
        } else {
            access.require_by_privacy(
                actor,
                MANAGE_PUBLIC_CHANNEL_PROPERTIES,
                MANAGE_PRIVATE_CHANNEL_PROPERTIES,
            )?;
        }
        access.require_not_archived()?;
        let old = channel.clone();
        if let Some(v) = patch.name {
            let v = v.trim().to_lowercase();
            check_channel_name(&v)?;
            if old.name == TOWN_SQUARE && v != TOWN_SQUARE {
                return Err(invalid(
                    "api.channel.update_channel.tried.app_error",
                    "Town Square cannot be renamed.",
                ));
            }
            channel.name = v;
        }
        if let Some(v) = patch.display_name {
            channel.display_name = v.trim().to_owned();
        }
        if let Some(v) = patch.header {
            channel.header = v;
        }
        if let Some(v) = patch.purpose {
            channel.purpose = v;
        }
        if !channel.is_dm_or_gm() || channel.is_group() {
            check_channel_fields(
                if channel.is_direct() {
                    "-"
                } else {
                    &channel.display_name
                },
                &channel.header,
                &channel.purpose,
            )?;
        } else {
            check_channel_fields("-", &channel.header, &channel.purpose)?;
        }
        channel.update_at = now_ms();
        self.store
            .channels()
            .update(&channel)
            .await
            .map_err(conflict_to_existing)?;
        self.announce_channel_updated(&channel);
        let me = &actor.user;
        if old.header != channel.header {
            let text = format!(
                "@{} updated the channel header from: {} to: {}",
                me.username, old.header, channel.header
            );
            self.post_system(&channel, &me.id, POST_TYPE_HEADER_CHANGE, &text, json!({"username": me.username, "old_header": old.header, "new_header": channel.header})).await;
        }
        if old.purpose != channel.purpose {
            let text = format!(
                "{} updated the channel purpose from: {} to: {}",
                me.username, old.purpose, channel.purpose
            );
            self.post_system(&channel, &me.id, POST_TYPE_PURPOSE_CHANGE, &text, json!({"username": me.username, "old_purpose": old.purpose, "new_purpose": channel.purpose})).await;
        }
        if old.display_name != channel.display_name {
            let text = format!(
                "{} updated the channel display name from: {} to: {}",
                me.username, old.display_name, channel.display_name
            );
            self.post_system(&channel, &me.id, POST_TYPE_DISPLAYNAME_CHANGE, &text, json!({"username": me.username, "old_displayname": old.display_name, "new_displayname": channel.display_name})).await;
        }
        Ok(channel)
    }

    /// Archives a channel (soft delete). Town Square, direct and group channels stay.
    pub async fn archive_channel(&self, actor: &Actor, channel_id: &str) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        let mut channel = access.channel.clone();
        if channel.is_dm_or_gm() {
            return Err(invalid(
                "api.channel.delete_channel.type.invalid",
                "Direct and group messages cannot be archived.",
            ));
        }
        if channel.name == TOWN_SQUARE {
            return Err(invalid(
                "api.channel.delete_channel.cannot.app_error",
                "Town Square cannot be archived.",
            ));
        }
        access.require_by_privacy(actor, DELETE_PUBLIC_CHANNEL, DELETE_PRIVATE_CHANNEL)?;
        if channel.is_archived() {
            return Err(invalid(
                "api.channel.delete_channel.deleted.app_error",
                "The channel is already archived.",
            ));
        }
        let now = now_ms();
        let text = format!("@{} archived the channel", actor.user.username);
        self.post_system(
            &channel,
            &actor.user.id,
            POST_TYPE_CHANNEL_DELETED,
            &text,
            json!({"username": actor.user.username}),
        )
        .await;
        channel.delete_at = now;
        channel.update_at = now;
        self.store.channels().update(&channel).await?;
        self.publish(Self::to_audience(
            &channel,
            Event::new("channel_deleted")
                .with("channel_id", channel.id.as_str())
                .with("delete_at", now),
        ));
        Ok(channel)
    }

    pub async fn restore_channel(&self, actor: &Actor, channel_id: &str) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        let mut channel = access.channel.clone();
        if channel.is_dm_or_gm() {
            return Err(invalid(
                "api.channel.restore_channel.type.invalid",
                "Direct and group messages cannot be restored.",
            ));
        }
        self.require_in_team(actor, &channel.team_id, MANAGE_TEAM)
            .await?;
        if !channel.is_archived() {
            return Err(invalid(
                "api.channel.restore_channel.restored.app_error",
                "The channel is not archived.",
            ));
        }
        channel.delete_at = 0;
        channel.update_at = now_ms();
        self.store.channels().update(&channel).await?;
        self.publish(Self::to_audience(
            &channel,
            Event::new("channel_restored").with("channel_id", channel.id.as_str()),
        ));
        let text = format!("@{} unarchived the channel", actor.user.username);
        self.post_system(
            &channel,
            &actor.user.id,
            POST_TYPE_CHANNEL_RESTORED,
            &text,
            json!({"username": actor.user.username}),
        )
        .await;
        Ok(channel)
    }

    /// Converts between public (`O`) and private (`P`).
    pub async fn set_channel_privacy(
        &self,
        actor: &Actor,
        channel_id: &str,
        privacy: &str,
    ) -> Result<Channel> {
        let access = self.channel_access(actor, channel_id).await?;
        let mut channel = access.channel.clone();
        let permission = match (channel.channel_type.as_str(), privacy) {
            (CHANNEL_OPEN, CHANNEL_PRIVATE) => CONVERT_PUBLIC_CHANNEL_TO_PRIVATE,
            (CHANNEL_PRIVATE, CHANNEL_OPEN) => CONVERT_PRIVATE_CHANNEL_TO_PUBLIC,
            (a, b) if a == b && !channel.is_dm_or_gm() => return Ok(channel),
            _ => {
                return Err(invalid(
                    "api.channel.update_channel_privacy.invalid",
                    "Invalid privacy change.",
                ));
            }
        };
        if channel.name == TOWN_SQUARE {
            return Err(invalid(
                "api.channel.convert_channel_to_private.default_channel_error",
                "Town Square cannot be made private.",
            ));
        }
        access.require(actor, permission)?;
        access.require_not_archived()?;
        channel.channel_type = privacy.to_owned();
        channel.update_at = now_ms();
        self.store.channels().update(&channel).await?;
        self.publish(
            Event::new("channel_converted")
                .to_team(&channel.team_id)
                .with("channel_id", channel.id.as_str())
                .with("channel_type", channel.channel_type.as_str()),
        );
        self.announce_channel_updated(&channel);
        Ok(channel)
    }

    /// `(member_count, pinned_post_count)`.
    pub async fn channel_stats(&self, actor: &Actor, channel_id: &str) -> Result<(i64, i64)> {
        self.channel_access(actor, channel_id)
            .await?
            .require_read(actor)?;
        let members = self.store.channels().member_count(channel_id).await?;
        let pinned = self.store.posts().pinned_count(channel_id).await?;
        Ok((members, pinned))
    }

    pub async fn channel_members(
        &self,
        actor: &Actor,
        channel_id: &str,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<ChannelMember>> {
        self.channel_access(actor, channel_id)
            .await?
            .require_read(actor)?;
        let per_page = page_size(per_page);
        Ok(self
            .store
            .channels()
            .list_members(channel_id, page.max(0) * per_page, per_page)
            .await?)
    }

    pub async fn channel_member(
        &self,
        actor: &Actor,
        channel_id: &str,
        user_id: &str,
    ) -> Result<ChannelMember> {
        self.channel_access(actor, channel_id)
            .await?
            .require_read(actor)?;
        self.store
            .channels()
            .get_member(channel_id, user_id)
            .await
            .or_not_found(member_not_found)
    }

    pub async fn channel_members_by_ids(
        &self,
        actor: &Actor,
        channel_id: &str,
        ids: &[String],
    ) -> Result<Vec<ChannelMember>> {
        self.channel_access(actor, channel_id)
            .await?
            .require_read(actor)?;
        check_ids(ids, self.config.limits.max_batch_items, "user_ids")?;
        Ok(self
            .store
            .channels()
            .members_by_ids(channel_id, ids)
            .await?)
    }

    /// Joins oneself to a public channel, or adds someone (who must be on the team).
    pub async fn add_channel_member(
        &self,
        actor: &Actor,
        channel_id: &str,
        user_id: &str,
    ) -> Result<ChannelMember> {
        let access = self.channel_access(actor, channel_id).await?;
        let channel = access.channel.clone();
        if channel.is_dm_or_gm() {
            return Err(invalid(
                "api.channel.add_user_to_channel.type.app_error",
                "Users cannot be added to direct or group messages.",
            ));
        }
        access.require_not_archived()?;
        if !is_valid_id(user_id) {
            return Err(Error::invalid_param("user_id"));
        }
        let own = actor.user.id == user_id;
        if own && channel.is_public() {
            if !access.can(actor, JOIN_PUBLIC_CHANNELS) {
                return Err(Error::forbidden());
            }
        } else {
            if access.member.is_none() && !actor.can(MANAGE_SYSTEM) {
                return Err(Error::forbidden());
            }
            access.require_by_privacy(
                actor,
                MANAGE_PUBLIC_CHANNEL_MEMBERS,
                MANAGE_PRIVATE_CHANNEL_MEMBERS,
            )?;
        }
        let user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        if !user.is_active() || self.team_member(&channel.team_id, user_id).await?.is_none() {
            return Err(invalid(
                "api.channel.add_user.to.channel.failed.deleted.app_error",
                "The user is not an active member of the team.",
            ));
        }
        if let Ok(existing) = self.store.channels().get_member(channel_id, user_id).await {
            return Ok(existing);
        }
        let member = ChannelMember::new(channel_id, user_id, false, now_ms());
        match self.store.channels().add_member(&member).await {
            Ok(()) => self.publish(
                Event::new("user_added")
                    .to_channel(channel_id)
                    .with("user_id", user_id)
                    .with("team_id", channel.team_id.as_str())
                    .with_membership(joins(channel_id, user_id)),
            ),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if own {
            let text = format!("@{} joined the channel.", user.username);
            self.post_system(
                &channel,
                user_id,
                POST_TYPE_JOIN_CHANNEL,
                &text,
                json!({"username": user.username}),
            )
            .await;
        } else {
            let text = format!(
                "@{} added to the channel by @{}.",
                user.username, actor.user.username
            );
            self.post_system(&channel, &actor.user.id, POST_TYPE_ADD_TO_CHANNEL, &text, json!({"userId": actor.user.id, "username": actor.user.username, "addedUserId": user_id, "addedUsername": user.username})).await;
        }
        Ok(self
            .store
            .channels()
            .get_member(channel_id, user_id)
            .await?)
    }

    /// Leaves (oneself) or removes someone from a channel.
    pub async fn remove_channel_member(
        &self,
        actor: &Actor,
        channel_id: &str,
        user_id: &str,
    ) -> Result<()> {
        let access = self.channel_access(actor, channel_id).await?;
        let channel = access.channel.clone();
        if channel.is_dm_or_gm() {
            return Err(invalid(
                "api.channel.remove_user_from_channel.type.app_error",
                "Nobody can leave a direct or group message.",
            ));
        }
        if channel.name == TOWN_SQUARE {
            return Err(invalid(
                "api.channel.remove.default.app_error",
                "Nobody can leave Town Square.",
            ));
        }
        let own = actor.user.id == user_id;
        if !own {
            access.require_by_privacy(
                actor,
                MANAGE_PUBLIC_CHANNEL_MEMBERS,
                MANAGE_PRIVATE_CHANNEL_MEMBERS,
            )?;
        }
        let user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        self.store
            .channels()
            .remove_member(channel_id, user_id)
            .await
            .or_not_found(|| {
                invalid(
                    "api.channel.remove_user_from_channel.not_member",
                    "That user is not a member of the channel.",
                )
            })?;
        self.publish(
            Event::new("user_removed")
                .to_channel(channel_id)
                .with("user_id", user_id)
                .with("remover_id", actor.user.id.as_str())
                .with_membership(Membership::LeaveChannel {
                    user_id: user_id.to_owned(),
                    channel_id: channel_id.to_owned(),
                }),
        );
        self.publish(
            Event::new("user_removed")
                .to_user(user_id)
                .with("channel_id", channel_id)
                .with("remover_id", actor.user.id.as_str()),
        );
        if own {
            let text = format!("@{} left the channel.", user.username);
            self.post_system(
                &channel,
                user_id,
                POST_TYPE_LEAVE_CHANNEL,
                &text,
                json!({"username": user.username}),
            )
            .await;
        } else {
            let text = format!("@{} removed from the channel.", user.username);
            self.post_system(
                &channel,
                &actor.user.id,
                POST_TYPE_REMOVE_FROM_CHANNEL,
                &text,
                json!({"removedUserId": user_id, "removedUsername": user.username}),
            )
            .await;
        }
        Ok(())
    }

    pub async fn update_channel_member_roles(
        &self,
        actor: &Actor,
        channel_id: &str,
        user_id: &str,
        roles: &str,
    ) -> Result<()> {
        let access = self.channel_access(actor, channel_id).await?;
        access.require(actor, MANAGE_CHANNEL_ROLES)?;
        let mut member = self
            .store
            .channels()
            .get_member(channel_id, user_id)
            .await
            .or_not_found(member_not_found)?;
        let wanted: Vec<&str> = roles.split_whitespace().collect();
        if !wanted.contains(&"channel_user")
            || wanted
                .iter()
                .any(|r| !matches!(*r, "channel_user" | "channel_admin"))
        {
            return Err(invalid(
                "api.channel.update_channel_member_roles.scheme_role.app_error",
                "Invalid channel roles.",
            ));
        }
        member.scheme_admin = wanted.contains(&"channel_admin");
        member.roles = if member.scheme_admin {
            "channel_user channel_admin"
        } else {
            "channel_user"
        }
        .into();
        member.last_update_at = now_ms();
        self.store.channels().update_member(&member).await?;
        self.announce_member_updated(&member);
        Ok(())
    }

    /// `channel_member_updated`, to the member.
    fn announce_member_updated(&self, member: &ChannelMember) {
        self.publish(
            Event::new("channel_member_updated")
                .to_user(&member.user_id)
                .with("channelMember", json_string(member)),
        );
    }

    /// `channel_updated`, to the channel's members.
    fn announce_channel_updated(&self, channel: &Channel) {
        self.publish(
            Event::new("channel_updated")
                .to_channel(&channel.id)
                .with("channel", json_string(channel)),
        );
    }

    /// Events about a whole channel go to the team for public channels (everyone may see
    /// them in the list) and to the members for private ones.
    fn to_audience(channel: &Channel, event: Event) -> Event {
        if channel.is_public() {
            event.to_team(&channel.team_id)
        } else {
            event.to_channel(&channel.id)
        }
    }

    /// Merges notification settings into a member's `notify_props`.
    pub async fn update_channel_member_notify_props(
        &self,
        actor: &Actor,
        channel_id: &str,
        user_id: &str,
        props: BTreeMap<String, String>,
    ) -> Result<ChannelMember> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let mut member = self
            .store
            .channels()
            .get_member(channel_id, user_id)
            .await
            .or_not_found(member_not_found)?;
        const ALLOWED: &[&str] = &[
            "desktop",
            "desktop_sound",
            "desktop_threads",
            "email",
            "push",
            "push_threads",
            "mark_unread",
            "ignore_channel_mentions",
            "channel_auto_follow_threads",
        ];
        for (k, v) in props {
            if !ALLOWED.contains(&k.as_str()) || v.chars().count() > 64 {
                return Err(invalid(
                    "model.channel_member.is_valid.notify_level.app_error",
                    "Invalid notify props.",
                ));
            }
            member.notify_props.insert(k, v);
        }
        member.last_update_at = now_ms();
        self.store.channels().update_member(&member).await?;
        self.announce_member_updated(&member);
        Ok(member)
    }

    /// Marks channels read; returns each channel's `last_post_at` (Mattermost's
    /// `last_viewed_at_times`).
    pub async fn view_channels(
        &self,
        actor: &Actor,
        user_id: &str,
        channel_ids: &[String],
    ) -> Result<BTreeMap<String, i64>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let ids: Vec<String> = channel_ids
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect();
        if ids.len() > self.config.limits.max_batch_items || !ids.iter().all(|i| is_valid_id(i)) {
            return Err(Error::invalid_param("channel_id"));
        }
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let now = now_ms();
        let viewed: BTreeMap<String, i64> = self
            .store
            .channels()
            .mark_viewed(user_id, &ids, now)
            .await?
            .into_iter()
            .collect();
        if !viewed.is_empty() {
            let times: serde_json::Map<String, serde_json::Value> =
                viewed.keys().map(|c| (c.clone(), now.into())).collect();
            self.publish(
                Event::new("multiple_channels_viewed")
                    .to_user(user_id)
                    .with("channel_times", times),
            );
        }
        Ok(viewed)
    }

    pub async fn channel_unread(
        &self,
        actor: &Actor,
        user_id: &str,
        channel_id: &str,
    ) -> Result<ChannelUnread> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let c = self
            .store
            .channels()
            .get(channel_id)
            .await
            .or_not_found(channel_not_found)?;
        let m = self
            .store
            .channels()
            .get_member(channel_id, user_id)
            .await
            .or_not_found(member_not_found)?;
        Ok(channel_unread(&c, &m))
    }
}

fn joins(channel_id: &str, user_id: &str) -> Membership {
    Membership::JoinChannel {
        user_id: user_id.to_owned(),
        channel_id: channel_id.to_owned(),
    }
}
