//! The user account as stored and as sent on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub type StringMap = BTreeMap<String, String>;
pub type Timezone = StringMap;

pub const ROLE_SYSTEM_USER: &str = "system_user";
pub const ROLE_SYSTEM_ADMIN: &str = "system_admin";

fn is_zero(v: &i64) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

/// A user account. Secrets (`password_hash`, `mfa_secret`) are never serialized: the wire
/// format cannot leak them whatever a handler does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct User {
    pub id: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create_at: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub update_at: i64,
    #[serde(default)]
    pub delete_at: i64,
    pub username: String,
    #[serde(default)]
    pub auth_data: String,
    #[serde(default)]
    pub auth_service: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub email_verified: bool,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub roles: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_marketing: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub props: StringMap,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notify_props: StringMap,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_password_update: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_picture_update: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: i64,
    #[serde(default)]
    pub locale: String,
    #[serde(default)]
    pub timezone: Timezone,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mfa_active: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_bot: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_activity_at: i64,
    #[serde(default)]
    pub disable_welcome_email: bool,
    #[serde(skip)]
    pub password_hash: String,
    #[serde(skip)]
    pub mfa_secret: String,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.delete_at == 0
    }

    pub fn role_list(&self) -> impl Iterator<Item = &str> {
        self.roles.split_whitespace()
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.role_list().any(|r| r == role)
    }

    pub fn is_system_admin(&self) -> bool {
        self.has_role(ROLE_SYSTEM_ADMIN)
    }

    /// Whether someone can be mentioned by more than `@username`: custom mention keys or
    /// their first name. Stores index this so posts only look at such users.
    pub fn has_mention_keys(&self) -> bool {
        self.notify_props
            .get("mention_keys")
            .is_some_and(|k| !k.trim().is_empty())
            || self.notify_props.get("first_name").map(String::as_str) == Some("true")
    }

    pub fn default_notify_props() -> StringMap {
        [
            ("email", "true"),
            ("push", "mention"),
            ("desktop", "mention"),
            ("desktop_sound", "true"),
            ("mention_keys", ""),
            ("channel", "true"),
            ("push_status", "away"),
            ("comments", "never"),
            ("first_name", "false"),
            ("desktop_threads", "all"),
            ("email_threads", "all"),
            ("push_threads", "all"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    pub fn default_timezone() -> Timezone {
        [
            ("useAutomaticTimezone", "true"),
            ("automaticTimezone", ""),
            ("manualTimezone", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// What another (non-admin) user may see of this account, as Mattermost's
    /// `SanitizeProfile` does.
    pub fn sanitize_for_others(&mut self, show_email: bool, show_full_name: bool) {
        self.notify_props.clear();
        self.email_verified = false;
        self.allow_marketing = false;
        self.failed_attempts = 0;
        self.last_password_update = 0;
        if !show_email {
            self.email.clear();
        }
        if !show_full_name {
            self.first_name.clear();
            self.last_name.clear();
        }
    }
}

/// The fields a user may change with `PUT /users/{id}/patch`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserPatch {
    pub username: Option<String>,
    pub nickname: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub position: Option<String>,
    pub email: Option<String>,
    pub props: Option<StringMap>,
    pub notify_props: Option<StringMap>,
    pub locale: Option<String>,
    pub timezone: Option<Timezone>,
}
