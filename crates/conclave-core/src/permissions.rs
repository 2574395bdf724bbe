//! Roles and the permissions they grant (Mattermost's built-in defaults). The only place
//! that answers "may this actor do that"; services call it, handlers never do.

/// A permission id, as Mattermost names it.
pub type Permission = &'static str;

pub const MANAGE_SYSTEM: Permission = "manage_system";
pub const EDIT_OTHER_USERS: Permission = "edit_other_users";
pub const MANAGE_ROLES: Permission = "manage_roles";
pub const CREATE_USER: Permission = "create_user";
pub const VIEW_MEMBERS: Permission = "view_members";
pub const CREATE_USER_ACCESS_TOKEN: Permission = "create_user_access_token";
pub const READ_USER_ACCESS_TOKEN: Permission = "read_user_access_token";
pub const REVOKE_USER_ACCESS_TOKEN: Permission = "revoke_user_access_token";
pub const LIST_PUBLIC_TEAMS: Permission = "list_public_teams";
pub const JOIN_PUBLIC_TEAMS: Permission = "join_public_teams";
pub const CREATE_DIRECT_CHANNEL: Permission = "create_direct_channel";
pub const CREATE_GROUP_CHANNEL: Permission = "create_group_channel";
pub const CREATE_TEAM: Permission = "create_team";
pub const LIST_TEAM_CHANNELS: Permission = "list_team_channels";
pub const JOIN_PUBLIC_CHANNELS: Permission = "join_public_channels";
pub const READ_PUBLIC_CHANNEL: Permission = "read_public_channel";
pub const VIEW_TEAM: Permission = "view_team";
pub const CREATE_PUBLIC_CHANNEL: Permission = "create_public_channel";
pub const CREATE_PRIVATE_CHANNEL: Permission = "create_private_channel";
pub const ADD_USER_TO_TEAM: Permission = "add_user_to_team";
pub const REMOVE_USER_FROM_TEAM: Permission = "remove_user_from_team";
pub const MANAGE_TEAM: Permission = "manage_team";
pub const MANAGE_TEAM_ROLES: Permission = "manage_team_roles";
pub const MANAGE_CHANNEL_ROLES: Permission = "manage_channel_roles";
pub const CONVERT_PUBLIC_CHANNEL_TO_PRIVATE: Permission = "convert_public_channel_to_private";
pub const CONVERT_PRIVATE_CHANNEL_TO_PUBLIC: Permission = "convert_private_channel_to_public";
pub const DELETE_POST: Permission = "delete_post";
pub const DELETE_OTHERS_POSTS: Permission = "delete_others_posts";
pub const EDIT_POST: Permission = "edit_post";
pub const EDIT_OTHERS_POSTS: Permission = "edit_others_posts";
pub const READ_CHANNEL: Permission = "read_channel";
pub const READ_CHANNEL_CONTENT: Permission = "read_channel_content";
pub const ADD_REACTION: Permission = "add_reaction";
pub const REMOVE_REACTION: Permission = "remove_reaction";
pub const REMOVE_OTHERS_REACTIONS: Permission = "remove_others_reactions";
pub const MANAGE_PUBLIC_CHANNEL_MEMBERS: Permission = "manage_public_channel_members";
pub const MANAGE_PRIVATE_CHANNEL_MEMBERS: Permission = "manage_private_channel_members";
pub const UPLOAD_FILE: Permission = "upload_file";
pub const CREATE_POST: Permission = "create_post";
pub const USE_CHANNEL_MENTIONS: Permission = "use_channel_mentions";
pub const MANAGE_PUBLIC_CHANNEL_PROPERTIES: Permission = "manage_public_channel_properties";
pub const MANAGE_PRIVATE_CHANNEL_PROPERTIES: Permission = "manage_private_channel_properties";
pub const DELETE_PUBLIC_CHANNEL: Permission = "delete_public_channel";
pub const DELETE_PRIVATE_CHANNEL: Permission = "delete_private_channel";
pub const USE_GROUP_MENTIONS: Permission = "use_group_mentions";

pub const SYSTEM_ADMIN: &str = "system_admin";
pub const SYSTEM_USER: &str = "system_user";
pub const SYSTEM_GUEST: &str = "system_guest";

/// System roles an admin may assign with `PUT /users/{id}/roles`.
pub const ASSIGNABLE_SYSTEM_ROLES: &[&str] = &[
    SYSTEM_ADMIN,
    SYSTEM_USER,
    SYSTEM_GUEST,
    "system_user_access_token",
    "system_post_all",
    "system_post_all_public",
    "system_user_manager",
    "system_manager",
    "system_read_only_admin",
];

