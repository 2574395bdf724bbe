-- Accounts, sessions, personal access tokens, system settings, audit trail.
CREATE TABLE users (
    id                    TEXT PRIMARY KEY NOT NULL,
    create_at             INTEGER NOT NULL,
    update_at             INTEGER NOT NULL,
    delete_at             INTEGER NOT NULL DEFAULT 0,
    username              TEXT NOT NULL,
    email                 TEXT NOT NULL,
    email_verified        INTEGER NOT NULL DEFAULT 0,
    auth_service          TEXT NOT NULL DEFAULT '',
    auth_data             TEXT NOT NULL DEFAULT '',
    nickname              TEXT NOT NULL DEFAULT '',
    first_name            TEXT NOT NULL DEFAULT '',
    last_name             TEXT NOT NULL DEFAULT '',
    position              TEXT NOT NULL DEFAULT '',
    roles                 TEXT NOT NULL DEFAULT '',
    allow_marketing       INTEGER NOT NULL DEFAULT 0,
    props                 TEXT NOT NULL DEFAULT '{}',
    notify_props          TEXT NOT NULL DEFAULT '{}',
    timezone              TEXT NOT NULL DEFAULT '{}',
    locale                TEXT NOT NULL DEFAULT 'en',
    password_hash         TEXT NOT NULL DEFAULT '',
    mfa_active            INTEGER NOT NULL DEFAULT 0,
    mfa_secret            TEXT NOT NULL DEFAULT '',
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    last_password_update  INTEGER NOT NULL DEFAULT 0,
    last_picture_update   INTEGER NOT NULL DEFAULT 0,
    last_activity_at      INTEGER NOT NULL DEFAULT 0,
    is_bot                INTEGER NOT NULL DEFAULT 0,
    disable_welcome_email INTEGER NOT NULL DEFAULT 0,
    -- Set when notify_props hold mention keys or first-name mentions (see the stores).
    mention_keyed         INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_mention_keyed ON users (mention_keyed) WHERE mention_keyed = 1;

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY NOT NULL,
    token            TEXT NOT NULL UNIQUE,
    create_at        INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id),
    device_id        TEXT NOT NULL DEFAULT '',
    roles            TEXT NOT NULL DEFAULT '',
    is_oauth         INTEGER NOT NULL DEFAULT 0,
    expired_notify   INTEGER NOT NULL DEFAULT 0,
    props            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE user_access_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    token       TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    description TEXT NOT NULL DEFAULT '',
    is_active   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX user_access_tokens_user_id ON user_access_tokens (user_id);

CREATE TABLE systems (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE audits (
    id         TEXT PRIMARY KEY NOT NULL,
    create_at  INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    extra_info TEXT NOT NULL DEFAULT '',
    ip_address TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audits_user_id_create_at ON audits (user_id, create_at);
