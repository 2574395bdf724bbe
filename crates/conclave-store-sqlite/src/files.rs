use async_trait::async_trait;
use conclave_model::file::FileInfo;
use conclave_store::{FileStore, StoreResult};
use rusqlite::{Row, params, params_from_iter};

use crate::SqliteStore;
use crate::db::{placeholders, query_one, query_vec, to_store_error};

const COLUMNS: &str = "id, user_id, post_id, channel_id, create_at, update_at, delete_at, name, \
    extension, size, mime_type, width, height, has_preview_image, mini_preview, path, \
    thumbnail_path, preview_path";

fn from_row(r: &Row) -> rusqlite::Result<FileInfo> {
    Ok(FileInfo {
        id: r.get(0)?,
        user_id: r.get(1)?,
        post_id: r.get(2)?,
        channel_id: r.get(3)?,
        create_at: r.get(4)?,
        update_at: r.get(5)?,
        delete_at: r.get(6)?,
        name: r.get(7)?,
        extension: r.get(8)?,
        size: r.get(9)?,
        mime_type: r.get(10)?,
        width: r.get(11)?,
        height: r.get(12)?,
        has_preview_image: r.get(13)?,
        mini_preview: r.get(14)?,
        path: r.get(15)?,
        thumbnail_path: r.get(16)?,
        preview_path: r.get(17)?,
        ..FileInfo::default()
    })
}

#[async_trait]
impl FileStore for SqliteStore {
    async fn create(&self, f: &FileInfo) -> StoreResult<()> {
        let f = f.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!(
                        "INSERT INTO file_infos ({COLUMNS})
                         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)"
                    ),
                    params![
                        f.id,
                        f.user_id,
                        f.post_id,
                        f.channel_id,
                        f.create_at,
                        f.update_at,
                        f.delete_at,
                        f.name,
                        f.extension,
                        f.size,
                        f.mime_type,
                        f.width,
                        f.height,
                        f.has_preview_image,
                        f.mini_preview,
                        f.path,
                        f.thumbnail_path,
                        f.preview_path
                    ],
                )
                .map_err(to_store_error)?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &str) -> StoreResult<FileInfo> {
        let id = id.to_owned();
        self.db
            .read(move |c| {
                query_one(
                    c,
                    &format!("SELECT {COLUMNS} FROM file_infos WHERE id = ?1"),
                    [id],
                    from_row,
                )
            })
            .await
    }

    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<FileInfo>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = post_ids.to_vec();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {COLUMNS} FROM file_infos
                     WHERE post_id IN ({}) AND delete_at = 0 ORDER BY create_at, id",
                    placeholders(ids.len())
                );
                query_vec(c, &sql, params_from_iter(ids.iter()), from_row)
            })
            .await
    }

    async fn expired(&self, before: i64, limit: i64) -> StoreResult<Vec<FileInfo>> {
        self.db
            .read(move |c| {
                query_vec(
                    c,
                    &format!(
                        "SELECT {COLUMNS} FROM file_infos
                         WHERE (post_id = '' AND create_at <= ?1)
                            OR (delete_at > 0 AND delete_at <= ?1)
                         ORDER BY create_at LIMIT ?2"
                    ),
                    params![before, limit],
                    from_row,
                )
            })
            .await
    }

    async fn search(
        &self,
        user_id: &str,
        team_id: Option<&str>,
        terms: &[String],
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<FileInfo>> {
        let mut args: Vec<rusqlite::types::Value> = vec![user_id.to_owned().into()];
        let mut sql = format!(
            "SELECT {COLUMNS} FROM file_infos
             WHERE delete_at = 0 AND post_id != '' AND channel_id IN (
                 SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
                 WHERE cm.user_id = ?1 AND c.delete_at = 0"
        );
        if let Some(t) = team_id {
            args.push(t.to_owned().into());
            sql.push_str(&format!(
                " AND (c.team_id = ?{} OR c.team_id = '')",
                args.len()
            ));
        }
        sql.push(')');
        for term in terms {
            args.push(term.to_lowercase().into());
            sql.push_str(&format!(" AND instr(fold(name), ?{}) > 0", args.len()));
        }
        args.push(limit.into());
        args.push(offset.into());
        sql.push_str(&format!(
            " ORDER BY create_at DESC, id DESC LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        ));
        self.db
            .read(move |c| query_vec(c, &sql, params_from_iter(args.iter()), from_row))
            .await
    }

    async fn purge(&self, ids: &[String]) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.to_vec();
        self.db
            .write(move |c| {
                let sql = format!(
                    "DELETE FROM file_infos WHERE id IN ({})",
                    placeholders(ids.len())
                );
                c.execute(&sql, params_from_iter(ids.iter()))
                    .map_err(to_store_error)?;
                Ok(())
            })
            .await
    }
}
