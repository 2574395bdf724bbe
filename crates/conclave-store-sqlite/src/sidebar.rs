use async_trait::async_trait;
use conclave_model::SidebarCategory;
use conclave_store::{SidebarStore, StoreResult};
use rusqlite::params;

use crate::SqliteStore;
use crate::db::{execute_one, query_vec, to_store_error};

#[async_trait]
impl SidebarStore for SqliteStore {
    async fn list(&self, user_id: &str, team_id: &str) -> StoreResult<Vec<SidebarCategory>> {
        let (user_id, team_id) = (user_id.to_owned(), team_id.to_owned());
        self.db
            .read(move |c| {
                let mut cats = query_vec(
                    c,
                    "SELECT id, user_id, team_id, sort_order, sorting, type, display_name, muted, collapsed
                     FROM sidebar_categories WHERE user_id = ?1 AND team_id = ?2 ORDER BY sort_order, id",
                    [&user_id, &team_id],
                    |r| {
                        Ok(SidebarCategory {
                            id: r.get(0)?,
                            user_id: r.get(1)?,
                            team_id: r.get(2)?,
                            sort_order: r.get(3)?,
                            sorting: r.get(4)?,
                            category_type: r.get(5)?,
                            display_name: r.get(6)?,
                            muted: r.get(7)?,
                            collapsed: r.get(8)?,
                            channel_ids: Vec::new(),
                        })
                    },
                )?;
                let placed: Vec<(String, String)> = query_vec(
                    c,
                    "SELECT category_id, channel_id FROM sidebar_channels
                     WHERE user_id = ?1 AND team_id = ?2 ORDER BY sort_order, channel_id",
                    [&user_id, &team_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                for (category, channel) in placed {
                    if let Some(cat) = cats.iter_mut().find(|c| c.id == category) {
                        cat.channel_ids.push(channel);
                    }
                }
                Ok(cats)
            })
            .await
    }

    async fn save(&self, categories: &[SidebarCategory]) -> StoreResult<()> {
        let cats = categories.to_vec();
        self.db
            .write(move |c| {
                for cat in &cats {
                    c.execute(
                        "INSERT INTO sidebar_categories (id, user_id, team_id, sort_order, sorting, type,
                            display_name, muted, collapsed) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)
                         ON CONFLICT (id) DO UPDATE SET sort_order = excluded.sort_order,
                            sorting = excluded.sorting, display_name = excluded.display_name,
                            muted = excluded.muted, collapsed = excluded.collapsed",
                        params![cat.id, cat.user_id, cat.team_id, cat.sort_order, cat.sorting,
                            cat.category_type, cat.display_name, cat.muted, cat.collapsed],
                    )
                    .map_err(to_store_error)?;
                    c.execute("DELETE FROM sidebar_channels WHERE category_id = ?1", [&cat.id])
                        .map_err(to_store_error)?;
                    for (i, channel) in cat.channel_ids.iter().enumerate() {
                        c.execute(
                            "DELETE FROM sidebar_channels WHERE user_id = ?1 AND team_id = ?2 AND channel_id = ?3",
                            params![cat.user_id, cat.team_id, channel],
                        )
                        .map_err(to_store_error)?;
                        c.execute(
                            "INSERT INTO sidebar_channels (category_id, channel_id, user_id, team_id, sort_order)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![cat.id, channel, cat.user_id, cat.team_id, i as i64],
                        )
                        .map_err(to_store_error)?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn delete(&self, user_id: &str, category_id: &str) -> StoreResult<()> {
        let (user_id, category_id) = (user_id.to_owned(), category_id.to_owned());
        self.db
            .write(move |c| {
                execute_one(
                    c,
                    "DELETE FROM sidebar_categories WHERE id = ?1 AND user_id = ?2",
                    [&category_id, &user_id],
                )?;
                c.execute(
                    "DELETE FROM sidebar_channels WHERE category_id = ?1",
                    [&category_id],
                )
                .map(drop)
                .map_err(to_store_error)
            })
            .await
    }
}
