//! User accounts: sign-up, profiles, passwords, activation, roles, lookup and search.

use conclave_model::validate::{self, PASSWORD_MAX_BYTES};
use conclave_model::{User, UserPatch, is_valid_id, new_id, now_ms};
use conclave_realtime::{Event, Membership};
use conclave_store::{StoreError, UserQuery};

use crate::error::OrNotFound;
use crate::permissions::{
    self, CREATE_USER, EDIT_OTHER_USERS, MANAGE_ROLES, MANAGE_SYSTEM, VIEW_MEMBERS,
};
use crate::{Actor, App, Error, ErrorKind, Result, blocking, password};

/// Sign-up fields from `POST /users` (or the CLI).
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub nickname: String,
    pub position: String,
    pub locale: String,
    pub props: std::collections::BTreeMap<String, String>,
    /// Only honoured for an admin (or the operator's CLI).
    pub system_admin: bool,
}

/// `GET /users` filters after paging is resolved.
#[derive(Debug, Clone, Default)]
pub struct UserListQuery {
    pub page: i64,
    pub per_page: i64,
    pub active: Option<bool>,
    pub role: Option<String>,
}

pub const MAX_PER_PAGE: i64 = 200;
pub const DEFAULT_PER_PAGE: i64 = 60;
const SEARCH_LIMIT_MAX: i64 = 1000;

/// A requested page size, defaulted and capped as Mattermost does.
pub(crate) fn page_size(per_page: i64) -> i64 {
    if per_page <= 0 {
        DEFAULT_PER_PAGE
    } else {
        per_page.min(MAX_PER_PAGE)
    }
}

/// Checks a batch of ids from a request body: non-empty, bounded, well-formed.
pub(crate) fn check_ids(ids: &[String], max: usize, name: &str) -> Result<()> {
    if ids.is_empty() || ids.len() > max || !ids.iter().all(|i| is_valid_id(i)) {
        return Err(Error::invalid_param(name));
    }
    Ok(())
}
const SEARCH_TERM_MAX: usize = 64;

fn conflict_to_bad_request(e: Error) -> Error {
    if e.kind != ErrorKind::Conflict {
        return e;
    }
    if e.message.contains("email") {
        Error::bad_request(
            "app.user.save.email_exists.app_error",
            "An account with that email already exists.",
        )
    } else {
        Error::bad_request(
            "app.user.save.username_exists.app_error",
            "An account with that username already exists.",
        )
    }
}

impl App {
    fn check_password_policy(&self, password: &str) -> Result<()> {
        let min = self.config.auth.password_minimum_length;
        if password.chars().count() < min || password.len() > PASSWORD_MAX_BYTES {
            return Err(Error::bad_request(
                "model.user.is_valid.pwd.app_error",
                format!(
                    "Your password must contain between {min} and {PASSWORD_MAX_BYTES} characters."
                ),
            ));
        }
        Ok(())
    }

    /// Creates an account. Allowed for the very first user (who becomes system admin), for
    /// anyone when open sign-up is on, and always for admins.
    pub async fn create_user(&self, actor: Option<&Actor>, new: NewUser) -> Result<User> {
        let admin = actor.is_some_and(|a| a.can(CREATE_USER));
        if !admin && !self.config.auth.enable_open_server && self.store.users().count().await? > 0 {
            return Err(Error::new(
                ErrorKind::Forbidden,
                "api.user.create_user.no_open_server",
                "This server does not allow open signups. Please speak with your Administrator.",
            ));
        }
        self.check_password_policy(&new.password)?;
        let now = now_ms();
        let mut user = User {
            id: new_id(),
            create_at: now,
            update_at: now,
            username: new.username.trim().to_lowercase(),
            email: new.email.trim().to_lowercase(),
            first_name: new.first_name,
            last_name: new.last_name,
            nickname: new.nickname,
            position: new.position,
            locale: if new.locale.is_empty() {
                "en".into()
            } else {
                new.locale
            },
            props: new.props,
            roles: if admin && new.system_admin {
                "system_admin system_user".into()
            } else {
                "system_user".into()
            },
            notify_props: User::default_notify_props(),
            timezone: User::default_timezone(),
            last_password_update: now,
            ..User::default()
        };
        validate::user(&user)?;
        let plain = new.password;
        user.password_hash = blocking(move || password::hash(&plain))
            .await?
            .map_err(Error::internal)?;
        let user = self
            .store
            .users()
            .create(user, true)
            .await
            .map_err(|e| conflict_to_bad_request(e.into()))?;
        let (by, ip, session) = match actor {
            Some(a) => (a.user.id.as_str(), a.ip.as_str(), a.session.id.as_str()),
            None => ("", "", ""),
        };
        self.audit(
            &user.id,
            "user_created",
            &format!("by={by} roles={}", user.roles),
            ip,
            session,
        )
        .await;
        self.publish(Event::new("new_user").with("user_id", user.id.as_str()));
        Ok(user)
    }

