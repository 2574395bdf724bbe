//! The WebSocket events services publish after a change commits: Mattermost's names,
//! broadcasts and payload shapes (`json_string` where Mattermost sends JSON in a string).

use conclave_model::{Channel, Post, Session, User};
use conclave_realtime::{Event, json_string};

use crate::{Actor, App};

/// The `channel_display_name` of a `posted` event: `@sender` for direct messages, the
/// member list for group messages, else the display name.
fn display_name_for_post(channel: &Channel, sender_username: &str) -> String {
    if channel.is_direct() {
        format!("@{sender_username}")
    } else {
        channel.display_name.clone()
    }
}

/// A minimal actor standing for a user who receives an event (not the one who caused it),
/// so payloads are shaped as that user would see them over the API.
pub(crate) fn viewer(user_id: &str) -> Actor {
    Actor {
        user: User {
            id: user_id.to_owned(),
            roles: "system_user".into(),
            ..User::default()
        },
        session: Session::default(),
        ip: String::new(),
    }
}

impl App {
    /// `posted`, to the channel.
    pub(crate) fn announce_posted(
        &self,
        channel: &Channel,
        post: &Post,
        sender_username: &str,
        mentioned: &[String],
        followers: &[String],
    ) {
        let mut e = Event::new("posted")
            .to_channel(&channel.id)
            .with("post", json_string(post))
            .with("channel_type", channel.channel_type.as_str())
            .with(
                "channel_display_name",
                display_name_for_post(channel, sender_username),
            )
            .with("channel_name", channel.name.as_str())
            .with("sender_name", format!("@{sender_username}"))
            .with("team_id", channel.team_id.as_str())
            .with("set_online", true);
        if !mentioned.is_empty() {
            e = e.with("mentions", json_string(&mentioned));
        }
        if !followers.is_empty() {
            e = e.with("followers", json_string(&followers));
        }
        if !post.file_ids.is_empty() {
            e = e.with("otherFile", "true");
        }
        self.publish(e);
    }

    /// `thread_updated` to each connected follower of the thread a reply went to, with
    /// their own unread counts.
    pub(crate) async fn announce_thread_reply(
        &self,
        channel: &Channel,
        reply: &Post,
        mentioned: &[String],
    ) {
        let followers = match self.store.threads().followers(&reply.root_id).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "could not load thread followers");
                return;
            }
        };
        for follower in followers {
            if !self.hub.has_user(&follower) {
                continue;
            }
            let Ok(view) = self
                .store
                .threads()
                .get_for_user(&follower, &reply.root_id)
                .await
            else {
                continue;
            };
            let Ok(thread) = self.user_thread(&viewer(&follower), view).await else {
                continue;
            };
            let own = reply.user_id == follower;
            let prev_replies = if own {
                thread.unread_replies
            } else {
                (thread.unread_replies - 1).max(0)
            };
            let prev_mentions = if mentioned.contains(&follower) {
                (thread.unread_mentions - 1).max(0)
            } else {
                thread.unread_mentions
            };
            self.publish(
                Event::new("thread_updated")
                    .to_user(&follower)
                    .to_team(&channel.team_id)
                    .with("thread", json_string(&thread))
                    .with("previous_unread_mentions", prev_mentions)
                    .with("previous_unread_replies", prev_replies),
            );
        }
    }

    /// `post_edited` (edits, pins), to the channel.
    pub(crate) fn announce_post_edited(&self, post: &Post) {
        self.publish(
            Event::new("post_edited")
                .to_channel(&post.channel_id)
                .with("post", json_string(post)),
        );
    }
}
