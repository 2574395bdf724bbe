//! Field rules for user input, with Mattermost's error ids so clients can switch on them.

use crate::user::{StringMap, User};

pub const USERNAME_MAX: usize = 64;
pub const EMAIL_MAX: usize = 128;
pub const NAME_MAX: usize = 64;
pub const POSITION_MAX: usize = 128;
pub const LOCALE_MAX: usize = 5;
pub const PASSWORD_MAX_BYTES: usize = 72;
pub const MAP_MAX_ENTRIES: usize = 64;
pub const MAP_KEY_MAX: usize = 64;
pub const MAP_VALUE_MAX: usize = 4096;

const RESERVED_USERNAMES: &[&str] = &["all", "channel", "here", "matterbot", "system"];

/// A field that failed validation: `id` is the stable Mattermost error id, `field` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub id: &'static str,
    pub field: &'static str,
}

fn err(id: &'static str, field: &'static str) -> Result<(), FieldError> {
    Err(FieldError { id, field })
}

pub fn username(name: &str) -> Result<(), FieldError> {
    let ok = !name.is_empty()
        && name.len() <= USERNAME_MAX
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && !RESERVED_USERNAMES.contains(&name);
    if ok {
        Ok(())
    } else {
        err("model.user.is_valid.username.app_error", "username")
    }
}

pub fn email(email: &str) -> Result<(), FieldError> {
    let ok = email.len() <= EMAIL_MAX
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        err("model.user.is_valid.email.app_error", "email")
    }
}

fn max_chars(
    value: &str,
    max: usize,
    id: &'static str,
    field: &'static str,
) -> Result<(), FieldError> {
    if value.chars().count() <= max {
        Ok(())
    } else {
        err(id, field)
    }
}

fn string_map(map: &StringMap, field: &'static str) -> Result<(), FieldError> {
    let ok = map.len() <= MAP_MAX_ENTRIES
        && map
            .iter()
            .all(|(k, v)| k.chars().count() <= MAP_KEY_MAX && v.chars().count() <= MAP_VALUE_MAX);
    if ok {
        Ok(())
    } else {
        err("model.user.is_valid.props.app_error", field)
    }
}

/// Checks every user-controlled field of a user before it is stored.
pub fn user(u: &User) -> Result<(), FieldError> {
    username(&u.username)?;
    email(&u.email)?;
    max_chars(
        &u.nickname,
        NAME_MAX,
        "model.user.is_valid.nickname.app_error",
        "nickname",
    )?;
    max_chars(
        &u.first_name,
        NAME_MAX,
        "model.user.is_valid.first_name.app_error",
        "first_name",
    )?;
    max_chars(
        &u.last_name,
        NAME_MAX,
        "model.user.is_valid.last_name.app_error",
        "last_name",
    )?;
    max_chars(
        &u.position,
        POSITION_MAX,
        "model.user.is_valid.position.app_error",
        "position",
    )?;
    max_chars(
        &u.locale,
        LOCALE_MAX,
        "model.user.is_valid.locale.app_error",
        "locale",
    )?;
    string_map(&u.props, "props")?;
    string_map(&u.notify_props, "notify_props")?;
    string_map(&u.timezone, "timezone")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let cases = [
            ("alice", true),
            ("a", true),
            ("a.b-c_d9", true),
            ("", false),
            ("Alice", false),
            ("9lives", false),
            ("al ice", false),
            ("all", false),
            ("channel", false),
            ("ålice", false),
            (&"a".repeat(64), true),
            (&"a".repeat(65), false),
        ];
        for (name, ok) in cases {
            assert_eq!(username(name).is_ok(), ok, "{name:?}");
        }
    }

    #[test]
    fn emails() {
        let cases = [
            ("a@b.c", true),
            ("first.last+tag@example.com", true),
            ("", false),
            ("nobody", false),
            ("@b.c", false),
            ("a@", false),
            ("a@b@c", false),
            ("a b@c.d", false),
            ("<a@b.c>", false),
        ];
        for (e, ok) in cases {
            assert_eq!(email(e).is_ok(), ok, "{e:?}");
        }
        assert!(email(&format!("{}@b.cd", "a".repeat(124))).is_err());
    }
}
