-- Post search: a trigram index over message and hashtags, so any substring of three or more
-- characters (partial words, URLs, dotted names, CJK text) is found case-insensitively. It
-- indexes the posts table's own rows (external content) and triggers keep it current in the
-- same transaction as every write. Rebuild it after a VACUUM:
--   INSERT INTO posts_search (posts_search) VALUES ('rebuild');
CREATE VIRTUAL TABLE posts_search USING fts5 (
    message,
    hashtags,
    content = 'posts',
    content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0'
);

INSERT INTO posts_search (posts_search) VALUES ('rebuild');

CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_search (rowid, message, hashtags)
    VALUES (new.rowid, new.message, new.hashtags);
END;

CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, message, hashtags)
    VALUES ('delete', old.rowid, old.message, old.hashtags);
END;

CREATE TRIGGER posts_search_update AFTER UPDATE OF message, hashtags ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, message, hashtags)
    VALUES ('delete', old.rowid, old.message, old.hashtags);
    INSERT INTO posts_search (rowid, message, hashtags)
    VALUES (new.rowid, new.message, new.hashtags);
END;

-- User and channel search also match substrings (`LIKE '%…%'`); those tables are small enough
-- on one node that SQLite scans them.
