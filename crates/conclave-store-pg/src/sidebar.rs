use async_trait::async_trait;
use conclave_model::SidebarCategory;
use conclave_store::{SidebarStore, StoreResult};
use sqlx::Row;

use crate::{PgStore, changed_one, retry, to_store_error};

#[async_trait]
impl SidebarStore for PgStore {
    async fn list(&self, user_id: &str, team_id: &str) -> StoreResult<Vec<SidebarCategory>> {
        let rows = sqlx::query(
            "SELECT id, user_id, team_id, sort_order, sorting, type, display_name, muted, collapsed
             FROM sidebar_categories WHERE user_id = $1 AND team_id = $2 ORDER BY sort_order, id",
        )
        .bind(user_id)
        .bind(team_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        let mut cats = rows
            .iter()
            .map(|r| {
                Ok(SidebarCategory {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    team_id: r.try_get("team_id")?,
                    sort_order: r.try_get("sort_order")?,
                    sorting: r.try_get("sorting")?,
                    category_type: r.try_get("type")?,
                    display_name: r.try_get("display_name")?,
                    muted: r.try_get("muted")?,
                    collapsed: r.try_get("collapsed")?,
                    channel_ids: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(to_store_error)?;
        let placed = sqlx::query(
            "SELECT category_id, channel_id FROM sidebar_channels
             WHERE user_id = $1 AND team_id = $2 ORDER BY sort_order, channel_id",
        )
        .bind(user_id)
        .bind(team_id)
        .fetch_all(&self.pool)
        .await
        .map_err(to_store_error)?;
        for r in placed {
            let (category, channel): (String, String) = (
                r.try_get(0).map_err(to_store_error)?,
                r.try_get(1).map_err(to_store_error)?,
            );
            if let Some(cat) = cats.iter_mut().find(|c| c.id == category) {
                cat.channel_ids.push(channel);
            }
        }
        Ok(cats)
    }

    async fn save(&self, categories: &[SidebarCategory]) -> StoreResult<()> {
        retry(&self.pool, |c| {
            let cats = categories.to_vec();
            Box::pin(async move {
                for cat in &cats {
                    sqlx::query(
                        "INSERT INTO sidebar_categories (id, user_id, team_id, sort_order, sorting, type,
                            display_name, muted, collapsed) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
                         ON CONFLICT (id) DO UPDATE SET sort_order = excluded.sort_order,
                            sorting = excluded.sorting, display_name = excluded.display_name,
                            muted = excluded.muted, collapsed = excluded.collapsed",
                    )
                    .bind(&cat.id)
                    .bind(&cat.user_id)
                    .bind(&cat.team_id)
                    .bind(cat.sort_order)
                    .bind(&cat.sorting)
                    .bind(&cat.category_type)
                    .bind(&cat.display_name)
                    .bind(cat.muted)
                    .bind(cat.collapsed)
                    .execute(&mut *c)
                    .await?;
                    sqlx::query("DELETE FROM sidebar_channels WHERE category_id = $1").bind(&cat.id).execute(&mut *c).await?;
                    sqlx::query("DELETE FROM sidebar_channels WHERE user_id = $1 AND team_id = $2 AND channel_id = ANY($3)")
                        .bind(&cat.user_id)
                        .bind(&cat.team_id)
                        .bind(&cat.channel_ids)
                        .execute(&mut *c)
                        .await?;
                    for (i, channel) in cat.channel_ids.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO sidebar_channels (category_id, channel_id, user_id, team_id, sort_order)
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                        )
                        .bind(&cat.id)
                        .bind(channel)
                        .bind(&cat.user_id)
                        .bind(&cat.team_id)
                        .bind(i as i64)
                        .execute(&mut *c)
                        .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    async fn delete(&self, user_id: &str, category_id: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM sidebar_categories WHERE id = $1 AND user_id = $2")
            .bind(category_id)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(to_store_error)?;
        changed_one(result)?;
        sqlx::query("DELETE FROM sidebar_channels WHERE category_id = $1")
            .bind(category_id)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(to_store_error)
    }
}
