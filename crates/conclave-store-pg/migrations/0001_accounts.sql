-- Accounts, sessions, personal access tokens, system settings, audit trail.
CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    create_at             BIGINT NOT NULL,
    update_at             BIGINT NOT NULL,
    delete_at             BIGINT NOT NULL DEFAULT 0,
    username              TEXT NOT NULL,
    email                 TEXT NOT NULL,
    email_verified        BOOLEAN NOT NULL DEFAULT FALSE,
    auth_service          TEXT NOT NULL DEFAULT '',
    auth_data             TEXT NOT NULL DEFAULT '',
    nickname              TEXT NOT NULL DEFAULT '',
    first_name            TEXT NOT NULL DEFAULT '',
    last_name             TEXT NOT NULL DEFAULT '',
    position              TEXT NOT NULL DEFAULT '',
    roles                 TEXT NOT NULL DEFAULT '',
    allow_marketing       BOOLEAN NOT NULL DEFAULT FALSE,
    props                 TEXT NOT NULL DEFAULT '{}',
    notify_props          TEXT NOT NULL DEFAULT '{}',
    timezone              TEXT NOT NULL DEFAULT '{}',
    locale                TEXT NOT NULL DEFAULT 'en',
    password_hash         TEXT NOT NULL DEFAULT '',
    mfa_active            BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_secret            TEXT NOT NULL DEFAULT '',
    failed_attempts       BIGINT NOT NULL DEFAULT 0,
    last_password_update  BIGINT NOT NULL DEFAULT 0,
    last_picture_update   BIGINT NOT NULL DEFAULT 0,
    last_activity_at      BIGINT NOT NULL DEFAULT 0,
    is_bot                BOOLEAN NOT NULL DEFAULT FALSE,
    disable_welcome_email BOOLEAN NOT NULL DEFAULT FALSE,
    -- Set when notify_props hold mention keys or first-name mentions (see the stores).
    mention_keyed         BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_mention_keyed ON users (mention_keyed) WHERE mention_keyed;

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    token            TEXT NOT NULL UNIQUE,
    create_at        BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id),
    device_id        TEXT NOT NULL DEFAULT '',
    roles            TEXT NOT NULL DEFAULT '',
    is_oauth         BOOLEAN NOT NULL DEFAULT FALSE,
    expired_notify   BOOLEAN NOT NULL DEFAULT FALSE,
    props            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE user_access_tokens (
    id          TEXT PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    description TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX user_access_tokens_user_id ON user_access_tokens (user_id);

CREATE TABLE systems (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audits (
    id         TEXT PRIMARY KEY,
    create_at  BIGINT NOT NULL,
    user_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    extra_info TEXT NOT NULL DEFAULT '',
    ip_address TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audits_user_id_create_at ON audits (user_id, create_at);
