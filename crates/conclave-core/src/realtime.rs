//! What a WebSocket may ask of the services: registering with the hub (membership snapshot,
//! presence) and the client actions Mattermost defines.

use std::collections::BTreeMap;
use std::sync::Arc;

use conclave_model::now_ms;
use conclave_model::social::{STATUS_OFFLINE, STATUS_ONLINE};
use conclave_realtime::{Conn, Event, Registration, SocketUser};

use crate::accounts::check_ids;
use crate::permissions::{CREATE_POST, MANAGE_SYSTEM, VIEW_MEMBERS};
use crate::{Actor, App, Error, Result};

/// A client request over the socket, already parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketAction {
    Typing {
        channel_id: String,
        parent_id: String,
    },
    GetStatuses,
    GetStatusesByIds(Vec<String>),
    UpdateActiveStatus {
        active: bool,
    },
}

impl App {
    /// Registers an authenticated socket, resuming `resume = (connection_id, next_seq)` when
    /// the hub still can. The user comes online.
    pub async fn open_socket(
        self: &Arc<Self>,
        actor: &Actor,
        resume: Option<(&str, u64)>,
    ) -> Result<Registration> {
        let user = SocketUser {
            user_id: actor.user.id.clone(),
            session_id: actor.session.id.clone(),
            is_admin: actor.can(MANAGE_SYSTEM),
        };
        let reg = self.hub.connect(&user, resume, now_ms());
        if reg.needs_memberships {
            let loaded = async {
                let channels = self.store.channels().channel_ids_for_user(&user.user_id);
                let teams = self.store.teams().list_members_for_user(&user.user_id);
                let (channels, teams) = tokio::join!(channels, teams);
                let teams: Vec<String> = teams?
                    .into_iter()
                    .filter(|m| m.delete_at == 0)
                    .map(|m| m.team_id)
                    .collect();
                Ok::<_, Error>((channels?, teams))
            }
            .await;
            match loaded {
                Ok((channels, teams)) => self.hub.set_memberships(&user.user_id, &channels, &teams),
                Err(e) => {
                    self.hub
                        .close_sessions(std::slice::from_ref(&user.session_id));
                    return Err(e);
                }
            }
        }
        let was_idle = self.hub.touch(&user.user_id, now_ms());
        if reg.first_active || was_idle {
            self.set_auto_status(&user.user_id, STATUS_ONLINE).await?;
        }
        Ok(reg)
    }

    /// A socket ended; the connection stays resumable for the resume window.
    pub fn close_socket(self: &Arc<Self>, conn: &Arc<Conn>, socket: u64) {
        if self.hub.detach(conn, socket) {
            self.schedule_offline(conn.user_id.to_string());
        }
    }

    /// Runs a client action; the reply's `data`, if any.
    pub async fn socket_action(
        &self,
        actor: &Actor,
        action: SocketAction,
    ) -> Result<Option<serde_json::Value>> {
        match action {
            SocketAction::Typing {
                channel_id,
                parent_id,
            } => {
                let access = self.channel_access(actor, &channel_id).await?;
                access.require(actor, CREATE_POST)?;
                self.user_active(&actor.user.id).await?;
                self.publish(
                    Event::new("typing")
                        .to_channel(&channel_id)
                        .omit_user(&actor.user.id)
                        .with("parent_id", parent_id)
                        .with("user_id", actor.user.id.as_str()),
                );
                Ok(None)
            }
            SocketAction::GetStatuses => {
                actor.require(VIEW_MEMBERS)?;
                let ids = self.hub.active_users();
                Ok(Some(self.status_map(&ids, true).await?))
            }
            SocketAction::GetStatusesByIds(ids) => {
                actor.require(VIEW_MEMBERS)?;
                check_ids(&ids, self.config.limits.max_batch_items, "user_ids")?;
                Ok(Some(self.status_map(&ids, false).await?))
            }
            SocketAction::UpdateActiveStatus { active } => {
                self.report_activity(&actor.user.id, active).await?;
                Ok(None)
            }
        }
    }

    async fn status_map(&self, ids: &[String], online_only: bool) -> Result<serde_json::Value> {
        let map: BTreeMap<String, String> = self
            .statuses_of(ids)
            .await?
            .into_iter()
            .filter(|s| !online_only || s.status != STATUS_OFFLINE)
            .map(|s| (s.user_id, s.status))
            .collect();
        Ok(serde_json::to_value(map).expect("a map of strings serialises"))
    }
}
