//! Collapsed reply threads: the threads a user follows, their unread state, following.

use conclave_model::{Channel, UserThread, UserThreads, is_valid_id, now_ms};
use conclave_realtime::Event;
use conclave_store::{StoreError, ThreadView};

use crate::accounts::MAX_PER_PAGE;
use crate::error::OrNotFound;
use crate::permissions::EDIT_OTHER_USERS;
use crate::{Actor, App, Error, Result};

/// Followed threads considered for the totals of one listing.
const THREADS_SCANNED: i64 = 1000;

fn thread_not_found() -> Error {
    Error::not_found(
        "app.user.get_thread_membership_for_user.not_found",
        "Thread not found.",
    )
}

impl App {
    pub(crate) async fn user_thread(&self, actor: &Actor, view: ThreadView) -> Result<UserThread> {
        let post = self
            .store
            .posts()
            .get(&view.post_id)
            .await
            .or_not_found(thread_not_found)?;
        let users = if view.participants.is_empty() {
            Vec::new()
        } else {
            self.store.users().get_many(&view.participants).await?
        };
        let participants = view
            .participants
            .iter()
            .filter_map(|id| users.iter().find(|u| &u.id == id))
            .map(|u| {
                serde_json::to_value(self.user_for_viewer(actor, u.clone())).unwrap_or_default()
            })
            .collect();
        Ok(UserThread {
            id: view.post_id,
            reply_count: view.reply_count,
            last_reply_at: view.last_reply_at,
            last_viewed_at: view.last_viewed,
            participants,
            delete_at: post.delete_at,
            post,
            unread_replies: view.unread_replies,
            unread_mentions: view.unread_mentions,
            is_urgent: false,
        })
    }

