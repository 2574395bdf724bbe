//! Automatic presence: online while a socket is open and the user is active, away after
//! inactivity, offline once the last socket has been gone a short while. A status the user
//! set by hand (DND, away, offline, out of office) is never overridden.

use std::sync::{Arc, Weak};
use std::time::Duration;

use conclave_model::social::{STATUS_AWAY, STATUS_OFFLINE, STATUS_ONLINE};
use conclave_model::{Status, now_ms};
use conclave_realtime::Event;

use crate::{App, Result};

impl App {
    /// Applies an automatic status change, publishing `status_change` when it changes.
    pub(crate) async fn set_auto_status(&self, user_id: &str, status: &str) -> Result<()> {
        let current = self.statuses_of(&[user_id.to_owned()]).await?.remove(0);
        if current.manual && current.status != STATUS_ONLINE {
            return Ok(());
        }
        if current.status == status && !current.manual {
            return Ok(());
        }
        let saved = Status {
            user_id: user_id.to_owned(),
            status: status.to_owned(),
            manual: false,
            last_activity_at: now_ms(),
            dnd_end_time: 0,
            prev_status: String::new(),
        };
        self.store.statuses().save(&saved).await?;
        self.publish_status(&saved);
        Ok(())
    }

    pub(crate) fn publish_status(&self, status: &Status) {
        self.publish(
            Event::new("status_change")
                .to_user(&status.user_id)
                .with("status", status.status.as_str())
                .with("user_id", status.user_id.as_str()),
        );
    }

    /// A sign of life from the user: an away-for-inactivity user comes back online.
    pub async fn user_active(&self, user_id: &str) -> Result<()> {
        if self.hub.touch(user_id, now_ms()) {
            self.set_auto_status(user_id, STATUS_ONLINE).await?;
        }
        Ok(())
    }

    /// The client reports whether its user is active (`user_update_active_status`).
    pub(crate) async fn report_activity(&self, user_id: &str, active: bool) -> Result<()> {
        if active {
            if self.hub.touch(user_id, now_ms()) || !self.hub.is_active(user_id) {
                self.set_auto_status(user_id, STATUS_ONLINE).await?;
            }
            Ok(())
        } else {
            self.set_auto_status(user_id, STATUS_AWAY).await
        }
    }

    /// After the grace period, a user with no socket left goes offline.
    pub(crate) fn schedule_offline(self: &Arc<Self>, user_id: String) {
        let grace = Duration::from_secs(self.config.realtime.offline_grace_secs);
        let app = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let Some(app) = app.upgrade() else { return };
            if !app.hub.is_active(&user_id)
                && let Err(e) = app.set_auto_status(&user_id, STATUS_OFFLINE).await
            {
                tracing::warn!(error = %e.message, "could not set a user offline");
            }
        });
    }

    /// Starts the periodic work: idle users become away, connections whose resume window
    /// passed are forgotten, orphaned files are removed. Stops when the app is dropped.
    pub fn start_background(self: &Arc<Self>) {
        let away = Duration::from_secs(self.config.realtime.away_timeout_secs);
        let tick = (away / 4).clamp(Duration::from_millis(250), Duration::from_secs(15));
        let app: Weak<App> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(app) = app.upgrade() else { return };
                app.hub.reap();
                let idle_since = now_ms() - away.as_millis() as i64;
                for user_id in app.hub.mark_idle(idle_since) {
                    if let Err(e) = app.set_auto_status(&user_id, STATUS_AWAY).await {
                        tracing::warn!(error = %e.message, "could not set a user away");
                    }
                }
            }
        });
        let app: Weak<App> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(600));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(app) = app.upgrade() else { return };
                match app.clean_up_files().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "removed orphaned files"),
                    Err(e) => tracing::warn!(error = %e.message, "file cleanup failed"),
                }
            }
        });
    }
}
