//! Posts, post lists and reactions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest message in characters (Mattermost's default `MaxPostSize`).
pub const POST_MESSAGE_MAX_CHARS: usize = 16383;
pub const POST_FILE_IDS_MAX: usize = 10;
pub const POST_PROPS_MAX_BYTES: usize = 800_000;

pub const POST_TYPE_JOIN_CHANNEL: &str = "system_join_channel";
pub const POST_TYPE_LEAVE_CHANNEL: &str = "system_leave_channel";
pub const POST_TYPE_ADD_TO_CHANNEL: &str = "system_add_to_channel";
pub const POST_TYPE_REMOVE_FROM_CHANNEL: &str = "system_remove_from_channel";
pub const POST_TYPE_HEADER_CHANGE: &str = "system_header_change";
pub const POST_TYPE_PURPOSE_CHANGE: &str = "system_purpose_change";
pub const POST_TYPE_DISPLAYNAME_CHANGE: &str = "system_displayname_change";
pub const POST_TYPE_CHANNEL_DELETED: &str = "system_channel_deleted";
pub const POST_TYPE_CHANNEL_RESTORED: &str = "system_channel_restored";
pub const POST_TYPE_JOIN_TEAM: &str = "system_join_team";
pub const POST_TYPE_LEAVE_TEAM: &str = "system_leave_team";

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Post {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub edit_at: i64,
    pub delete_at: i64,
    pub is_pinned: bool,
    pub user_id: String,
    pub channel_id: String,
    pub root_id: String,
    pub original_id: String,
    pub message: String,
    #[serde(rename = "type")]
    pub post_type: String,
    /// Always an object on the wire (`{}` when empty).
    #[serde(default = "empty_object")]
    pub props: serde_json::Value,
    pub hashtags: String,
    pub file_ids: Vec<String>,
    pub pending_post_id: String,
    #[serde(default)]
    pub has_reactions: bool,
    /// Replies in the thread (on every post of a thread, as Mattermost fills it).
    #[serde(default)]
    pub reply_count: i64,
    #[serde(default)]
    pub last_reply_at: i64,
    #[serde(default)]
    pub participants: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_following: Option<bool>,
    #[serde(default)]
    pub metadata: serde_json::Value,
}

impl Post {
    pub fn is_system(&self) -> bool {
        self.post_type.starts_with("system_")
    }
    pub fn is_reply(&self) -> bool {
        !self.root_id.is_empty()
    }
}

/// `{order, posts, next_post_id, prev_post_id}`: `order` newest first; `posts` may hold more
/// than `order` (thread context).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PostList {
    pub order: Vec<String>,
    pub posts: BTreeMap<String, Post>,
    pub next_post_id: String,
    pub prev_post_id: String,
    pub has_next: bool,
    pub first_inaccessible_post_time: i64,
}

impl PostList {
    pub fn push(&mut self, post: Post) {
        self.order.push(post.id.clone());
        self.posts.insert(post.id.clone(), post);
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostPatch {
    pub message: Option<String>,
    pub is_pinned: Option<bool>,
    pub file_ids: Option<Vec<String>>,
    pub props: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Reaction {
    pub user_id: String,
    pub post_id: String,
    pub emoji_name: String,
    pub create_at: i64,
    #[serde(default)]
    pub update_at: i64,
    #[serde(default)]
    pub delete_at: i64,
    #[serde(default)]
    pub remote_id: Option<String>,
    #[serde(default)]
    pub channel_id: String,
}

/// `#tags` in a message, space-separated, as Mattermost fills `post.hashtags`: a tag starts
/// with a letter, may contain letters, digits, `-`, `_` and inner `.`, and is 3–1000 chars.
pub fn parse_hashtags(message: &str) -> String {
    let mut tags: Vec<String> = Vec::new();
    for word in message.split(|c: char| c.is_whitespace() || ",;:!?()[]{}<>\"'".contains(c)) {
        let Some(tag) = word.strip_prefix('#') else {
            continue;
        };
        let tag = tag.trim_end_matches('.');
        let valid = tag.chars().next().is_some_and(char::is_alphabetic)
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && tag.chars().count() >= 2
            && tag.len() < 1000;
        let tag = format!("#{tag}");
        if valid && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags() {
        let cases = [
            ("plain text", ""),
            ("#release notes", "#release"),
            ("ship #v2-final and #v2-final again", "#v2-final"),
            ("end of sentence #done.", "#done"),
            ("#a too short, #1abc starts with digit", ""),
            ("(#inparens) \"#quoted\"", "#inparens #quoted"),
            ("#dotted.tag #ümlaut", "#dotted.tag #ümlaut"),
            ("no#inside", ""),
        ];
        for (message, expected) in cases {
            assert_eq!(parse_hashtags(message), expected, "{message:?}");
        }
    }
}