    /// `user_updated` to everyone: the whole user for admins and the user, the sanitised
    /// one for others.
    fn announce_user_updated(&self, user: &User) {
        let mut restricted = user.clone();
        let p = &self.config.privacy;
        restricted.sanitize_for_others(p.show_email_address, p.show_full_name);
        let mut e = Event::new("user_updated").with("user", to_value(user));
        e.restricted = Some(
            [("user".to_owned(), to_value(&restricted))]
                .into_iter()
                .collect(),
        );
        e.restricted_subject = user.id.clone();
        self.publish(e);
    }

    /// Shapes a user for `viewer`: full for oneself and admins, sanitised for everyone else.
    pub fn user_for_viewer(&self, viewer: &Actor, mut user: User) -> User {
        if viewer.user.id != user.id && !viewer.can(EDIT_OTHER_USERS) {
            let p = &self.config.privacy;
            user.sanitize_for_others(p.show_email_address, p.show_full_name);
        }
        user
    }

    fn users_for_viewer(&self, viewer: &Actor, users: Vec<User>) -> Vec<User> {
        users
            .into_iter()
            .map(|u| self.user_for_viewer(viewer, u))
            .collect()
    }

    async fn load_user(&self, id: &str) -> Result<User> {
        if !is_valid_id(id) {
            return Err(Error::invalid_param("user_id"));
        }
        self.store
            .users()
            .get(id)
            .await
            .or_not_found(Error::user_not_found)
    }

    pub async fn get_user(&self, actor: &Actor, id: &str) -> Result<User> {
        if actor.user.id != id {
            actor.require(VIEW_MEMBERS)?;
        }
        let user = self.load_user(id).await?;
        Ok(self.user_for_viewer(actor, user))
    }

    pub async fn get_user_by_username(&self, actor: &Actor, username: &str) -> Result<User> {
        actor.require(VIEW_MEMBERS)?;
        let user = self
            .store
            .users()
            .get_by_username(&username.to_lowercase())
            .await
            .or_not_found(Error::user_not_found)?;
        Ok(self.user_for_viewer(actor, user))
    }

    pub async fn get_user_by_email(&self, actor: &Actor, email: &str) -> Result<User> {
        actor.require(VIEW_MEMBERS)?;
        // Looking people up by email would reveal hidden addresses.
        if !self.config.privacy.show_email_address && !actor.can(EDIT_OTHER_USERS) {
            return Err(Error::forbidden());
        }
        let user = self
            .store
            .users()
            .get_by_email(&email.to_lowercase())
            .await
            .or_not_found(Error::user_not_found)?;
        Ok(self.user_for_viewer(actor, user))
    }

