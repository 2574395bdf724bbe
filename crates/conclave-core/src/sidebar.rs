//! Sidebar categories: favourites, channels, direct messages and the user's own, kept per
//! user and team. Channels not placed anywhere fall into the default category for their kind.

use conclave_model::social::{
    CATEGORY_CHANNELS, CATEGORY_CUSTOM, CATEGORY_DIRECT_MESSAGES, CATEGORY_FAVORITES,
};
use conclave_model::{SidebarCategories, SidebarCategory, new_id};

use crate::permissions::EDIT_OTHER_USERS;
use crate::{Actor, App, Error, Result};
use conclave_realtime::{Event, json_string};

const NAME_MAX: usize = 64;
const SORTINGS: &[&str] = &["", "alpha", "recent", "manual"];

fn category_not_found() -> Error {
    Error::not_found(
        "app.channel.sidebar_categories.app_error",
        "Category not found.",
    )
}

impl App {
    async fn sidebar_scope(&self, actor: &Actor, user_id: &str, team_id: &str) -> Result<()> {
        actor.require_self_or(user_id, EDIT_OTHER_USERS)?;
        self.load_team(team_id).await?;
        if self.team_member(team_id, user_id).await?.is_none() && !actor.can(EDIT_OTHER_USERS) {
            return Err(Error::forbidden());
        }
        Ok(())
    }

    /// The stored categories (defaults created on first use) with every channel of the user
    /// placed in exactly one of them.
    pub async fn sidebar_categories(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
    ) -> Result<SidebarCategories> {
        self.sidebar_scope(actor, user_id, team_id).await?;
        let mut cats = self.store.sidebar().list(user_id, team_id).await?;
        if cats.is_empty() {
            let default = |kind: &str, name: &str, order: i64, sorting: &str| SidebarCategory {
                id: format!("{kind}_{user_id}_{team_id}"),
                user_id: user_id.to_owned(),
                team_id: team_id.to_owned(),
                sort_order: order,
                sorting: sorting.into(),
                category_type: kind.into(),
                display_name: name.into(),
                ..SidebarCategory::default()
            };
            cats = vec![
                default(CATEGORY_FAVORITES, "Favorites", 0, ""),
                default(CATEGORY_CHANNELS, "Channels", 10, "alpha"),
                default(CATEGORY_DIRECT_MESSAGES, "Direct Messages", 20, "recent"),
            ];
            self.store.sidebar().save(&cats).await?;
        }
        let channels = self
            .store
            .channels()
            .list_for_user(user_id, team_id, false)
            .await?;
        for cat in &mut cats {
            cat.channel_ids
                .retain(|id| channels.iter().any(|c| &c.id == id));
        }
        for c in &channels {
            if cats.iter().any(|cat| cat.channel_ids.contains(&c.id)) {
                continue;
            }
            let kind = if c.is_dm_or_gm() {
                CATEGORY_DIRECT_MESSAGES
            } else {
                CATEGORY_CHANNELS
            };
            if let Some(cat) = cats.iter_mut().find(|cat| cat.category_type == kind) {
                cat.channel_ids.push(c.id.clone());
            }
        }
        let order = cats.iter().map(|c| c.id.clone()).collect();
        Ok(SidebarCategories {
            categories: cats,
            order,
        })
    }

    pub async fn sidebar_category(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        category_id: &str,
    ) -> Result<SidebarCategory> {
        let all = self.sidebar_categories(actor, user_id, team_id).await?;
        all.categories
            .into_iter()
            .find(|c| c.id == category_id)
            .ok_or_else(category_not_found)
    }

    /// Checks a category's user-settable fields and that its channels are the user's own.
    async fn check_category(
        &self,
        user_id: &str,
        team_id: &str,
        cat: &SidebarCategory,
    ) -> Result<()> {
        let n = cat.display_name.trim().chars().count();
        if n == 0 || n > NAME_MAX || !SORTINGS.contains(&cat.sorting.as_str()) {
            return Err(Error::bad_request(
                "model.sidebar_category.is_valid.app_error",
                "Invalid category.",
            ));
        }
        if cat.channel_ids.len() > self.config.limits.max_batch_items {
            return Err(Error::invalid_param("channel_ids"));
        }
        if !cat.channel_ids.is_empty() {
            let mine = self
                .store
                .channels()
                .list_for_user(user_id, team_id, true)
                .await?;
            if !cat
                .channel_ids
                .iter()
                .all(|id| mine.iter().any(|c| &c.id == id))
            {
                return Err(Error::bad_request(
                    "app.channel.sidebar_categories.channel_not_member",
                    "Categories can only hold channels you are a member of.",
                ));
            }
        }
        Ok(())
    }

