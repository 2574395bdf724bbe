-- Sidebar categories and the channels placed in them.
CREATE TABLE sidebar_categories (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    team_id      TEXT NOT NULL,
    sort_order   INTEGER NOT NULL DEFAULT 0,
    sorting      TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    muted        INTEGER NOT NULL DEFAULT 0,
    collapsed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sidebar_categories_user_team ON sidebar_categories (user_id, team_id);

CREATE TABLE sidebar_channels (
    category_id TEXT NOT NULL,
    channel_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (category_id, channel_id)
);
CREATE INDEX sidebar_channels_user_team ON sidebar_channels (user_id, team_id);