    fn check_batch(&self, items: &[String]) -> Result<()> {
        if items.len() > self.config.limits.max_batch_items {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                "api.context.request_body_too_large.app_error",
                format!(
                    "At most {} items per request.",
                    self.config.limits.max_batch_items
                ),
            ));
        }
        Ok(())
    }

    pub async fn get_users_by_ids(
        &self,
        actor: &Actor,
        ids: &[String],
        since: i64,
    ) -> Result<Vec<User>> {
        actor.require(VIEW_MEMBERS)?;
        self.check_batch(ids)?;
        if ids.is_empty() {
            return Err(Error::invalid_param("user_ids"));
        }
        if !ids.iter().all(|id| is_valid_id(id)) {
            return Err(Error::invalid_param("user_ids"));
        }
        let users = self.store.users().get_many(ids).await?;
        let users = users.into_iter().filter(|u| u.update_at > since).collect();
        Ok(self.users_for_viewer(actor, users))
    }

    pub async fn get_users_by_usernames(
        &self,
        actor: &Actor,
        names: &[String],
    ) -> Result<Vec<User>> {
        actor.require(VIEW_MEMBERS)?;
        self.check_batch(names)?;
        if names.is_empty() {
            return Err(Error::invalid_param("usernames"));
        }
        let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        let users = self.store.users().get_by_usernames(&names).await?;
        Ok(self.users_for_viewer(actor, users))
    }

    pub async fn list_users(&self, actor: &Actor, q: UserListQuery) -> Result<Vec<User>> {
        actor.require(VIEW_MEMBERS)?;
        let per_page = page_size(q.per_page);
        let query = UserQuery {
            offset: q.page.max(0).saturating_mul(per_page),
            limit: per_page,
            active: q.active,
            role: q.role,
        };
        let users = self.store.users().list(&query).await?;
        Ok(self.users_for_viewer(actor, users))
    }

    /// `POST /users/search` and autocomplete: substring match on names; emails only where
    /// the viewer may see them.
    /// Keeps the users `scope` admits (team and channel membership filters), at most `limit`.
    async fn scoped(
        &self,
        actor: &Actor,
        users: Vec<User>,
        scope: &UserScope,
        limit: i64,
    ) -> Result<Vec<User>> {
        let mut users = users;
        let ids = |us: &[User]| us.iter().map(|u| u.id.clone()).collect::<Vec<_>>();
        for (team, wanted) in [(&scope.in_team, true), (&scope.not_in_team, false)] {
            if team.is_empty() || users.is_empty() {
                continue;
            }
            self.require_in_team(actor, team, crate::permissions::VIEW_TEAM)
                .await?;
            let members: Vec<String> = self
                .store
                .teams()
                .members_by_ids(team, &ids(&users))
                .await?
                .into_iter()
                .filter(|m| m.delete_at == 0)
                .map(|m| m.user_id)
                .collect();
            users.retain(|u| members.contains(&u.id) == wanted);
        }
        for (channel, wanted) in [(&scope.in_channel, true), (&scope.not_in_channel, false)] {
            if channel.is_empty() || users.is_empty() {
                continue;
            }
            self.channel_access(actor, channel)
                .await?
                .require_read(actor)?;
            let members: Vec<String> = self
                .store
                .channels()
                .members_by_ids(channel, &ids(&users))
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            users.retain(|u| members.contains(&u.id) == wanted);
        }
        users.truncate(limit as usize);
        Ok(users)
    }

    pub async fn search_users(
        &self,
        actor: &Actor,
        term: &str,
        allow_inactive: bool,
        limit: i64,
        scope: &UserScope,
    ) -> Result<Vec<User>> {
        actor.require(VIEW_MEMBERS)?;
        let term = term.trim().trim_start_matches('@');
        if term.chars().count() > SEARCH_TERM_MAX {
            return Err(Error::invalid_param("term"));
        }
        let limit = if limit <= 0 {
            100
        } else {
            limit.min(SEARCH_LIMIT_MAX)
        };
        let include_email = self.config.privacy.show_email_address || actor.can(EDIT_OTHER_USERS);
        let allow_inactive = allow_inactive && actor.can(EDIT_OTHER_USERS);
        let users = self
            .store
            .users()
            .search(term, include_email, allow_inactive, scope.fetch(limit))
            .await?;
        let users = self.scoped(actor, users, scope, limit).await?;
        Ok(self.users_for_viewer(actor, users))
    }

    pub async fn autocomplete_users(
        &self,
        actor: &Actor,
        name: &str,
        limit: i64,
        scope: &UserScope,
    ) -> Result<Vec<User>> {
        actor.require(VIEW_MEMBERS)?;
        let name = name.trim().trim_start_matches('@');
        if name.chars().count() > SEARCH_TERM_MAX {
            return Err(Error::invalid_param("name"));
        }
        let limit = if limit <= 0 {
            100
        } else {
            limit.min(SEARCH_LIMIT_MAX)
        };
        let users = self
            .store
            .users()
            .search(name, false, false, scope.fetch(limit))
            .await?;
        let users = self.scoped(actor, users, scope, limit).await?;
        Ok(self.users_for_viewer(actor, users))
    }

    pub async fn patch_user(&self, actor: &Actor, id: &str, patch: UserPatch) -> Result<User> {
        actor.require_self_or(id, EDIT_OTHER_USERS)?;
        let mut user = self.load_user(id).await?;
        if let Some(v) = patch.username {
            user.username = v.trim().to_lowercase();
        }
        if let Some(v) = patch.email {
            user.email = v.trim().to_lowercase();
        }
        if let Some(v) = patch.nickname {
            user.nickname = v;
        }
        if let Some(v) = patch.first_name {
            user.first_name = v;
        }
        if let Some(v) = patch.last_name {
            user.last_name = v;
        }
        if let Some(v) = patch.position {
            user.position = v;
        }
        if let Some(v) = patch.props {
            user.props = v;
        }
        if let Some(v) = patch.notify_props {
            user.notify_props = v;
        }
        if let Some(v) = patch.locale {
            user.locale = v;
        }
        if let Some(v) = patch.timezone {
            user.timezone = v;
        }
        validate::user(&user)?;
        user.update_at = now_ms();
        self.store
            .users()
            .update(&user)
            .await
            .map_err(|e| conflict_to_bad_request(e.into()))?;
        self.announce_user_updated(&user);
        Ok(self.user_for_viewer(actor, user))
    }

    /// Changes a password. Users must give their current one; admins changing someone
    /// else's need not. Every other session of that user ends.
    pub async fn update_password(
        &self,
        actor: &Actor,
        id: &str,
        current: &str,
        new: &str,
    ) -> Result<()> {
        actor.require_self_or(id, EDIT_OTHER_USERS)?;
        let mut user = self.load_user(id).await?;
        let own = actor.user.id == id;
        if own {
            let (cur, stored) = (current.to_owned(), user.password_hash.clone());
            if cur.is_empty() || !blocking(move || password::verify(&cur, &stored)).await? {
                return Err(Error::bad_request(
                    "api.user.update_password.incorrect.app_error",
                    "The \"Current Password\" you entered is incorrect.",
                ));
            }
        }
        self.check_password_policy(new)?;
        let plain = new.to_owned();
        user.password_hash = blocking(move || password::hash(&plain))
            .await?
            .map_err(Error::internal)?;
        user.last_password_update = now_ms();
        user.update_at = user.last_password_update;
        self.store.users().update(&user).await?;
        self.store.users().reset_failed_attempts(&user.id).await?;
        for session in self.store.sessions().list_for_user(&user.id).await? {
            if session.id != actor.session.id {
                self.store.sessions().delete(&session.id).await.ok();
                self.hub.close_sessions(&[session.id]);
            }
        }
        self.audit_by(actor, &user.id, "password_updated", "").await;
        Ok(())
    }

    /// Activates or deactivates an account. Deactivation ends all its sessions.
    pub async fn set_user_active(&self, actor: &Actor, id: &str, active: bool) -> Result<()> {
        let own = actor.user.id == id && !actor.session.local;
        if !(own && !active && self.config.auth.enable_user_deactivation) {
            actor.require(EDIT_OTHER_USERS)?;
        }
        let mut user = self.load_user(id).await?;
        if user.is_active() == active {
            return Ok(());
        }
        let now = now_ms();
        user.delete_at = if active { 0 } else { now };
        user.update_at = now;
        self.store.users().update(&user).await?;
        if !active {
            self.store.sessions().delete_for_user(&user.id).await?;
            self.hub.close_user(&user.id);
        }
        self.announce_user_updated(&user);
        let action = if active {
            "user_activated"
        } else {
            "user_deactivated"
        };
        self.audit_by(actor, &user.id, action, "").await;
        Ok(())
    }

    pub async fn update_user_roles(&self, actor: &Actor, id: &str, roles: &str) -> Result<()> {
        actor.require(MANAGE_ROLES)?;
        let roles = permissions::normalize_system_roles(roles).ok_or_else(|| {
            Error::bad_request("api.user.update_user_roles.invalid_roles", "Invalid roles.")
        })?;
        let mut user = self.load_user(id).await?;
        user.roles = roles;
        user.update_at = now_ms();
        self.store.users().update(&user).await?;
        self.store
            .sessions()
            .update_roles_for_user(&user.id, &user.roles)
            .await?;
        self.publish(
            Event::new("user_role_updated")
                .to_user(&user.id)
                .with("user_id", user.id.as_str())
                .with("roles", user.roles.as_str())
                .with_membership(Membership::Admin {
                    user_id: user.id.clone(),
                    is_admin: permissions::roles_grant(&user.roles, MANAGE_SYSTEM),
                }),
        );
        self.audit_by(
            actor,
            &user.id,
            "roles_updated",
            &format!("roles={}", user.roles),
        )
        .await;
        Ok(())
    }

    /// Unlocks an account locked by failed logins.
    pub async fn reset_failed_attempts(&self, actor: &Actor, id: &str) -> Result<()> {
        actor.require(MANAGE_SYSTEM)?;
        self.load_user(id).await?;
        match self.store.users().reset_failed_attempts(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(Error::user_not_found()),
            Err(e) => return Err(e.into()),
        }
        self.audit_by(actor, id, "failed_attempts_reset", "").await;
        Ok(())
    }

    /// Looks a user up by username or email, for the operator's CLI.
    pub async fn find_user(&self, login: &str) -> Result<User> {
        let login = login.trim().to_lowercase();
        match self.store.users().get_by_username(&login).await {
            Err(StoreError::NotFound) => self
                .store
                .users()
                .get_by_email(&login)
                .await
                .or_not_found(Error::user_not_found),
            other => Ok(other?),
        }
    }
}

/// Membership filters of user search and autocomplete (ids; empty = no filter).
#[derive(Debug, Clone, Default)]
pub struct UserScope {
    pub in_team: String,
    pub not_in_team: String,
    pub in_channel: String,
    pub not_in_channel: String,
}

impl UserScope {
    fn is_empty(&self) -> bool {
        self.in_team.is_empty()
            && self.not_in_team.is_empty()
            && self.in_channel.is_empty()
            && self.not_in_channel.is_empty()
    }

    /// How many matches to read before filtering, so a filtered page is rarely short.
    fn fetch(&self, limit: i64) -> i64 {
        if self.is_empty() { limit } else { limit * 5 }
    }
}

fn to_value(user: &User) -> serde_json::Value {
    serde_json::to_value(user).expect("users serialise")
}
