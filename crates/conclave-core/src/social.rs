//! Reactions, preferences and statuses.

use std::collections::BTreeMap;

use conclave_model::social::{
    PREFERENCE_CATEGORY_MAX, PREFERENCE_NAME_MAX, PREFERENCE_VALUE_MAX, STATUS_AWAY, STATUS_DND,
    STATUS_OFFLINE, STATUS_ONLINE, STATUS_OOO,
};
use conclave_model::{Preference, Reaction, Status, is_valid_id, now_ms};
use conclave_realtime::{Event, json_string};

use crate::accounts::check_ids;
use crate::error::OrNotFound;
use crate::permissions::{
    ADD_REACTION, EDIT_OTHER_USERS, REMOVE_OTHERS_REACTIONS, REMOVE_REACTION, VIEW_MEMBERS,
};
use crate::{Actor, App, Error, Result};

/// Distinct emoji allowed on one post (Mattermost's default `UniqueEmojiReactionLimitPerPost`).
const UNIQUE_EMOJI_PER_POST: i64 = 50;
const PREFERENCES_PER_REQUEST: usize = 100;

fn valid_emoji_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-+_".contains(&b))
}

impl App {
    pub async fn add_reaction(&self, actor: &Actor, reaction: Reaction) -> Result<Reaction> {
        if reaction.user_id != actor.user.id {
            return Err(Error::bad_request(
                "api.reaction.save_reaction.user_id.app_error",
                "You can only react as yourself.",
            ));
        }
        if !valid_emoji_name(&reaction.emoji_name) {
            return Err(Error::invalid_param("emoji_name"));
        }
        if !is_valid_id(&reaction.post_id) {
            return Err(Error::invalid_param("post_id"));
        }
        let post = self
            .store
            .posts()
            .get(&reaction.post_id)
            .await
            .or_not_found(|| {
                Error::not_found("app.post.get.app_error", "Unable to get the post.")
            })?;
        if post.delete_at > 0 {
            return Err(Error::not_found(
                "app.post.get.app_error",
                "Unable to get the post.",
            ));
        }
        let access = self.channel_access(actor, &post.channel_id).await?;
        access.require(actor, ADD_REACTION)?;
        access.require_not_archived()?;
        let existing = self
            .store
            .reactions()
            .list_for_posts(std::slice::from_ref(&post.id))
            .await?;
        let is_new_emoji = !existing.iter().any(|r| r.emoji_name == reaction.emoji_name);
        if is_new_emoji
            && self
                .store
                .reactions()
                .distinct_emoji_count(&post.id)
                .await?
                >= UNIQUE_EMOJI_PER_POST
        {
            return Err(Error::bad_request(
                "api.reaction.too_many_reactions.app_error",
                "This post has the most different reactions allowed.",
            ));
        }
        let saved = Reaction {
            user_id: actor.user.id.clone(),
            post_id: post.id.clone(),
            emoji_name: reaction.emoji_name,
            create_at: now_ms(),
            channel_id: post.channel_id.clone(),
            ..Reaction::default()
        };
        self.store.reactions().add(&saved).await?;
        let saved = Reaction {
            update_at: saved.create_at,
            ..saved
        };
        self.publish(
            Event::new("reaction_added")
                .to_channel(&saved.channel_id)
                .with("reaction", json_string(&saved)),
        );
        Ok(saved)
    }

    pub async fn remove_reaction(
        &self,
        actor: &Actor,
        user_id: &str,
        post_id: &str,
        emoji_name: &str,
    ) -> Result<Reaction> {
        if !is_valid_id(post_id) || !is_valid_id(user_id) {
            return Err(Error::invalid_param("post_id"));
        }
        let post = self.store.posts().get(post_id).await.or_not_found(|| {
            Error::not_found("app.post.get.app_error", "Unable to get the post.")
        })?;
        let access = self.channel_access(actor, &post.channel_id).await?;
        access.require(
            actor,
            if user_id == actor.user.id {
                REMOVE_REACTION
            } else {
                REMOVE_OTHERS_REACTIONS
            },
        )?;
        access.require_not_archived()?;
        let now = now_ms();
        self.store
            .reactions()
            .remove(user_id, post_id, emoji_name, now)
            .await
            .or_not_found(|| {
                Error::not_found(
                    "app.reaction.get_for_post.app_error",
                    "That reaction was not found.",
                )
            })?;
        let removed = Reaction {
            user_id: user_id.to_owned(),
            post_id: post_id.to_owned(),
            emoji_name: emoji_name.to_owned(),
            create_at: now,
            update_at: now,
            delete_at: now,
            channel_id: post.channel_id,
            remote_id: None,
        };
        self.publish(
            Event::new("reaction_removed")
                .to_channel(&removed.channel_id)
                .with("reaction", json_string(&removed)),
        );
        Ok(removed)
    }

    /// Reactions on posts the actor can read, grouped by post id.
    pub async fn reactions_for_posts(
        &self,
        actor: &Actor,
        post_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<Reaction>>> {
        let readable = self.get_posts_by_ids(actor, post_ids).await?;
        let ids: Vec<String> = readable.iter().map(|p| p.id.clone()).collect();
        let mut out: BTreeMap<String, Vec<Reaction>> =
            ids.iter().map(|id| (id.clone(), Vec::new())).collect();
        if !ids.is_empty() {
            for r in self.store.reactions().list_for_posts(&ids).await? {
                out.entry(r.post_id.clone()).or_default().push(r);
            }
        }
        Ok(out)
    }

    pub async fn preferences(
        &self,
        actor: &Actor,
        user_id: &str,
        category: Option<&str>,
    ) -> Result<Vec<Preference>> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        Ok(match category {
            Some(c) => self.store.preferences().list_category(user_id, c).await?,
            None => self.store.preferences().list(user_id).await?,
        })
    }

