//! The audit trail: one record per security-relevant action. A failed audit write is logged
//! but does not undo the action it describes.

use conclave_model::{new_id, now_ms};
use conclave_store::AuditRecord;

use crate::{Actor, App};

impl App {
    pub(crate) async fn audit(
        &self,
        user_id: &str,
        action: &str,
        extra: &str,
        ip: &str,
        session_id: &str,
    ) {
        let record = AuditRecord {
            id: new_id(),
            create_at: now_ms(),
            user_id: user_id.to_owned(),
            action: action.to_owned(),
            extra_info: extra.to_owned(),
            ip_address: ip.to_owned(),
            session_id: session_id.to_owned(),
        };
        if let Err(e) = self.store.audits().append(&record).await {
            tracing::error!(error = %e, action, "could not write audit record");
        }
    }

    /// Audits an action an actor took on `target_user_id`'s account.
    pub(crate) async fn audit_by(
        &self,
        actor: &Actor,
        target_user_id: &str,
        action: &str,
        extra: &str,
    ) {
        let extra = if actor.user.id == target_user_id || actor.session.local {
            extra.to_owned()
        } else {
            format!("by={} {extra}", actor.user.id)
        };
        self.audit(
            target_user_id,
            action,
            extra.trim(),
            &actor.ip,
            &actor.session.id,
        )
        .await;
    }
}
