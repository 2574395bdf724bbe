//! Listing and revoking sessions.

use conclave_model::{Session, is_valid_id};
use conclave_store::StoreError;

use crate::permissions::EDIT_OTHER_USERS;
use crate::{Actor, App, Error, Result};

impl App {
    /// A user's sessions, tokens blanked.
    pub async fn list_sessions(&self, actor: &Actor, user_id: &str) -> Result<Vec<Session>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let mut sessions = self.store.sessions().list_for_user(user_id).await?;
        for s in &mut sessions {
            s.token.clear();
        }
        Ok(sessions)
    }

    pub async fn revoke_session(
        &self,
        actor: &Actor,
        user_id: &str,
        session_id: &str,
    ) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        if !is_valid_id(session_id) {
            return Err(Error::invalid_param("session_id"));
        }
        let session = match self.store.sessions().get(session_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => {
                return Err(Error::bad_request(
                    "api.user.revoke_session.session_not_found",
                    "The session was not found.",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        if session.user_id != user_id {
            return Err(Error::bad_request(
                "api.user.revoke_session.user_id_mismatch",
                "The session does not belong to that user.",
            ));
        }
        self.store.sessions().delete(session_id).await?;
        self.hub.close_sessions(&[session_id.to_owned()]);
        self.audit_by(
            actor,
            user_id,
            "session_revoked",
            &format!("session_id={session_id}"),
        )
        .await;
        Ok(())
    }

    pub async fn revoke_all_sessions(&self, actor: &Actor, user_id: &str) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        if !is_valid_id(user_id) {
            return Err(Error::invalid_param("user_id"));
        }
        let ids = self.store.sessions().delete_for_user(user_id).await?;
        self.hub.close_sessions(&ids);
        self.audit_by(
            actor,
            user_id,
            "sessions_revoked_all",
            &format!("count={}", ids.len()),
        )
        .await;
        Ok(())
    }

    /// Attaches a push-notification device id to the current session.
    pub async fn attach_device(&self, actor: &Actor, device_id: &str) -> Result<()> {
        if device_id.is_empty() || device_id.len() > 512 {
            return Err(Error::invalid_param("device_id"));
        }
        let mut session = actor.session.clone();
        self.store
            .sessions()
            .delete_for_device(&actor.user.id, device_id)
            .await?;
        // Re-create the session row with the device id, keeping its token and expiry.
        self.store.sessions().delete(&session.id).await?;
        session.device_id = device_id.to_owned();
        self.store.sessions().create(&session).await?;
        Ok(())
    }
}
