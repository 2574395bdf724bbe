//! Posts: creating (with mentions, counters and threads), reading pages and threads, editing,
//! deleting, pinning, saved posts, marking unread.

use std::collections::BTreeSet;

use conclave_model::channel::CHANNEL_DIRECT;
use conclave_model::post::{
    POST_FILE_IDS_MAX, POST_MESSAGE_MAX_CHARS, POST_PROPS_MAX_BYTES, parse_hashtags,
};
use conclave_model::social::STATUS_ONLINE;
use conclave_model::{
    Channel, ChannelUnread, Post, PostList, PostPatch, is_valid_id, new_id, now_ms,
};
use conclave_realtime::{Event, json_string};
use conclave_store::{NewPost, PostPage, StoreError};

use crate::accounts::{MAX_PER_PAGE, check_ids, page_size};
use crate::channels::channel_unread;
use crate::error::OrNotFound;
use crate::mentions;
use crate::permissions::{
    CREATE_POST, DELETE_OTHERS_POSTS, DELETE_POST, EDIT_OTHER_USERS, EDIT_OTHERS_POSTS, EDIT_POST,
    READ_CHANNEL_CONTENT, USE_CHANNEL_MENTIONS,
};
use crate::{Actor, App, Error, Result};

/// Most members `@channel` reaches in one post; larger channels need a better fan-out.
const CHANNEL_MENTION_LIMIT: i64 = 10_000;
const SINCE_LIMIT: i64 = 1000;

/// `POST /posts` input.
#[derive(Debug, Clone, Default)]
pub struct NewPostInput {
    pub channel_id: String,
    pub message: String,
    pub root_id: String,
    pub file_ids: Vec<String>,
    pub props: serde_json::Value,
    pub pending_post_id: String,
    pub post_type: String,
}

/// `GET /channels/{id}/posts` modes, checked in Mattermost's order.
#[derive(Debug, Clone, Default)]
pub struct ChannelPostsQuery {
    pub since: Option<i64>,
    pub before: String,
    pub after: String,
    pub page: i64,
    pub per_page: i64,
    pub collapsed_threads: bool,
    pub skip_fetch_threads: bool,
}

fn post_not_found() -> Error {
    Error::not_found("app.post.get.app_error", "Unable to get the post.")
}

fn check_message(message: &str) -> Result<()> {
    if message.chars().count() > POST_MESSAGE_MAX_CHARS {
        return Err(Error::bad_request(
            "model.post.is_valid.message_length.app_error",
            format!("The message is longer than {POST_MESSAGE_MAX_CHARS} characters."),
        ));
    }
    Ok(())
}

fn check_file_ids(ids: &[String]) -> Result<()> {
    if ids.len() > POST_FILE_IDS_MAX || !ids.iter().all(|i| is_valid_id(i)) {
        return Err(Error::bad_request(
            "model.post.is_valid.file_ids.app_error",
            "Invalid file ids.",
        ));
    }
    Ok(())
}

fn check_props(props: &serde_json::Value) -> Result<serde_json::Value> {
    match props {
        serde_json::Value::Null => Ok(serde_json::json!({})),
        serde_json::Value::Object(_) if props.to_string().len() <= POST_PROPS_MAX_BYTES => {
            Ok(props.clone())
        }
        _ => Err(Error::bad_request(
            "model.post.is_valid.props.app_error",
            "Invalid post props.",
        )),
    }
}

impl App {
    async fn load_post(&self, post_id: &str) -> Result<Post> {
        if !is_valid_id(post_id) {
            return Err(Error::invalid_param("post_id"));
        }
        let post = self
            .store
            .posts()
            .get(post_id)
            .await
            .or_not_found(post_not_found)?;
        if post.delete_at > 0 {
            return Err(post_not_found());
        }
        Ok(post)
    }

