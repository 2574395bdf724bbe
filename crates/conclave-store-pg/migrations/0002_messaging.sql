-- Teams, channels, posts, threads, reactions, preferences, statuses.
CREATE TABLE teams (
    id                    TEXT PRIMARY KEY,
    create_at             BIGINT NOT NULL,
    update_at             BIGINT NOT NULL,
    delete_at             BIGINT NOT NULL DEFAULT 0,
    display_name          TEXT NOT NULL,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    email                 TEXT NOT NULL DEFAULT '',
    type                  TEXT NOT NULL,
    company_name          TEXT NOT NULL DEFAULT '',
    allowed_domains       TEXT NOT NULL DEFAULT '',
    invite_id             TEXT NOT NULL,
    allow_open_invite     BOOLEAN NOT NULL DEFAULT FALSE,
    last_team_icon_update BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT teams_name_key UNIQUE (name)
);
CREATE INDEX teams_invite_id ON teams (invite_id);

CREATE TABLE team_members (
    team_id        TEXT NOT NULL REFERENCES teams (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    roles          TEXT NOT NULL,
    delete_at      BIGINT NOT NULL DEFAULT 0,
    scheme_guest   BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_user    BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_admin   BOOLEAN NOT NULL DEFAULT FALSE,
    explicit_roles TEXT NOT NULL DEFAULT '',
    create_at      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id ON team_members (user_id);

CREATE TABLE channels (
    id                   TEXT PRIMARY KEY,
    create_at            BIGINT NOT NULL,
    update_at            BIGINT NOT NULL,
    delete_at            BIGINT NOT NULL DEFAULT 0,
    team_id              TEXT NOT NULL,
    type                 TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    name                 TEXT NOT NULL,
    header               TEXT NOT NULL DEFAULT '',
    purpose              TEXT NOT NULL DEFAULT '',
    last_post_at         BIGINT NOT NULL DEFAULT 0,
    total_msg_count      BIGINT NOT NULL DEFAULT 0,
    total_msg_count_root BIGINT NOT NULL DEFAULT 0,
    last_root_post_at    BIGINT NOT NULL DEFAULT 0,
    extra_update_at      BIGINT NOT NULL DEFAULT 0,
    creator_id           TEXT NOT NULL DEFAULT '',
    CONSTRAINT channels_name_key UNIQUE (team_id, name)
);

CREATE TABLE channel_members (
    channel_id           TEXT NOT NULL REFERENCES channels (id),
    user_id              TEXT NOT NULL REFERENCES users (id),
    roles                TEXT NOT NULL,
    last_viewed_at       BIGINT NOT NULL DEFAULT 0,
    msg_count            BIGINT NOT NULL DEFAULT 0,
    mention_count        BIGINT NOT NULL DEFAULT 0,
    mention_count_root   BIGINT NOT NULL DEFAULT 0,
    urgent_mention_count BIGINT NOT NULL DEFAULT 0,
    msg_count_root       BIGINT NOT NULL DEFAULT 0,
    notify_props         TEXT NOT NULL DEFAULT '{}',
    last_update_at       BIGINT NOT NULL DEFAULT 0,
    scheme_guest         BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_user          BOOLEAN NOT NULL DEFAULT FALSE,
    scheme_admin         BOOLEAN NOT NULL DEFAULT FALSE,
    explicit_roles       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user_id ON channel_members (user_id);

CREATE TABLE posts (
    id              TEXT PRIMARY KEY,
    create_at       BIGINT NOT NULL,
    update_at       BIGINT NOT NULL,
    edit_at         BIGINT NOT NULL DEFAULT 0,
    delete_at       BIGINT NOT NULL DEFAULT 0,
    is_pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    user_id         TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    root_id         TEXT NOT NULL DEFAULT '',
    original_id     TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL,
    type            TEXT NOT NULL DEFAULT '',
    props           TEXT NOT NULL DEFAULT '{}',
    hashtags        TEXT NOT NULL DEFAULT '',
    file_ids        TEXT NOT NULL DEFAULT '[]',
    pending_post_id TEXT NOT NULL DEFAULT '',
    has_reactions   BOOLEAN NOT NULL DEFAULT FALSE
);
-- Matches the paging order (create_at, id) exactly, so pages are index range scans.
CREATE INDEX posts_channel_id_create_at_id ON posts (channel_id, create_at, id);
CREATE INDEX posts_channel_id_update_at ON posts (channel_id, update_at);
CREATE INDEX posts_root_id_create_at ON posts (root_id, create_at);

CREATE TABLE threads (
    post_id       TEXT PRIMARY KEY,
    channel_id    TEXT NOT NULL,
    reply_count   BIGINT NOT NULL DEFAULT 0,
    last_reply_at BIGINT NOT NULL DEFAULT 0,
    participants  TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE thread_memberships (
    post_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    following       BOOLEAN NOT NULL DEFAULT TRUE,
    last_viewed     BIGINT NOT NULL DEFAULT 0,
    last_updated    BIGINT NOT NULL DEFAULT 0,
    unread_mentions BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX thread_memberships_user_id ON thread_memberships (user_id, last_updated);

CREATE TABLE reactions (
    post_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    emoji_name TEXT NOT NULL,
    create_at  BIGINT NOT NULL,
    update_at  BIGINT NOT NULL,
    channel_id TEXT NOT NULL,
    PRIMARY KEY (post_id, user_id, emoji_name)
);

CREATE TABLE preferences (
    user_id  TEXT NOT NULL,
    category TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (user_id, category, name)
);
CREATE INDEX preferences_category_name ON preferences (category, name);

CREATE TABLE status (
    user_id          TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    manual           BOOLEAN NOT NULL DEFAULT FALSE,
    last_activity_at BIGINT NOT NULL DEFAULT 0,
    dnd_end_time     BIGINT NOT NULL DEFAULT 0,
    prev_status      TEXT NOT NULL DEFAULT ''
);
