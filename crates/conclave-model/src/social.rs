//! Per-user state the apps load at start-up: preferences, statuses, threads, sidebar.

use serde::{Deserialize, Serialize};

use crate::post::Post;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Preference {
    #[serde(default)]
    pub user_id: String,
    pub category: String,
    pub name: String,
    #[serde(default)]
    pub value: String,
}

pub const PREFERENCE_CATEGORY_MAX: usize = 32;
pub const PREFERENCE_NAME_MAX: usize = 32;
pub const PREFERENCE_VALUE_MAX: usize = 20_000;
pub const CATEGORY_FLAGGED_POST: &str = "flagged_post";

pub const STATUS_ONLINE: &str = "online";
pub const STATUS_AWAY: &str = "away";
pub const STATUS_DND: &str = "dnd";
pub const STATUS_OFFLINE: &str = "offline";
pub const STATUS_OOO: &str = "ooo";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Status {
    pub user_id: String,
    pub status: String,
    pub manual: bool,
    pub last_activity_at: i64,
    /// Seconds, not milliseconds (Mattermost's one exception); 0 = none.
    #[serde(default)]
    pub dnd_end_time: i64,
    #[serde(skip)]
    pub prev_status: String,
}

/// A user's view of a thread (collapsed reply threads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserThread {
    pub id: String,
    pub reply_count: i64,
    pub last_reply_at: i64,
    pub last_viewed_at: i64,
    pub participants: Vec<serde_json::Value>,
    pub post: Post,
    pub unread_replies: i64,
    pub unread_mentions: i64,
    pub is_urgent: bool,
    pub delete_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserThreads {
    pub total: i64,
    pub total_unread_threads: i64,
    pub total_unread_mentions: i64,
    pub total_unread_urgent_mentions: i64,
    pub threads: Vec<UserThread>,
}

pub const CATEGORY_FAVORITES: &str = "favorites";
pub const CATEGORY_CHANNELS: &str = "channels";
pub const CATEGORY_DIRECT_MESSAGES: &str = "direct_messages";
pub const CATEGORY_CUSTOM: &str = "custom";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SidebarCategory {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub sort_order: i64,
    #[serde(default)]
    pub sorting: String,
    #[serde(rename = "type", default)]
    pub category_type: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub muted: bool,
    #[serde(default)]
    pub collapsed: bool,
    #[serde(default)]
    pub channel_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SidebarCategories {
    pub categories: Vec<SidebarCategory>,
    pub order: Vec<String>,
}