    /// Members of `channel` that the message reaches, other than the author.
    async fn mentioned_members(
        &self,
        actor: &Actor,
        channel: &Channel,
        may_mention_channel: bool,
        message: &str,
    ) -> Result<Vec<String>> {
        let parsed = mentions::parse(message);
        let mut ids: BTreeSet<String> = BTreeSet::new();
        if channel.is_dm_or_gm() {
            // Every direct or group message counts as a mention for its other members.
            for m in self
                .store
                .channels()
                .list_members(&channel.id, 0, 16)
                .await?
            {
                ids.insert(m.user_id);
            }
        } else {
            if !parsed.usernames.is_empty() {
                let users = self
                    .store
                    .users()
                    .get_by_usernames(&parsed.usernames)
                    .await?;
                let user_ids: Vec<String> = users
                    .into_iter()
                    .filter(|u| u.is_active())
                    .map(|u| u.id)
                    .collect();
                if !user_ids.is_empty() {
                    for m in self
                        .store
                        .channels()
                        .members_by_ids(&channel.id, &user_ids)
                        .await?
                    {
                        ids.insert(m.user_id);
                    }
                }
            }
            for (user_id, first_name, props) in self
                .store
                .channels()
                .members_with_mention_keys(&channel.id)
                .await?
            {
                let mut keys: Vec<String> = props
                    .get("mention_keys")
                    .map(|k| k.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                if props.get("first_name").map(String::as_str) == Some("true") {
                    keys.push(first_name);
                }
                if mentions::matches_keys(message, &keys) {
                    ids.insert(user_id);
                }
            }
            if may_mention_channel && (parsed.channel || parsed.here) {
                let members = self
                    .store
                    .channels()
                    .list_members(&channel.id, 0, CHANNEL_MENTION_LIMIT)
                    .await?;
                let member_ids: Vec<String> = members.into_iter().map(|m| m.user_id).collect();
                if parsed.channel {
                    ids.extend(member_ids);
                } else {
                    let online = self.store.statuses().get_many(&member_ids).await?;
                    ids.extend(
                        online
                            .into_iter()
                            .filter(|s| s.status == STATUS_ONLINE)
                            .map(|s| s.user_id),
                    );
                }
            }
        }
        ids.remove(&actor.user.id);
        Ok(ids.into_iter().collect())
    }

    pub async fn create_post(&self, actor: &Actor, input: NewPostInput) -> Result<Post> {
        check_message(&input.message)?;
        check_file_ids(&input.file_ids)?;
        let props = check_props(&input.props)?;
        if !input.post_type.is_empty() && input.post_type != "me" {
            return Err(Error::bad_request(
                "api.context.invalid_body_param.app_error",
                "Invalid post type.",
            ));
        }
        if input.message.trim().is_empty() && input.file_ids.is_empty() {
            return Err(Error::bad_request(
                "api.post.create_post.empty.app_error",
                "A post needs a message or files.",
            ));
        }
        let access = self.channel_access(actor, &input.channel_id).await?;
        // Channel roles grant create_post to members; only system roles (admins,
        // system_post_all integrations) reach channels they are not members of.
        access.require(actor, CREATE_POST)?;
        access.require_not_archived()?;
        let channel = &access.channel;
        let mut followers = Vec::new();
        if !input.root_id.is_empty() {
            if !is_valid_id(&input.root_id) {
                return Err(Error::invalid_param("root_id"));
            }
            let root = self
                .store
                .posts()
                .get(&input.root_id)
                .await
                .or_not_found(|| {
                    Error::bad_request(
                        "api.post.create_post.root_id.app_error",
                        "Invalid root_id parameter.",
                    )
                })?;
            if root.channel_id != channel.id {
                return Err(Error::bad_request(
                    "api.post.create_post.channel_root_id.app_error",
                    "Invalid ChannelId for RootId parameter.",
                ));
            }
            if root.delete_at > 0 || root.is_reply() {
                return Err(Error::bad_request(
                    "api.post.create_post.root_id.app_error",
                    "Invalid root_id parameter.",
                ));
            }
            followers.push(actor.user.id.clone());
            if !root.user_id.is_empty() && root.user_id != actor.user.id {
                followers.push(root.user_id.clone());
            }
        }
        let may_mention_channel = access.can(actor, USE_CHANNEL_MENTIONS);
        let mentioned = self
            .mentioned_members(actor, channel, may_mention_channel, &input.message)
            .await?;
        if !input.root_id.is_empty() {
            followers.extend(mentioned.iter().cloned());
        }
        let now = now_ms();
        let post = Post {
            id: new_id(),
            create_at: now,
            update_at: now,
            user_id: actor.user.id.clone(),
            channel_id: channel.id.clone(),
            root_id: input.root_id,
            hashtags: parse_hashtags(&input.message),
            message: input.message,
            post_type: input.post_type,
            props,
            file_ids: input.file_ids,
            pending_post_id: input.pending_post_id,
            metadata: serde_json::json!({}),
            ..Post::default()
        };
        let new = NewPost {
            post,
            mentioned,
            thread_followers: followers,
        };
        self.store.posts().create(&new).await.map_err(|e| match e {
            // A file that is not the author's, not in this channel, or already attached.
            StoreError::Conflict("file_ids") => Error::bad_request(
                "api.post.create_post.file_ids.app_error",
                "A file in file_ids cannot be attached to this post.",
            ),
            other => other.into(),
        })?;
        let mut post = self.store.posts().get(&new.post.id).await?;
        post.pending_post_id = new.post.pending_post_id;
        let post = if post.file_ids.is_empty() {
            finish(post)
        } else {
            let mut list = PostList::default();
            list.push(finish(post));
            let mut list = self.with_files(list).await?;
            let id = list.order.remove(0);
            list.posts.remove(&id).expect("pushed above")
        };
        self.announce_posted(
            channel,
            &post,
            &actor.user.username,
            &new.mentioned,
            &new.thread_followers,
        );
        if post.is_reply() {
            self.announce_thread_reply(channel, &post, &new.mentioned)
                .await;
        }
        if let Err(e) = self.user_active(&actor.user.id).await {
            tracing::warn!(error = %e.message, "could not update presence");
        }
        Ok(post)
    }

    /// Writes a system message (joins, leaves, header changes). Best effort: the action it
    /// describes has already happened.
    pub(crate) async fn post_system(
        &self,
        channel: &Channel,
        user_id: &str,
        post_type: &str,
        message: &str,
        props: serde_json::Value,
    ) {
        let now = now_ms();
        let post = Post {
            id: new_id(),
            create_at: now,
            update_at: now,
            user_id: user_id.to_owned(),
            channel_id: channel.id.clone(),
            message: message.to_owned(),
            post_type: post_type.to_owned(),
            props,
            ..Post::default()
        };
        let new = NewPost {
            post,
            ..NewPost::default()
        };
        if let Err(e) = self.store.posts().create(&new).await {
            tracing::warn!(error = %e, post_type, "could not write system post");
            return;
        }
        let sender = match self.store.users().get(user_id).await {
            Ok(u) => u.username,
            Err(_) => "system".into(),
        };
        self.announce_posted(channel, &finish(new.post), &sender, &[], &[]);
    }

    pub(crate) async fn post_team_join(&self, channel: &Channel, user_id: &str, added_by: &str) {
        let username = self
            .store
            .users()
            .get(user_id)
            .await
            .map(|u| u.username)
            .unwrap_or_default();
        let (kind, text, props) = if added_by.is_empty() {
            (
                conclave_model::post::POST_TYPE_JOIN_TEAM,
                format!("@{username} joined the team."),
                serde_json::json!({"username": username}),
            )
        } else {
            (
                "system_add_to_team",
                format!("@{username} added to the team."),
                serde_json::json!({"userId": added_by, "addedUserId": user_id, "addedUsername": username}),
            )
        };
        self.post_system(
            channel,
            if added_by.is_empty() {
                user_id
            } else {
                added_by
            },
            kind,
            &text,
            props,
        )
        .await;
    }

    pub async fn get_post(&self, actor: &Actor, post_id: &str) -> Result<Post> {
        let post = self.load_post(post_id).await?;
        self.channel_access(actor, &post.channel_id)
            .await?
            .require_read(actor)?;
        let mut list = PostList::default();
        list.push(finish(post));
        let mut list = self.with_files(list).await?;
        let id = list.order.remove(0);
        Ok(list.posts.remove(&id).expect("pushed above"))
    }

    pub async fn get_posts_by_ids(&self, actor: &Actor, ids: &[String]) -> Result<Vec<Post>> {
        check_ids(ids, self.config.limits.max_batch_items, "post_ids")?;
        let mut out = Vec::new();
        let mut readable: Vec<(String, bool)> = Vec::new();
        for post in self.store.posts().get_many(ids).await? {
            if post.delete_at > 0 {
                continue;
            }
            let ok = match readable.iter().find(|(c, _)| *c == post.channel_id) {
                Some((_, ok)) => *ok,
                None => {
                    let ok = self
                        .channel_access(actor, &post.channel_id)
                        .await?
                        .require_read(actor)
                        .is_ok();
                    readable.push((post.channel_id.clone(), ok));
                    ok
                }
            };
            if ok {
                out.push(finish(post));
            }
        }
        Ok(out)
    }

    /// Edits a post: message, props, file ids. Others' posts need `edit_others_posts`.
    pub async fn update_post(
        &self,
        actor: &Actor,
        post_id: &str,
        patch: PostPatch,
    ) -> Result<Post> {
        let mut post = self.load_post(post_id).await?;
        let access = self.channel_access(actor, &post.channel_id).await?;
        let permission = if post.user_id == actor.user.id {
            EDIT_POST
        } else {
            EDIT_OTHERS_POSTS
        };
        access.require(actor, permission)?;
        access.require_not_archived()?;
        if post.is_system() {
            return Err(Error::bad_request(
                "api.post.update_post.system_message.app_error",
                "System messages cannot be edited.",
            ));
        }
        let now = now_ms();
        if let Some(message) = patch.message
            && message != post.message
        {
            check_message(&message)?;
            post.hashtags = parse_hashtags(&message);
            post.message = message;
            post.edit_at = now;
        }
        if let Some(ids) = patch.file_ids {
            check_file_ids(&ids)?;
            post.file_ids = ids;
        }
        if let Some(props) = patch.props {
            post.props = check_props(&props)?;
        }
        if let Some(pinned) = patch.is_pinned {
            post.is_pinned = pinned;
        }
        post.update_at = now;
        self.store.posts().update(&post).await?;
        let post = finish(post);
        self.announce_post_edited(&post);
        Ok(post)
    }

    pub async fn delete_post(&self, actor: &Actor, post_id: &str) -> Result<Post> {
        let mut post = self.load_post(post_id).await?;
        let access = self.channel_access(actor, &post.channel_id).await?;
        let permission = if post.user_id == actor.user.id {
            DELETE_POST
        } else {
            DELETE_OTHERS_POSTS
        };
        access.require(actor, permission)?;
        let now = now_ms();
        self.store.posts().delete(post_id, now).await?;
        post.delete_at = now;
        post.update_at = now;
        self.publish(
            Event::new("post_deleted")
                .to_channel(&post.channel_id)
                .with("post", json_string(&finish(post.clone()))),
        );
        Ok(post)
    }

    pub async fn set_post_pinned(
        &self,
        actor: &Actor,
        post_id: &str,
        pinned: bool,
    ) -> Result<Post> {
        let mut post = self.load_post(post_id).await?;
        let access = self.channel_access(actor, &post.channel_id).await?;
        access.require(actor, READ_CHANNEL_CONTENT)?;
        access.require_not_archived()?;
        post.is_pinned = pinned;
        post.update_at = now_ms();
        self.store.posts().update(&post).await?;
        let post = finish(post);
        self.announce_post_edited(&post);
        Ok(post)
    }

    /// `GET /channels/{id}/posts`.
    pub async fn channel_posts(
        &self,
        actor: &Actor,
        channel_id: &str,
        q: ChannelPostsQuery,
    ) -> Result<PostList> {
        let access = self.channel_access(actor, channel_id).await?;
        access.require_read(actor)?;
        let per_page = page_size(q.per_page);
        let page = q.page.max(0);
        let roots_only = q.collapsed_threads;
        let store = self.store.posts();
        let base = PostPage {
            roots_only,
            ..PostPage::default()
        };
        let mut list = PostList::default();
        if let Some(since) = q.since {
            let posts = store
                .channel_page(
                    channel_id,
                    &PostPage {
                        since: Some(since),
                        limit: SINCE_LIMIT,
                        ..base
                    },
                )
                .await?;
            for p in posts {
                list.push(finish(p));
            }
            return self.with_thread_roots(list, q.skip_fetch_threads).await;
        }
        if !q.after.is_empty() {
            let after = self.post_cursor(channel_id, &q.after).await?;
            let mut posts = store
                .channel_page(
                    channel_id,
                    &PostPage {
                        after: Some(after.clone()),
                        offset: page * per_page,
                        limit: per_page + 1,
                        ..base.clone()
                    },
                )
                .await?;
            if posts.len() as i64 > per_page {
                list.next_post_id = posts.pop().map(|p| p.id).unwrap_or_default();
            }
            list.prev_post_id = if page == 0 {
                q.after.clone()
            } else {
                store
                    .channel_page(
                        channel_id,
                        &PostPage {
                            after: Some(after),
                            offset: page * per_page - 1,
                            limit: 1,
                            ..base
                        },
                    )
                    .await?
                    .pop()
                    .map(|p| p.id)
                    .unwrap_or_default()
            };
            for p in posts.into_iter().rev() {
                list.push(finish(p));
            }
        } else {
            let before = if q.before.is_empty() {
                None
            } else {
                Some(self.post_cursor(channel_id, &q.before).await?)
            };
            let mut posts = store
                .channel_page(
                    channel_id,
                    &PostPage {
                        before: before.clone(),
                        offset: page * per_page,
                        limit: per_page + 1,
                        ..base.clone()
                    },
                )
                .await?;
            if posts.len() as i64 > per_page {
                list.prev_post_id = posts.pop().map(|p| p.id).unwrap_or_default();
            }
            list.next_post_id = if page == 0 {
                q.before.clone()
            } else {
                store
                    .channel_page(
                        channel_id,
                        &PostPage {
                            before,
                            offset: page * per_page - 1,
                            limit: 1,
                            ..base
                        },
                    )
                    .await?
                    .pop()
                    .map(|p| p.id)
                    .unwrap_or_default()
            };
            for p in posts {
                list.push(finish(p));
            }
        }
        self.with_thread_roots(list, q.skip_fetch_threads).await
    }

    /// A paging cursor: the `(create_at, id)` of a live post in the channel.
    async fn post_cursor(&self, channel_id: &str, post_id: &str) -> Result<(i64, String)> {
        let p = self.load_post(post_id).await?;
        if p.channel_id != channel_id {
            return Err(Error::invalid_param("post_id"));
        }
        Ok((p.create_at, p.id))
    }

    /// Adds the roots of replies on the page to `posts` (not `order`), so clients can show
    /// what a reply answers.
    async fn with_thread_roots(&self, mut list: PostList, skip: bool) -> Result<PostList> {
        if skip {
            return self.with_files(list).await;
        }
        let missing: Vec<String> = list
            .posts
            .values()
            .filter(|p| p.is_reply() && !list.posts.contains_key(&p.root_id))
            .map(|p| p.root_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            for root in self.store.posts().get_many(&missing).await? {
                list.posts.insert(root.id.clone(), finish(root));
            }
        }
        self.with_files(list).await
    }

    /// `GET /posts/{id}/thread`: the root and its replies, newest first.
    pub async fn post_thread(&self, actor: &Actor, post_id: &str) -> Result<PostList> {
        let post = self.load_post(post_id).await?;
        self.channel_access(actor, &post.channel_id)
            .await?
            .require_read(actor)?;
        let root = if post.is_reply() {
            post.root_id.clone()
        } else {
            post.id.clone()
        };
        let mut list = PostList::default();
        for p in self.store.posts().thread(&root).await?.into_iter().rev() {
            list.push(finish(p));
        }
        self.with_files(list).await
    }

    pub async fn pinned_posts(&self, actor: &Actor, channel_id: &str) -> Result<PostList> {
        self.channel_access(actor, channel_id)
            .await?
            .require_read(actor)?;
        let mut list = PostList::default();
        for p in self.store.posts().pinned(channel_id).await? {
            list.push(finish(p));
        }
        self.with_files(list).await
    }

    /// Saved posts in channels the user can still read.
    pub async fn flagged_posts(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        channel_id: &str,
        page: i64,
        per_page_n: i64,
    ) -> Result<PostList> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let channels: Vec<String> = if !channel_id.is_empty() {
            vec![channel_id.to_owned()]
        } else if !team_id.is_empty() {
            self.store
                .channels()
                .list_members_for_user(user_id, team_id)
                .await?
                .into_iter()
                .map(|m| m.channel_id)
                .collect()
        } else {
            let mut all = Vec::new();
            for t in self.store.teams().list_for_user(user_id).await? {
                all.extend(
                    self.store
                        .channels()
                        .list_members_for_user(user_id, &t.id)
                        .await?
                        .into_iter()
                        .map(|m| m.channel_id),
                );
            }
            if all.is_empty() {
                all.extend(
                    self.store
                        .channels()
                        .list_members_for_user(user_id, "")
                        .await?
                        .into_iter()
                        .map(|m| m.channel_id),
                );
            }
            all.sort();
            all.dedup();
            all
        };
        let pp = page_size(per_page_n);
        let posts = self
            .store
            .posts()
            .flagged(user_id, Some(&channels), page.max(0) * pp, pp)
            .await?;
        let mut list = PostList::default();
        for p in posts {
            list.push(finish(p));
        }
        self.with_files(list).await
    }

