//! Channels (public, private, direct, group) and channel membership.

use serde::{Deserialize, Serialize};

use crate::user::StringMap;

pub const CHANNEL_OPEN: &str = "O";
pub const CHANNEL_PRIVATE: &str = "P";
pub const CHANNEL_DIRECT: &str = "D";
pub const CHANNEL_GROUP: &str = "G";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Channel {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    /// Empty for direct and group channels.
    pub team_id: String,
    #[serde(rename = "type")]
    pub channel_type: String,
    pub display_name: String,
    pub name: String,
    pub header: String,
    pub purpose: String,
    pub last_post_at: i64,
    pub total_msg_count: i64,
    pub extra_update_at: i64,
    pub creator_id: String,
    pub scheme_id: Option<String>,
    pub props: Option<serde_json::Value>,
    pub group_constrained: Option<bool>,
    pub shared: Option<bool>,
    pub total_msg_count_root: i64,
    pub policy_id: Option<String>,
    pub last_root_post_at: i64,
}

impl Channel {
    pub fn is_direct(&self) -> bool {
        self.channel_type == CHANNEL_DIRECT
    }
    pub fn is_group(&self) -> bool {
        self.channel_type == CHANNEL_GROUP
    }
    /// Direct or group: membership is fixed and there is no team.
    pub fn is_dm_or_gm(&self) -> bool {
        self.is_direct() || self.is_group()
    }
    pub fn is_public(&self) -> bool {
        self.channel_type == CHANNEL_OPEN
    }
    pub fn is_archived(&self) -> bool {
        self.delete_at > 0
    }
}

/// The DM channel name for two users: their ids sorted, joined by `__`.
pub fn direct_channel_name(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}__{b}")
    } else {
        format!("{b}__{a}")
    }
}

/// Fields `PUT /channels/{id}/patch` may change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChannelPatch {
    pub display_name: Option<String>,
    pub name: Option<String>,
    pub header: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChannelMember {
    pub channel_id: String,
    pub user_id: String,
    pub roles: String,
    pub last_viewed_at: i64,
    pub msg_count: i64,
    pub mention_count: i64,
    pub mention_count_root: i64,
    pub urgent_mention_count: i64,
    pub msg_count_root: i64,
    pub notify_props: StringMap,
    pub last_update_at: i64,
    pub scheme_guest: bool,
    pub scheme_user: bool,
    pub scheme_admin: bool,
    pub explicit_roles: String,
}

impl ChannelMember {
    pub fn new(channel_id: &str, user_id: &str, admin: bool, now: i64) -> ChannelMember {
        ChannelMember {
            channel_id: channel_id.into(),
            user_id: user_id.into(),
            roles: if admin {
                "channel_user channel_admin".into()
            } else {
                "channel_user".into()
            },
            notify_props: default_member_notify_props(),
            last_update_at: now,
            scheme_user: true,
            scheme_admin: admin,
            ..ChannelMember::default()
        }
    }

    pub fn is_admin(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "channel_admin")
    }
}

pub fn default_member_notify_props() -> StringMap {
    [
        ("desktop", "default"),
        ("mark_unread", "all"),
        ("push", "default"),
        ("email", "default"),
        ("ignore_channel_mentions", "default"),
        ("channel_auto_follow_threads", "off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `GET /users/{uid}/channels/{cid}/unread`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChannelUnread {
    pub team_id: String,
    pub channel_id: String,
    pub msg_count: i64,
    pub mention_count: i64,
    pub mention_count_root: i64,
    pub urgent_mention_count: i64,
    pub msg_count_root: i64,
}