    /// `GET /users/{uid}/teams/{tid}/threads`.
    pub async fn user_threads(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        unread_only: bool,
        per_page: i64,
    ) -> Result<UserThreads> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.load_team(team_id).await?;
        let per_page = if per_page <= 0 {
            25
        } else {
            per_page.min(MAX_PER_PAGE)
        } as usize;
        let all = self
            .store
            .threads()
            .list_for_user(user_id, team_id, false, THREADS_SCANNED)
            .await?;
        let mut out = UserThreads {
            total: all.len() as i64,
            total_unread_threads: all.iter().filter(|t| t.unread_replies > 0).count() as i64,
            total_unread_mentions: all.iter().map(|t| t.unread_mentions).sum(),
            ..UserThreads::default()
        };
        for view in all
            .into_iter()
            .filter(|t| !unread_only || t.unread_replies > 0)
            .take(per_page)
        {
            out.threads.push(self.user_thread(actor, view).await?);
        }
        Ok(out)
    }

    async fn thread_view(&self, user_id: &str, thread_id: &str) -> Result<ThreadView> {
        if !is_valid_id(thread_id) {
            return Err(Error::invalid_param("thread_id"));
        }
        self.store
            .threads()
            .get_for_user(user_id, thread_id)
            .await
            .or_not_found(thread_not_found)
    }

    /// The root must be a live post in a channel the actor can read.
    /// The thread's channel, when the actor may read it.
    async fn require_thread_readable(&self, actor: &Actor, thread_id: &str) -> Result<Channel> {
        if !is_valid_id(thread_id) {
            return Err(Error::invalid_param("thread_id"));
        }
        let root = self
            .store
            .posts()
            .get(thread_id)
            .await
            .or_not_found(thread_not_found)?;
        if root.delete_at > 0 || root.is_reply() {
            return Err(thread_not_found());
        }
        let access = self.channel_access(actor, &root.channel_id).await?;
        access.require_read(actor)?;
        Ok(access.channel)
    }

    pub async fn user_thread_by_id(
        &self,
        actor: &Actor,
        user_id: &str,
        thread_id: &str,
    ) -> Result<UserThread> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.require_thread_readable(actor, thread_id).await?;
        let view = self.thread_view(user_id, thread_id).await?;
        self.user_thread(actor, view).await
    }

    pub async fn set_thread_following(
        &self,
        actor: &Actor,
        user_id: &str,
        thread_id: &str,
        following: bool,
    ) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let channel = self.require_thread_readable(actor, thread_id).await?;
        self.store
            .threads()
            .set_following(user_id, thread_id, following, now_ms())
            .await?;
        let reply_count = match self.store.threads().get_for_user(user_id, thread_id).await {
            Ok(view) => view.reply_count,
            Err(_) => 0,
        };
        self.publish(
            Event::new("thread_follow_changed")
                .to_user(user_id)
                .to_team(&channel.team_id)
                .with("thread_id", thread_id)
                .with("state", following)
                .with("reply_count", reply_count),
        );
        Ok(())
    }

    /// `thread_read_changed` after a read position moved from `before`.
    fn announce_thread_read(
        &self,
        user_id: &str,
        channel: &Channel,
        before: Option<&ThreadView>,
        after: &UserThread,
        timestamp: i64,
    ) {
        self.publish(
            Event::new("thread_read_changed")
                .to_user(user_id)
                .to_team(&channel.team_id)
                .with("thread_id", after.id.as_str())
                .with("timestamp", timestamp)
                .with("unread_mentions", after.unread_mentions)
                .with("unread_replies", after.unread_replies)
                .with(
                    "previous_unread_mentions",
                    before.map_or(0, |b| b.unread_mentions),
                )
                .with(
                    "previous_unread_replies",
                    before.map_or(0, |b| b.unread_replies),
                )
                .with("channel_id", channel.id.as_str()),
        );
    }

    /// Marks a thread read up to `timestamp` (ms).
    pub async fn mark_thread_read(
        &self,
        actor: &Actor,
        user_id: &str,
        thread_id: &str,
        timestamp: i64,
    ) -> Result<UserThread> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let channel = self.require_thread_readable(actor, thread_id).await?;
        if timestamp < 0 {
            return Err(Error::invalid_param("timestamp"));
        }
        let before = self
            .store
            .threads()
            .get_for_user(user_id, thread_id)
            .await
            .ok();
        self.store
            .threads()
            .mark_read(user_id, thread_id, timestamp)
            .await?;
        let after = self.user_thread_by_id(actor, user_id, thread_id).await?;
        self.announce_thread_read(user_id, &channel, before.as_ref(), &after, timestamp);
        Ok(after)
    }

    /// Marks a thread unread from `post_id` (a reply in it, or the root) on.
    pub async fn mark_thread_unread(
        &self,
        actor: &Actor,
        user_id: &str,
        thread_id: &str,
        post_id: &str,
    ) -> Result<UserThread> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let channel = self.require_thread_readable(actor, thread_id).await?;
        let before = self
            .store
            .threads()
            .get_for_user(user_id, thread_id)
            .await
            .ok();
        let post = match self.store.posts().get(post_id).await {
            Ok(p) if p.id == thread_id || p.root_id == thread_id => p,
            Ok(_) | Err(StoreError::NotFound) => return Err(Error::invalid_param("post_id")),
            Err(e) => return Err(e.into()),
        };
        self.store
            .threads()
            .mark_read(user_id, thread_id, post.create_at - 1)
            .await?;
        let after = self.user_thread_by_id(actor, user_id, thread_id).await?;
        self.announce_thread_read(
            user_id,
            &channel,
            before.as_ref(),
            &after,
            post.create_at - 1,
        );
        Ok(after)
    }

    pub async fn mark_all_threads_read(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
    ) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.load_team(team_id).await?;
        let now = now_ms();
        self.store
            .threads()
            .mark_all_read(user_id, team_id, now)
            .await?;
        self.publish(
            Event::new("thread_read_changed")
                .to_user(user_id)
                .to_team(team_id)
                .with("timestamp", now),
        );
        Ok(())
    }
}