/// Permissions a built-in role grants. `system_admin` holds every permission.
fn grants(role: &str) -> &'static [Permission] {
    match role {
        SYSTEM_USER => &[
            LIST_PUBLIC_TEAMS,
            JOIN_PUBLIC_TEAMS,
            CREATE_DIRECT_CHANNEL,
            CREATE_GROUP_CHANNEL,
            VIEW_MEMBERS,
            CREATE_TEAM,
        ],
        SYSTEM_GUEST => &[CREATE_DIRECT_CHANNEL, CREATE_GROUP_CHANNEL],
        "system_user_access_token" => &[
            CREATE_USER_ACCESS_TOKEN,
            READ_USER_ACCESS_TOKEN,
            REVOKE_USER_ACCESS_TOKEN,
        ],
        "team_user" => &[
            LIST_TEAM_CHANNELS,
            JOIN_PUBLIC_CHANNELS,
            READ_PUBLIC_CHANNEL,
            VIEW_TEAM,
            CREATE_PUBLIC_CHANNEL,
            CREATE_PRIVATE_CHANNEL,
            "invite_user",
            ADD_USER_TO_TEAM,
        ],
        "team_admin" => &[
            REMOVE_USER_FROM_TEAM,
            MANAGE_TEAM,
            "import_team",
            MANAGE_TEAM_ROLES,
            MANAGE_CHANNEL_ROLES,
            CONVERT_PUBLIC_CHANNEL_TO_PRIVATE,
            CONVERT_PRIVATE_CHANNEL_TO_PUBLIC,
            DELETE_POST,
            DELETE_OTHERS_POSTS,
            MANAGE_PUBLIC_CHANNEL_MEMBERS,
            MANAGE_PRIVATE_CHANNEL_MEMBERS,
            MANAGE_PUBLIC_CHANNEL_PROPERTIES,
            MANAGE_PRIVATE_CHANNEL_PROPERTIES,
            DELETE_PUBLIC_CHANNEL,
            DELETE_PRIVATE_CHANNEL,
        ],
        "channel_user" => &[
            READ_CHANNEL,
            READ_CHANNEL_CONTENT,
            ADD_REACTION,
            REMOVE_REACTION,
            MANAGE_PUBLIC_CHANNEL_MEMBERS,
            MANAGE_PRIVATE_CHANNEL_MEMBERS,
            UPLOAD_FILE,
            "get_public_link",
            CREATE_POST,
            USE_CHANNEL_MENTIONS,
            MANAGE_PUBLIC_CHANNEL_PROPERTIES,
            MANAGE_PRIVATE_CHANNEL_PROPERTIES,
            DELETE_PUBLIC_CHANNEL,
            DELETE_PRIVATE_CHANNEL,
            DELETE_POST,
            EDIT_POST,
        ],
        "channel_admin" => &[MANAGE_CHANNEL_ROLES, USE_GROUP_MENTIONS],
        _ => &[],
    }
}

/// The permissions of a built-in role, by name (`system_admin` lists those the others name).
pub fn built_in_role(name: &str) -> Option<Vec<Permission>> {
    const KNOWN: &[&str] = &[
        SYSTEM_USER,
        SYSTEM_GUEST,
        "system_user_access_token",
        "team_user",
        "team_admin",
        "channel_user",
        "channel_admin",
    ];
    if name == SYSTEM_ADMIN {
        let mut all: Vec<Permission> = KNOWN
            .iter()
            .flat_map(|r| grants(r).iter().copied())
            .collect();
        all.extend([
            MANAGE_SYSTEM,
            EDIT_OTHER_USERS,
            MANAGE_ROLES,
            CREATE_USER,
            EDIT_OTHERS_POSTS,
            REMOVE_OTHERS_REACTIONS,
        ]);
        all.sort_unstable();
        all.dedup();
        return Some(all);
    }
    KNOWN.contains(&name).then(|| grants(name).to_vec())
}

/// True when any of the space-separated `roles` grants `permission`.
pub fn roles_grant(roles: &str, permission: Permission) -> bool {
    roles
        .split_whitespace()
        .any(|r| r == SYSTEM_ADMIN || grants(r).contains(&permission))
}

/// Normalises a requested role list: known roles only, no duplicates, and exactly one of
/// `system_user` / `system_guest`. `None` when the list is unacceptable.
pub fn normalize_system_roles(requested: &str) -> Option<String> {
    let mut roles: Vec<&str> = Vec::new();
    for r in requested.split_whitespace() {
        if !ASSIGNABLE_SYSTEM_ROLES.contains(&r) {
            return None;
        }
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    let base = roles
        .iter()
        .filter(|r| **r == SYSTEM_USER || **r == SYSTEM_GUEST)
        .count();
    if base != 1 || (roles.contains(&SYSTEM_GUEST) && roles.contains(&SYSTEM_ADMIN)) {
        return None;
    }
    Some(roles.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        let cases: &[(&str, Permission, bool)] = &[
            ("system_user", VIEW_MEMBERS, true),
            ("system_user", CREATE_TEAM, true),
            ("system_user", EDIT_OTHER_USERS, false),
            ("system_user", MANAGE_SYSTEM, false),
            ("system_user", CREATE_USER_ACCESS_TOKEN, false),
            (
                "system_user system_user_access_token",
                CREATE_USER_ACCESS_TOKEN,
                true,
            ),
            (
                "system_user system_user_access_token",
                REVOKE_USER_ACCESS_TOKEN,
                true,
            ),
            ("system_guest", VIEW_MEMBERS, false),
            ("system_guest", CREATE_DIRECT_CHANNEL, true),
            ("system_admin system_user", MANAGE_SYSTEM, true),
            ("system_admin system_user", EDIT_OTHER_USERS, true),
            ("system_admin", CREATE_USER_ACCESS_TOKEN, true),
            ("", VIEW_MEMBERS, false),
            ("made_up_role", VIEW_MEMBERS, false),
        ];
        for (roles, perm, expected) in cases {
            assert_eq!(roles_grant(roles, perm), *expected, "{roles:?} {perm}");
        }
    }

    #[test]
    fn role_lists_are_normalised() {
        let cases = [
            ("system_user", Some("system_user")),
            ("system_admin system_user", Some("system_admin system_user")),
            (
                "system_user  system_user system_user_access_token",
                Some("system_user system_user_access_token"),
            ),
            ("system_admin", None),
            ("system_user system_guest", None),
            ("system_guest system_admin", None),
            ("system_user root", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                normalize_system_roles(input).as_deref(),
                expected,
                "{input:?}"
            );
        }
    }
}
