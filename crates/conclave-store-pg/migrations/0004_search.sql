-- Post search: trigram GIN indexes (pg_trgm) over message and hashtags, so case-insensitive
-- substring matches (ILIKE '%…%') of three or more characters use an index: partial words,
-- URLs, dotted names and CJK text are found. Creating the extension needs a role allowed to
-- (the database owner on PostgreSQL 13+, as pg_trgm is a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX posts_message_trgm ON posts USING gin (message gin_trgm_ops);
CREATE INDEX posts_hashtags_trgm ON posts USING gin (hashtags gin_trgm_ops);

-- User and channel search match substrings too (`LIKE '%…%'` on these expressions).
CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops);
CREATE INDEX users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops);
CREATE INDEX users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops);
CREATE INDEX users_nickname_trgm ON users USING gin (lower(nickname) gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);
CREATE INDEX channels_name_trgm ON channels USING gin (name gin_trgm_ops);
CREATE INDEX channels_display_name_trgm ON channels USING gin (lower(display_name) gin_trgm_ops);
