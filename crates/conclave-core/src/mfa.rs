//! Multi-factor authentication with TOTP authenticator apps.

use serde::Serialize;

use crate::error::OrNotFound;
use crate::permissions::EDIT_OTHER_USERS;
use crate::{Actor, App, Error, Result, totp};

/// `POST /users/{id}/mfa/generate` answer: the secret and a base64 PNG QR code of it.
#[derive(Debug, Clone, Serialize)]
pub struct MfaSecret {
    pub secret: String,
    pub qr_code: String,
}

impl App {
    fn require_mfa_enabled(&self) -> Result<()> {
        if self.config.auth.enable_multifactor_authentication {
            Ok(())
        } else {
            Err(Error::not_implemented(
                "mfa.mfa_disabled.app_error",
                "MFA is not enabled on this server.",
            ))
        }
    }

    /// Makes a new secret for the user's own account. MFA stays off until a code from it
    /// is confirmed with `update_mfa`.
    pub async fn generate_mfa_secret(&self, actor: &Actor, user_id: &str) -> Result<MfaSecret> {
        self.require_mfa_enabled()?;
        // Only the owner may see a secret: it would let anyone else pass the second factor.
        if actor.user.id != user_id {
            return Err(Error::forbidden());
        }
        let mut user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        if user.mfa_active {
            return Err(Error::bad_request(
                "api.user.generate_mfa_secret.already_active",
                "MFA is already active; deactivate it first.",
            ));
        }
        let secret = totp::new_secret();
        let uri = totp::provisioning_uri(&self.config.site_name, &user.email, &secret);
        let qr_code = totp::qr_png_base64(&uri).map_err(Error::internal)?;
        user.mfa_secret = secret.clone();
        self.store.users().update(&user).await?;
        Ok(MfaSecret { secret, qr_code })
    }

    /// Turns MFA on (with a valid `code` from the generated secret) or off. Admins may turn
    /// it off for others, e.g. when a phone is lost.
    pub async fn update_mfa(
        &self,
        actor: &Actor,
        user_id: &str,
        activate: bool,
        code: &str,
    ) -> Result<()> {
        self.require_mfa_enabled()?;
        let mut user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        if activate {
            if actor.user.id != user_id {
                return Err(Error::forbidden());
            }
            if user.mfa_secret.is_empty() {
                return Err(Error::bad_request(
                    "api.user.update_mfa.no_secret",
                    "Generate an MFA secret first.",
                ));
            }
            if !totp::verify(
                &user.mfa_secret,
                code,
                (conclave_model::now_ms() / 1000) as u64,
            ) {
                return Err(Error::bad_request(
                    "ent.mfa.activate.authenticate.app_error",
                    "Invalid MFA token.",
                ));
            }
            user.mfa_active = true;
        } else {
            actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
            if self.config.auth.enforce_multifactor_authentication && actor.user.id == user_id {
                return Err(Error::bad_request(
                    "api.user.update_mfa.enforced",
                    "MFA is required on this server and cannot be turned off.",
                ));
            }
            user.mfa_active = false;
            user.mfa_secret.clear();
        }
        user.update_at = conclave_model::now_ms();
        self.store.users().update(&user).await?;
        let action = if activate {
            "mfa_activated"
        } else {
            "mfa_deactivated"
        };
        self.audit_by(actor, user_id, action, "").await;
        Ok(())
    }
}
