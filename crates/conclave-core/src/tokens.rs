//! Personal access tokens: long-lived tokens for bots and scripts, used exactly like a
//! session token.

use conclave_model::{UserAccessToken, is_valid_id, new_id, new_random_id};
use conclave_store::StoreError;

use crate::accounts::{MAX_PER_PAGE, page_size};
use crate::error::OrNotFound;
use crate::permissions::{
    CREATE_USER_ACCESS_TOKEN, EDIT_OTHER_USERS, MANAGE_SYSTEM, READ_USER_ACCESS_TOKEN,
    REVOKE_USER_ACCESS_TOKEN,
};
use crate::{Actor, App, Error, Result};

const DESCRIPTION_MAX: usize = 255;

fn token_not_found() -> Error {
    Error::not_found(
        "app.user_access_token.get_by_id.app_error",
        "The token was not found.",
    )
}

impl App {
    fn require_tokens_enabled(&self) -> Result<()> {
        if self.config.auth.enable_user_access_tokens {
            Ok(())
        } else {
            Err(Error::not_implemented(
                "api.user.create_user_access_token.disabled",
                "Personal access tokens are disabled on this server.",
            ))
        }
    }

    /// Checks `permission` for tokens owned by `owner_id`.
    fn require_token_permission(
        &self,
        actor: &Actor,
        owner_id: &str,
        permission: &'static str,
    ) -> Result<()> {
        actor.require(permission)?;
        actor.require_self_or(owner_id, EDIT_OTHER_USERS)
    }

    /// Creates a token; the returned value is the only time its secret is shown.
    pub async fn create_access_token(
        &self,
        actor: &Actor,
        user_id: &str,
        description: &str,
    ) -> Result<UserAccessToken> {
        self.require_tokens_enabled()?;
        self.require_token_permission(actor, user_id, CREATE_USER_ACCESS_TOKEN)?;
        let description = description.trim();
        if description.is_empty() || description.chars().count() > DESCRIPTION_MAX {
            return Err(Error::bad_request(
                "model.user_access_token.is_valid.description.app_error",
                format!("The description must be 1 to {DESCRIPTION_MAX} characters."),
            ));
        }
        let owner = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        if !owner.is_active() {
            return Err(Error::bad_request(
                "api.user.create_user_access_token.inactive_user",
                "Cannot create a token for a deactivated user.",
            ));
        }
        let token = UserAccessToken {
            id: new_id(),
            token: new_random_id(),
            user_id: user_id.to_owned(),
            description: description.to_owned(),
            is_active: true,
        };
        self.store.access_tokens().create(&token).await?;
        self.audit_by(
            actor,
            user_id,
            "access_token_created",
            &format!("token_id={}", token.id),
        )
        .await;
        Ok(token)
    }

    pub async fn list_access_tokens(
        &self,
        actor: &Actor,
        user_id: &str,
    ) -> Result<Vec<UserAccessToken>> {
        self.require_tokens_enabled()?;
        self.require_token_permission(actor, user_id, READ_USER_ACCESS_TOKEN)?;
        let tokens = self.store.access_tokens().list_for_user(user_id).await?;
        Ok(blank_secrets(tokens))
    }

    /// Every user's tokens, for admins; secrets blanked.
    pub async fn list_all_access_tokens(
        &self,
        actor: &Actor,
        page: i64,
        per_page: i64,
    ) -> Result<Vec<UserAccessToken>> {
        self.require_tokens_enabled()?;
        actor.require(MANAGE_SYSTEM)?;
        let per_page = page_size(per_page);
        let tokens = self
            .store
            .access_tokens()
            .list(page.max(0).saturating_mul(per_page), per_page)
            .await?;
        Ok(blank_secrets(tokens))
    }

    /// Tokens whose id, owner id or owner username starts with `term`, for admins.
    pub async fn search_access_tokens(
        &self,
        actor: &Actor,
        term: &str,
    ) -> Result<Vec<UserAccessToken>> {
        self.require_tokens_enabled()?;
        actor.require(MANAGE_SYSTEM)?;
        let term = term.trim();
        if term.is_empty() || term.chars().count() > 64 {
            return Err(Error::invalid_param("term"));
        }
        let tokens = self
            .store
            .access_tokens()
            .search(term, MAX_PER_PAGE)
            .await?;
        Ok(blank_secrets(tokens))
    }

    async fn load_token(&self, token_id: &str) -> Result<UserAccessToken> {
        if !is_valid_id(token_id) {
            return Err(Error::invalid_param("token_id"));
        }
        self.store
            .access_tokens()
            .get(token_id)
            .await
            .or_not_found(token_not_found)
    }

    pub async fn get_access_token(&self, actor: &Actor, token_id: &str) -> Result<UserAccessToken> {
        self.require_tokens_enabled()?;
        let mut token = self.load_token(token_id).await?;
        self.require_token_permission(actor, &token.user_id, READ_USER_ACCESS_TOKEN)?;
        token.token.clear();
        Ok(token)
    }

    /// Deletes a token and ends the session it opened.
    pub async fn revoke_access_token(&self, actor: &Actor, token_id: &str) -> Result<()> {
        let token = self.load_token(token_id).await?;
        self.require_token_permission(actor, &token.user_id, REVOKE_USER_ACCESS_TOKEN)?;
        self.end_token_session(&token.token).await?;
        match self.store.access_tokens().delete(token_id).await {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.audit_by(
            actor,
            &token.user_id,
            "access_token_revoked",
            &format!("token_id={token_id}"),
        )
        .await;
        Ok(())
    }

    /// Disables (`false`) or re-enables a token. Disabling ends its session at once.
    pub async fn set_access_token_active(
        &self,
        actor: &Actor,
        token_id: &str,
        active: bool,
    ) -> Result<()> {
        self.require_tokens_enabled()?;
        let token = self.load_token(token_id).await?;
        let permission = if active {
            CREATE_USER_ACCESS_TOKEN
        } else {
            REVOKE_USER_ACCESS_TOKEN
        };
        self.require_token_permission(actor, &token.user_id, permission)?;
        self.store
            .access_tokens()
            .set_active(token_id, active)
            .await?;
        if !active {
            self.end_token_session(&token.token).await?;
        }
        let action = if active {
            "access_token_enabled"
        } else {
            "access_token_disabled"
        };
        self.audit_by(
            actor,
            &token.user_id,
            action,
            &format!("token_id={token_id}"),
        )
        .await;
        Ok(())
    }
}

fn blank_secrets(mut tokens: Vec<UserAccessToken>) -> Vec<UserAccessToken> {
    for t in &mut tokens {
        t.token.clear();
    }
    tokens
}

impl App {
    /// Ends the session a token opened, closing its sockets.
    async fn end_token_session(&self, token: &str) -> Result<()> {
        match self.store.sessions().get_by_token(token).await {
            Ok(session) => self.hub.close_sessions(&[session.id]),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(self.store.sessions().delete_by_token(token).await?)
    }
}
