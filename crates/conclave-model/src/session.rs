//! Login sessions and personal access tokens.

use serde::{Deserialize, Serialize};

use crate::user::StringMap;

/// Session `props.type` for sessions backed by a personal access token.
pub const SESSION_TYPE_USER_ACCESS_TOKEN: &str = "UserAccessToken";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Session {
    pub id: String,
    /// Blanked in every listing; only the login response's `Token` header carries it.
    pub token: String,
    pub create_at: i64,
    /// 0 means the session never expires (personal access tokens).
    pub expires_at: i64,
    pub last_activity_at: i64,
    pub user_id: String,
    pub device_id: String,
    pub roles: String,
    pub is_oauth: bool,
    pub expired_notify: bool,
    pub props: StringMap,
    #[serde(default)]
    pub team_members: Vec<serde_json::Value>,
    #[serde(default)]
    pub local: bool,
}

impl Session {
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at > 0 && self.expires_at <= now
    }

    pub fn csrf_token(&self) -> &str {
        self.props.get("csrf").map(String::as_str).unwrap_or("")
    }

    pub fn is_access_token(&self) -> bool {
        self.props.get("type").map(String::as_str) == Some(SESSION_TYPE_USER_ACCESS_TOKEN)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UserAccessToken {
    pub id: String,
    /// Only present in the create response.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    pub user_id: String,
    pub description: String,
    pub is_active: bool,
}
