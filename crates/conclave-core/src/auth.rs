//! Logging in, resolving a token to an actor, logging out.

use std::collections::BTreeMap;

use conclave_model::session::SESSION_TYPE_USER_ACCESS_TOKEN;
use conclave_model::{Session, User, is_valid_id, new_id, new_random_id, now_ms};
use conclave_store::StoreError;

use crate::error::OrNotFound;
use crate::{Actor, App, Error, Result, blocking, password, totp};

/// Session activity is written back at most this often, not on every request.
const ACTIVITY_WRITE_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// What a client sends to `POST /users/login`.
#[derive(Debug, Clone, Default)]
pub struct LoginRequest {
    pub login_id: String,
    /// Log in by user id instead of `login_id`.
    pub id: String,
    pub password: String,
    /// The MFA code, if any.
    pub token: String,
    pub device_id: String,
}

/// Where a request came from, for sessions and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

fn invalid_credentials() -> Error {
    Error::unauthorized(
        "api.user.login.invalid_credentials_email_username",
        "Enter a valid email or username and/or password.",
    )
}

impl App {
    /// Checks credentials in Mattermost's order and opens a session.
    pub async fn login(&self, req: LoginRequest, client: &ClientInfo) -> Result<(User, Session)> {
        if req.password.is_empty() {
            return Err(Error::bad_request(
                "api.user.login.blank_pwd.app_error",
                "Password field must not be blank",
            ));
        }
        let user = self.find_login_user(&req).await?;
        let user_id = user.id.clone();
        let fail = |action: &'static str| {
            let user_id = user_id.clone();
            async move { self.audit(&user_id, action, "", &client.ip, "").await }
        };
        if !user.is_active() {
            fail("login_failure_inactive").await;
            return Err(Error::unauthorized(
                "api.user.login.inactive.app_error",
                "Login failed because your account has been deactivated.",
            ));
        }
        if user.is_bot {
            return Err(Error::unauthorized(
                "api.user.login.bot_login_forbidden.app_error",
                "Bot login is forbidden.",
            ));
        }
        if user.failed_attempts >= self.config.auth.maximum_login_attempts {
            fail("login_failure_locked").await;
            return Err(Error::unauthorized(
                "api.user.check_user_login_attempts.too_many.app_error",
                "Your account is locked because of too many failed password attempts. \
                 Please reset your password.",
            ));
        }
        let (candidate, stored) = (req.password.clone(), user.password_hash.clone());
        if !blocking(move || password::verify(&candidate, &stored)).await? {
            self.store.users().add_failed_attempt(&user.id).await?;
            fail("login_failure_password").await;
            return Err(invalid_credentials());
        }
        if user.mfa_active {
            if req.token.trim().is_empty() {
                return Err(Error::unauthorized(
                    "mfa.validate_token.authenticate.app_error",
                    "Invalid MFA token.",
                ));
            }
            if !totp::verify(&user.mfa_secret, &req.token, (now_ms() / 1000) as u64) {
                self.store.users().add_failed_attempt(&user.id).await?;
                fail("login_failure_mfa").await;
                return Err(Error::unauthorized(
                    "api.user.check_user_mfa.bad_code.app_error",
                    "Invalid MFA token.",
                ));
            }
        }
        if user.failed_attempts > 0 {
            self.store.users().reset_failed_attempts(&user.id).await?;
        }
        let user = self.upgrade_password_hash(user, req.password).await;
        let session = self.open_session(&user, &req.device_id, client).await?;
        self.audit(&user.id, "login", "", &client.ip, &session.id)
            .await;
        Ok((user, session))
    }

    async fn find_login_user(&self, req: &LoginRequest) -> Result<User> {
        let users = self.store.users();
        let found = if !req.id.is_empty() {
            if !is_valid_id(&req.id) {
                return Err(invalid_credentials());
            }
            users.get(&req.id).await
        } else {
            let login = req.login_id.trim().to_lowercase();
            let auth = &self.config.auth;
            let mut found = Err(StoreError::NotFound);
            if auth.enable_sign_in_with_username {
                found = users.get_by_username(&login).await;
            }
            if matches!(found, Err(StoreError::NotFound)) && auth.enable_sign_in_with_email {
                found = users.get_by_email(&login).await;
            }
            found
        };
        found.or_not_found(invalid_credentials)
    }

    /// Replaces a bcrypt (imported) or outdated hash after a successful login. Best effort:
    /// the login succeeds even if the rewrite fails.
    async fn upgrade_password_hash(&self, mut user: User, plain: String) -> User {
        if !password::needs_rehash(&user.password_hash) {
            return user;
        }
        match blocking(move || password::hash(&plain)).await {
            Ok(Ok(hash)) => {
                user.password_hash = hash;
                if let Err(e) = self.store.users().update(&user).await {
                    tracing::warn!(error = %e, "could not store upgraded password hash");
                }
            }
            _ => tracing::warn!("could not rehash password"),
        }
        user
    }

    async fn open_session(
        &self,
        user: &User,
        device_id: &str,
        client: &ClientInfo,
    ) -> Result<Session> {
        let now = now_ms();
        let hours = if device_id.is_empty() {
            self.config.auth.session_length_web_hours
        } else {
            // A device registers once per session: older sessions of that device end here.
            let ended = self
                .store
                .sessions()
                .delete_for_device(&user.id, device_id)
                .await?;
            self.hub.close_sessions(&ended);
            self.config.auth.session_length_mobile_hours
        };
        let mut props = BTreeMap::new();
        props.insert("csrf".to_string(), new_random_id());
        props.insert(
            "platform".to_string(),
            platform_of(&client.user_agent).to_string(),
        );
        props.insert(
            "is_guest".to_string(),
            user.has_role("system_guest").to_string(),
        );
        let session = Session {
            id: new_id(),
            token: new_random_id(),
            create_at: now,
            expires_at: now + hours * 3_600_000,
            last_activity_at: now,
            user_id: user.id.clone(),
            device_id: device_id.to_owned(),
            roles: user.roles.clone(),
            props,
            ..Session::default()
        };
        self.store.sessions().create(&session).await?;
        Ok(session)
    }

    /// Resolves a session token or personal access token to the acting user. Unknown,
    /// expired and revoked tokens, and deactivated users, all answer 401.
    pub async fn authenticate(&self, token: &str, ip: &str) -> Result<Actor> {
        if !is_valid_id(token) {
            return Err(Error::session_expired());
        }
        let now = now_ms();
        let session = match self.store.sessions().get_by_token(token).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => self.session_for_access_token(token, now).await?,
            Err(e) => return Err(e.into()),
        };
        if session.is_expired(now) {
            self.store.sessions().delete(&session.id).await.ok();
            return Err(Error::session_expired());
        }
        let user = match self.store.users().get(&session.user_id).await {
            Ok(u) if u.is_active() => u,
            Ok(_) | Err(StoreError::NotFound) => return Err(Error::session_expired()),
            Err(e) => return Err(e.into()),
        };
        if now - session.last_activity_at > ACTIVITY_WRITE_INTERVAL_MS {
            self.store.sessions().touch(&session.id, now).await?;
        }
        Ok(Actor {
            user,
            session,
            ip: ip.to_owned(),
        })
    }

    /// A personal access token gets a non-expiring session the first time it is used, as
    /// Mattermost does, so it shows in the session list and is revoked like one.
    async fn session_for_access_token(&self, token: &str, now: i64) -> Result<Session> {
        if !self.config.auth.enable_user_access_tokens {
            return Err(Error::session_expired());
        }
        let pat = match self.store.access_tokens().get_by_token(token).await {
            Ok(t) if t.is_active => t,
            Ok(_) | Err(StoreError::NotFound) => return Err(Error::session_expired()),
            Err(e) => return Err(e.into()),
        };
        let user = self
            .store
            .users()
            .get(&pat.user_id)
            .await
            .or_not_found(Error::session_expired)?;
        let mut props = BTreeMap::new();
        props.insert(
            "type".to_string(),
            SESSION_TYPE_USER_ACCESS_TOKEN.to_string(),
        );
        props.insert("user_access_token_id".to_string(), pat.id.clone());
        props.insert("csrf".to_string(), new_random_id());
        let session = Session {
            id: new_id(),
            token: token.to_owned(),
            create_at: now,
            expires_at: 0,
            last_activity_at: now,
            user_id: pat.user_id,
            roles: user.roles,
            props,
            ..Session::default()
        };
        match self.store.sessions().create(&session).await {
            Ok(()) => Ok(session),
            // Two first uses raced; the other request's session stands.
            Err(StoreError::Conflict(_)) => Ok(self.store.sessions().get_by_token(token).await?),
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the actor's current session.
    pub async fn logout(&self, actor: &Actor) -> Result<()> {
        match self.store.sessions().delete(&actor.session.id).await {
            Ok(_) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.hub
            .close_sessions(std::slice::from_ref(&actor.session.id));
        self.audit(&actor.user.id, "logout", "", &actor.ip, &actor.session.id)
            .await;
        Ok(())
    }
}

/// A coarse platform name for the session list.
fn platform_of(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    [
        ("android", "Android"),
        ("iphone", "iPhone"),
        ("ipad", "iPad"),
        ("windows", "Windows"),
        ("macintosh", "Macintosh"),
        ("linux", "Linux"),
        ("python", "Python"),
        ("node", "Node"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name)
    .unwrap_or("")
}

impl App {
    /// The deprecated `POST /users/mfa` pre-check: whether that login needs a code. Unknown
    /// logins answer `false`, as Mattermost does.
    pub async fn mfa_required(&self, login_id: &str) -> Result<bool> {
        let req = LoginRequest {
            login_id: login_id.to_owned(),
            ..LoginRequest::default()
        };
        match self.find_login_user(&req).await {
            Ok(user) => Ok(user.mfa_active),
            Err(e) if e.kind == crate::ErrorKind::Unauthorized => Ok(false),
            Err(e) => Err(e),
        }
    }
}
