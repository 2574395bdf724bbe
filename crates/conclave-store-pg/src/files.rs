use async_trait::async_trait;
use conclave_model::file::FileInfo;
use conclave_store::{FileStore, StoreResult, like_pattern};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgStore, to_store_error};

const COLUMNS: &str = "id, user_id, post_id, channel_id, create_at, update_at, delete_at, name, \
    extension, size, mime_type, width, height, has_preview_image, mini_preview, path, \
    thumbnail_path, preview_path";

fn from_row(r: &PgRow) -> StoreResult<FileInfo> {
    let e = to_store_error;
    Ok(FileInfo {
        id: r.try_get("id").map_err(e)?,
        user_id: r.try_get("user_id").map_err(e)?,
        post_id: r.try_get("post_id").map_err(e)?,
        channel_id: r.try_get("channel_id").map_err(e)?,
        create_at: r.try_get("create_at").map_err(e)?,
        update_at: r.try_get("update_at").map_err(e)?,
        delete_at: r.try_get("delete_at").map_err(e)?,
        name: r.try_get("name").map_err(e)?,
        extension: r.try_get("extension").map_err(e)?,
        size: r.try_get("size").map_err(e)?,
        mime_type: r.try_get("mime_type").map_err(e)?,
        width: r.try_get("width").map_err(e)?,
        height: r.try_get("height").map_err(e)?,
        has_preview_image: r.try_get("has_preview_image").map_err(e)?,
        mini_preview: r.try_get("mini_preview").map_err(e)?,
        path: r.try_get("path").map_err(e)?,
        thumbnail_path: r.try_get("thumbnail_path").map_err(e)?,
        preview_path: r.try_get("preview_path").map_err(e)?,
        ..FileInfo::default()
    })
}

#[async_trait]
impl FileStore for PgStore {
    async fn create(&self, f: &FileInfo) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO file_infos ({COLUMNS})
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
        ))
        .bind(&f.id)
        .bind(&f.user_id)
        .bind(&f.post_id)
        .bind(&f.channel_id)
        .bind(f.create_at)
        .bind(f.update_at)
        .bind(f.delete_at)
        .bind(&f.name)
        .bind(&f.extension)
        .bind(f.size)
        .bind(&f.mime_type)
        .bind(f.width)
        .bind(f.height)
        .bind(f.has_preview_image)
        .bind(&f.mini_preview)
        .bind(&f.path)
        .bind(&f.thumbnail_path)
        .bind(&f.preview_path)
        .execute(&self.pool)
        .await
        .map_err(to_store_error)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> StoreResult<FileInfo> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM file_infos WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(to_store_error)?;
        from_row(&row)
    }

    async fn list_for_posts(&self, post_ids: &[String]) -> StoreResult<Vec<FileInfo>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM file_infos
             WHERE post_id = ANY($1) AND delete_at = 0 ORDER BY create_at, id"
        ))
        .bind(post_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn expired(&self, before: i64, limit: i64) -> StoreResult<Vec<FileInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM file_infos
             WHERE (post_id = '' AND create_at <= $1) OR (delete_at > 0 AND delete_at <= $1)
             ORDER BY create_at LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn search(
        &self,
        user_id: &str,
        team_id: Option<&str>,
        terms: &[String],
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<FileInfo>> {
        let patterns: Vec<String> = terms.iter().map(|t| like_pattern(t)).collect();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM file_infos
             WHERE delete_at = 0 AND post_id != '' AND channel_id IN (
                 SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
                 WHERE cm.user_id = $1 AND c.delete_at = 0
                   AND ($2::text IS NULL OR c.team_id = $2 OR c.team_id = ''))
               AND name ILIKE ALL($3)
             ORDER BY create_at DESC, id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(user_id)
        .bind(team_id)
        .bind(&patterns)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        rows.iter().map(from_row).collect()
    }

    async fn purge(&self, ids: &[String]) -> StoreResult<()> {
        sqlx::query("DELETE FROM file_infos WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(to_store_error)?;
        Ok(())
    }
}