    /// `GET /users/{uid}/channels/{cid}/posts/unread`: posts around the first unread one.
    pub async fn posts_around_unread(
        &self,
        actor: &Actor,
        user_id: &str,
        channel_id: &str,
        limit_before: i64,
        limit_after: i64,
    ) -> Result<PostList> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        if limit_before < 0
            || limit_after <= 0
            || limit_before > MAX_PER_PAGE
            || limit_after > MAX_PER_PAGE
        {
            return Err(Error::invalid_param("limit_after"));
        }
        let access = self.channel_access(actor, channel_id).await?;
        access.require_read(actor)?;
        let last_viewed = access
            .member
            .as_ref()
            .map(|m| m.last_viewed_at)
            .unwrap_or(0);
        let store = self.store.posts();
        // Boundary: everything at or before the last view is read ("~" sorts after any id).
        let point = (last_viewed, "~".repeat(26));
        let mut newer = store
            .channel_page(
                channel_id,
                &PostPage {
                    after: Some(point.clone()),
                    limit: limit_after + 1,
                    ..PostPage::default()
                },
            )
            .await?;
        let older = store
            .channel_page(
                channel_id,
                &PostPage {
                    before: Some(point),
                    limit: limit_before + 1,
                    ..PostPage::default()
                },
            )
            .await?;
        let mut list = PostList::default();
        if newer.len() as i64 > limit_after {
            list.next_post_id = newer.pop().map(|p| p.id).unwrap_or_default();
        }
        let mut older = older;
        if older.len() as i64 > limit_before {
            list.prev_post_id = older.pop().map(|p| p.id).unwrap_or_default();
        }
        for p in newer.into_iter().rev().chain(older) {
            list.push(finish(p));
        }
        self.with_files(list).await
    }

    /// Marks a channel unread from `post_id` on for the user.
    pub async fn set_post_unread(
        &self,
        actor: &Actor,
        user_id: &str,
        post_id: &str,
    ) -> Result<ChannelUnread> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        let post = self.load_post(post_id).await?;
        let access = self.channel_access(actor, &post.channel_id).await?;
        if access.member.is_none() {
            return Err(Error::forbidden());
        }
        // Recount the mentions among the posts now unread.
        let user = self
            .store
            .users()
            .get(user_id)
            .await
            .or_not_found(Error::user_not_found)?;
        let page = PostPage {
            after: Some((post.create_at - 1, String::new())),
            limit: 1000,
            ..PostPage::default()
        };
        let mut mentions = (0, 0);
        for p in self
            .store
            .posts()
            .channel_page(&post.channel_id, &page)
            .await?
        {
            let m = mentions::parse(&p.message);
            let hit = p.user_id != user_id
                && (access.channel.channel_type == CHANNEL_DIRECT
                    || m.usernames.contains(&user.username)
                    || m.channel);
            if hit {
                mentions.0 += 1;
                if !p.is_reply() {
                    mentions.1 += 1;
                }
            }
        }
        let m = self
            .store
            .channels()
            .mark_unread(
                user_id,
                &post.channel_id,
                post.create_at,
                mentions.0,
                mentions.1,
            )
            .await?;
        let c = self.store.channels().get(&post.channel_id).await?;
        let unread = channel_unread(&c, &m);
        self.publish(
            Event::new("post_unread")
                .to_user(user_id)
                .to_channel(&c.id)
                .to_team(&c.team_id)
                .with("msg_count", unread.msg_count)
                .with("msg_count_root", unread.msg_count_root)
                .with("mention_count", unread.mention_count)
                .with("mention_count_root", unread.mention_count_root)
                .with("urgent_mention_count", unread.urgent_mention_count)
                .with("last_viewed_at", m.last_viewed_at)
                .with("post_id", post_id),
        );
        Ok(unread)
    }
}

impl App {
    /// Fills `metadata.files` for the posts that carry files, as clients render attachments
    /// from it (one query per list).
    pub(crate) async fn with_files(&self, mut list: PostList) -> Result<PostList> {
        let ids: Vec<String> = list
            .posts
            .values()
            .filter(|p| !p.file_ids.is_empty())
            .map(|p| p.id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(list);
        }
        for f in self.store.files().list_for_posts(&ids).await? {
            if let Some(post) = list.posts.get_mut(&f.post_id) {
                if !post.metadata.is_object() {
                    post.metadata = serde_json::json!({});
                }
                let files = post.metadata["files"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut files = files;
                files.push(serde_json::to_value(&f).expect("file infos serialise"));
                post.metadata["files"] = serde_json::Value::Array(files);
            }
        }
        Ok(list)
    }
}

/// Wire defaults Mattermost always sends.
pub(crate) fn finish(mut post: Post) -> Post {
    if post.metadata.is_null() {
        post.metadata = serde_json::json!({});
    }
    if post.props.is_null() {
        post.props = serde_json::json!({});
    }
    post
}