    pub async fn preference(
        &self,
        actor: &Actor,
        user_id: &str,
        category: &str,
        name: &str,
    ) -> Result<Preference> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.store
            .preferences()
            .get(user_id, category, name)
            .await
            .or_not_found(|| {
                Error::not_found("app.preference.get.app_error", "Unable to find preference.")
            })
    }

    fn check_preferences(&self, user_id: &str, prefs: &[Preference]) -> Result<()> {
        if prefs.is_empty() || prefs.len() > PREFERENCES_PER_REQUEST {
            return Err(Error::invalid_param("preferences"));
        }
        for p in prefs {
            if p.user_id != user_id {
                return Err(Error::forbidden());
            }
            let ok = (1..=PREFERENCE_CATEGORY_MAX).contains(&p.category.chars().count())
                && p.name.chars().count() <= PREFERENCE_NAME_MAX
                && p.value.chars().count() <= PREFERENCE_VALUE_MAX
                && (p.category != "theme"
                    || serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
                        &p.value,
                    )
                    .is_ok());
            if !ok {
                return Err(Error::bad_request(
                    "model.preference.is_valid.app_error",
                    "Invalid preference.",
                ));
            }
        }
        Ok(())
    }

    pub async fn save_preferences(
        &self,
        actor: &Actor,
        user_id: &str,
        prefs: Vec<Preference>,
    ) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.check_preferences(user_id, &prefs)?;
        self.store.preferences().save(&prefs).await?;
        self.publish(
            Event::new("preferences_changed")
                .to_user(user_id)
                .with("preferences", json_string(&prefs)),
        );
        Ok(())
    }

    pub async fn delete_preferences(
        &self,
        actor: &Actor,
        user_id: &str,
        prefs: Vec<Preference>,
    ) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.check_preferences(user_id, &prefs)?;
        self.store.preferences().delete(&prefs).await?;
        self.publish(
            Event::new("preferences_deleted")
                .to_user(user_id)
                .with("preferences", json_string(&prefs)),
        );
        Ok(())
    }

    /// A user's status; users never seen are offline. An expired DND reverts.
    pub async fn status(&self, actor: &Actor, user_id: &str) -> Result<Status> {
        actor
            .require(VIEW_MEMBERS)
            .or_else(|_| actor.require_self_or(user_id, EDIT_OTHER_USERS))?;
        if !is_valid_id(user_id) {
            return Err(Error::invalid_param("user_id"));
        }
        Ok(self.statuses_of(&[user_id.to_owned()]).await?.remove(0))
    }

    pub async fn statuses_by_ids(&self, actor: &Actor, ids: &[String]) -> Result<Vec<Status>> {
        actor.require(VIEW_MEMBERS)?;
        check_ids(ids, self.config.limits.max_batch_items, "user_ids")?;
        self.statuses_of(ids).await
    }

    pub(crate) async fn statuses_of(&self, ids: &[String]) -> Result<Vec<Status>> {
        let known = self.store.statuses().get_many(ids).await?;
        let now_s = now_ms() / 1000;
        Ok(ids
            .iter()
            .map(|id| match known.iter().find(|s| &s.user_id == id) {
                Some(s)
                    if s.status == STATUS_DND && s.dnd_end_time > 0 && s.dnd_end_time <= now_s =>
                {
                    Status {
                        status: if s.prev_status.is_empty() {
                            STATUS_ONLINE.into()
                        } else {
                            s.prev_status.clone()
                        },
                        dnd_end_time: 0,
                        manual: false,
                        ..s.clone()
                    }
                }
                Some(s) => s.clone(),
                None => Status {
                    user_id: id.clone(),
                    status: STATUS_OFFLINE.into(),
                    ..Status::default()
                },
            })
            .collect())
    }

    /// Sets a manual status (`dnd_end_time` in seconds for a timed DND).
    pub async fn set_status(
        &self,
        actor: &Actor,
        user_id: &str,
        status: &str,
        dnd_end_time: i64,
    ) -> Result<Status> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        if ![
            STATUS_ONLINE,
            STATUS_AWAY,
            STATUS_DND,
            STATUS_OFFLINE,
            STATUS_OOO,
        ]
        .contains(&status)
        {
            return Err(Error::bad_request(
                "api.status.set_status.bad_status",
                "Invalid status.",
            ));
        }
        let now = now_ms();
        if dnd_end_time < 0
            || (dnd_end_time > 0 && (status != STATUS_DND || dnd_end_time <= now / 1000))
        {
            return Err(Error::invalid_param("dnd_end_time"));
        }
        let previous = self.statuses_of(&[user_id.to_owned()]).await?.remove(0);
        let saved = Status {
            user_id: user_id.to_owned(),
            status: status.to_owned(),
            manual: status != STATUS_ONLINE,
            last_activity_at: now,
            dnd_end_time,
            prev_status: if status == STATUS_DND {
                previous.status
            } else {
                String::new()
            },
        };
        self.store.statuses().save(&saved).await?;
        self.publish_status(&saved);
        Ok(saved)
    }
}
