//! Teams and team membership.

use serde::{Deserialize, Serialize};

pub const TEAM_OPEN: &str = "O";
pub const TEAM_INVITE: &str = "I";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Team {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub display_name: String,
    pub name: String,
    pub description: String,
    pub email: String,
    #[serde(rename = "type")]
    pub team_type: String,
    pub company_name: String,
    pub allowed_domains: String,
    pub invite_id: String,
    pub allow_open_invite: bool,
    pub last_team_icon_update: i64,
    pub scheme_id: Option<String>,
    pub group_constrained: Option<bool>,
    pub policy_id: Option<String>,
    pub cloud_limits_archived: bool,
}

/// Fields `PUT /teams/{id}/patch` may change.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TeamPatch {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub company_name: Option<String>,
    pub allowed_domains: Option<String>,
    pub allow_open_invite: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TeamMember {
    pub team_id: String,
    pub user_id: String,
    pub roles: String,
    pub delete_at: i64,
    pub scheme_guest: bool,
    pub scheme_user: bool,
    pub scheme_admin: bool,
    pub explicit_roles: String,
    #[serde(default)]
    pub create_at: i64,
}

impl TeamMember {
    pub fn new(team_id: &str, user_id: &str, admin: bool, now: i64) -> TeamMember {
        TeamMember {
            team_id: team_id.into(),
            user_id: user_id.into(),
            roles: if admin {
                "team_user team_admin".into()
            } else {
                "team_user".into()
            },
            scheme_user: true,
            scheme_admin: admin,
            create_at: now,
            ..TeamMember::default()
        }
    }

    pub fn is_admin(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "team_admin")
    }
}

/// Unread totals per team for `GET /users/{id}/teams/unread`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TeamUnread {
    pub team_id: String,
    pub msg_count: i64,
    pub mention_count: i64,
    pub mention_count_root: i64,
    pub msg_count_root: i64,
    pub thread_count: i64,
    pub thread_mention_count: i64,
    pub thread_urgent_mention_count: i64,
}