    pub async fn create_sidebar_category(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        mut cat: SidebarCategory,
    ) -> Result<SidebarCategory> {
        let existing = self.sidebar_categories(actor, user_id, team_id).await?;
        cat.id = new_id();
        cat.user_id = user_id.to_owned();
        cat.team_id = team_id.to_owned();
        cat.category_type = CATEGORY_CUSTOM.into();
        cat.sort_order = existing
            .categories
            .iter()
            .map(|c| c.sort_order)
            .max()
            .unwrap_or(0)
            + 10;
        self.check_category(user_id, team_id, &cat).await?;
        self.store
            .sidebar()
            .save(std::slice::from_ref(&cat))
            .await?;
        self.publish(
            Event::new("sidebar_category_created")
                .to_user(user_id)
                .to_team(team_id)
                .with("category_id", cat.id.as_str()),
        );
        Ok(cat)
    }

    /// Updates categories: names (custom ones), sorting, muted, collapsed and channel lists.
    pub async fn update_sidebar_categories(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        updates: Vec<SidebarCategory>,
    ) -> Result<Vec<SidebarCategory>> {
        let existing = self
            .sidebar_categories(actor, user_id, team_id)
            .await?
            .categories;
        let mut saved = Vec::with_capacity(updates.len());
        for update in updates {
            let Some(current) = existing.iter().find(|c| c.id == update.id) else {
                return Err(category_not_found());
            };
            let mut cat = current.clone();
            if current.category_type == CATEGORY_CUSTOM {
                cat.display_name = update.display_name.trim().to_owned();
            }
            cat.sorting = update.sorting;
            cat.muted = update.muted;
            cat.collapsed = update.collapsed;
            cat.channel_ids = update.channel_ids;
            self.check_category(user_id, team_id, &cat).await?;
            saved.push(cat);
        }
        self.store.sidebar().save(&saved).await?;
        self.publish(
            Event::new("sidebar_category_updated")
                .to_user(user_id)
                .to_team(team_id)
                .with("updatedCategories", json_string(&saved)),
        );
        Ok(saved)
    }

    /// Reorders categories; `order` must name each of the user's categories once.
    pub async fn set_sidebar_order(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        order: Vec<String>,
    ) -> Result<Vec<String>> {
        let mut cats = self
            .sidebar_categories(actor, user_id, team_id)
            .await?
            .categories;
        let mut wanted = order.clone();
        wanted.sort();
        let mut have: Vec<String> = cats.iter().map(|c| c.id.clone()).collect();
        have.sort();
        if wanted != have {
            return Err(Error::bad_request(
                "api.sidebar_categories.order.invalid",
                "The order must list every category once.",
            ));
        }
        for cat in &mut cats {
            cat.sort_order = order.iter().position(|id| *id == cat.id).unwrap_or(0) as i64 * 10;
        }
        self.store.sidebar().save(&cats).await?;
        self.publish(
            Event::new("sidebar_category_order_updated")
                .to_user(user_id)
                .to_team(team_id)
                .with("order", order.clone()),
        );
        Ok(order)
    }

    /// Deletes a custom category; its channels fall back to the default categories.
    pub async fn delete_sidebar_category(
        &self,
        actor: &Actor,
        user_id: &str,
        team_id: &str,
        category_id: &str,
    ) -> Result<()> {
        let cat = self
            .sidebar_category(actor, user_id, team_id, category_id)
            .await?;
        if cat.category_type != CATEGORY_CUSTOM {
            return Err(Error::bad_request(
                "api.sidebar_categories.delete.default",
                "Default categories cannot be deleted.",
            ));
        }
        self.store.sidebar().delete(user_id, category_id).await?;
        self.publish(
            Event::new("sidebar_category_deleted")
                .to_user(user_id)
                .to_team(team_id)
                .with("category_id", category_id),
        );
        Ok(())
    }
}
