-- Uploaded files. A file is unattached (post_id = '') until a post references it; deleting the
-- post soft-deletes its files; a cleanup job removes the bytes and then the row.
CREATE TABLE file_infos (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL,
    post_id           TEXT NOT NULL DEFAULT '',
    channel_id        TEXT NOT NULL,
    create_at         BIGINT NOT NULL,
    update_at         BIGINT NOT NULL,
    delete_at         BIGINT NOT NULL DEFAULT 0,
    name              TEXT NOT NULL,
    extension         TEXT NOT NULL DEFAULT '',
    size              BIGINT NOT NULL,
    mime_type         TEXT NOT NULL,
    width             BIGINT NOT NULL DEFAULT 0,
    height            BIGINT NOT NULL DEFAULT 0,
    has_preview_image BOOLEAN NOT NULL DEFAULT FALSE,
    mini_preview      TEXT,
    path              TEXT NOT NULL,
    thumbnail_path    TEXT NOT NULL DEFAULT '',
    preview_path      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX file_infos_post_id ON file_infos (post_id);
CREATE INDEX file_infos_create_at ON file_infos (create_at);
CREATE INDEX file_infos_delete_at ON file_infos (delete_at) WHERE delete_at > 0;
