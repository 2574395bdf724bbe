//! Post search: what the user typed → one parsed query → names resolved to ids → the store's
//! `PostSearch`. Only channels the searcher is a member of are searched.

use std::collections::BTreeMap;

use conclave_model::channel::direct_channel_name;
use conclave_model::search::{self, SearchError, SearchQuery, parse_day};
use conclave_model::{PostList, is_valid_id};
use conclave_store::PostSearch;
use serde::{Deserialize, Serialize};

use crate::accounts::page_size;
use crate::permissions::VIEW_TEAM;
use crate::{Actor, App, Error, Result};

const DAY_MS: i64 = 86_400_000;

/// `POST /teams/{tid}/posts/search` and `POST /posts/search`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchPostsInput {
    pub terms: String,
    pub is_or_search: bool,
    /// Seconds east of UTC, for `on:`/`before:`/`after:` dates.
    pub time_zone_offset: i64,
    pub include_deleted_channels: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Mattermost's PostSearchResults: a PostList plus, per post, the words to highlight.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PostSearchResults {
    #[serde(flatten)]
    pub list: PostList,
    pub matches: BTreeMap<String, Vec<String>>,
}

fn bad_terms(message: &str) -> Error {
    Error::bad_request("api.post.search_posts.invalid_terms.app_error", message)
}

impl App {
    /// Searches posts in one team (`team_id`) or in every team the actor belongs to.
    pub async fn search_posts(
        &self,
        actor: &Actor,
        team_id: Option<&str>,
        input: SearchPostsInput,
    ) -> Result<PostSearchResults> {
        if let Some(t) = team_id {
            if !is_valid_id(t) {
                return Err(Error::invalid_param("team_id"));
            }
            self.load_team(t).await?;
            self.require_in_team(actor, t, VIEW_TEAM).await?;
        }
        if !(-14 * 3600..=14 * 3600).contains(&input.time_zone_offset) {
            return Err(Error::invalid_param("time_zone_offset"));
        }
        let parsed = search::parse(&input.terms).map_err(|e| match e {
            SearchError::TooLong => bad_terms("The search is too long."),
            SearchError::TooManyTerms => bad_terms("The search has too many terms."),
        })?;
        if parsed.is_empty() {
            return Ok(PostSearchResults::default());
        }
        let Some(mut q) = self.resolve_search(actor, team_id, &parsed).await? else {
            // A `from:` or `in:` that names nobody and nothing: no post can match.
            return Ok(PostSearchResults::default());
        };
        let offset_ms = input.time_zone_offset * 1000;
        let day_start = |s: &str| -> Result<i64> {
            parse_day(s)
                .map(|d| d * DAY_MS - offset_ms)
                .ok_or_else(|| bad_terms("Dates are written YYYY-MM-DD."))
        };
        if let Some(on) = &parsed.on {
            let start = day_start(on)?;
            q.since = Some(start);
            q.until = Some(start + DAY_MS);
        }
        if let Some(before) = &parsed.before {
            let end = day_start(before)?;
            q.until = Some(q.until.map_or(end, |u| u.min(end)));
        }
        if let Some(after) = &parsed.after {
            let start = day_start(after)? + DAY_MS;
            q.since = Some(q.since.map_or(start, |s| s.max(start)));
        }
        let per_page = page_size(input.per_page);
        q.limit = per_page;
        q.offset = input.page.max(0) * per_page;
        q.any = input.is_or_search;
        q.include_deleted_channels = input.include_deleted_channels;

        let posts = self.store.posts().search(&q).await?;
        let mut out = PostSearchResults::default();
        let wanted: Vec<(String, String)> = parsed
            .terms
            .iter()
            .chain(&parsed.hashtags)
            .map(|t| (t.clone(), t.to_lowercase()))
            .collect();
        for post in posts {
            let text = format!("{} {}", post.message, post.hashtags).to_lowercase();
            let hits: Vec<String> = wanted
                .iter()
                .filter(|(_, lower)| text.contains(lower.as_str()))
                .map(|(t, _)| t.clone())
                .collect();
            out.matches.insert(post.id.clone(), hits);
            out.list.push(crate::posts::finish(post));
        }
        Ok(out)
    }

    /// Resolves `from:` usernames and `in:` channel names to ids. `None` when one of them
    /// names nothing the actor can search.
    async fn resolve_search(
        &self,
        actor: &Actor,
        team_id: Option<&str>,
        parsed: &SearchQuery,
    ) -> Result<Option<PostSearch>> {
        let mut q = PostSearch {
            user_id: actor.user.id.clone(),
            team_id: team_id.map(str::to_owned),
            terms: parsed.terms.clone(),
            hashtags: parsed.hashtags.clone(),
            excluded: parsed.excluded.clone(),
            ..PostSearch::default()
        };
        if !parsed.from.is_empty() {
            let users = self.store.users().get_by_usernames(&parsed.from).await?;
            if users.is_empty() {
                return Ok(None);
            }
            q.user_ids = users.into_iter().map(|u| u.id).collect();
        }
        if !parsed.in_channels.is_empty() {
            let teams: Vec<String> = match team_id {
                Some(t) => vec![t.to_owned()],
                None => self
                    .store
                    .teams()
                    .list_members_for_user(&actor.user.id)
                    .await?
                    .into_iter()
                    .filter(|m| m.delete_at == 0)
                    .map(|m| m.team_id)
                    .collect(),
            };
            for name in &parsed.in_channels {
                if let Some(username) = name.strip_prefix('@') {
                    if let Ok(other) = self.store.users().get_by_username(username).await {
                        let dm = direct_channel_name(&actor.user.id, &other.id);
                        if let Ok(c) = self.store.channels().get_by_name("", &dm).await {
                            q.channel_ids.push(c.id);
                        }
                    }
                    continue;
                }
                for t in &teams {
                    if let Ok(c) = self.store.channels().get_by_name(t, name).await {
                        q.channel_ids.push(c.id);
                    }
                }
            }
            if q.channel_ids.is_empty() {
                return Ok(None);
            }
        }
        Ok(Some(q))
    }
}

/// Mattermost's FileInfoList, for file search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileInfoList {
    pub order: Vec<String>,
    pub file_infos: BTreeMap<String, conclave_model::file::FileInfo>,
    pub next_file_info_id: String,
    pub prev_file_info_id: String,
    pub first_inaccessible_file_time: i64,
}

impl App {
    /// `POST /teams/{tid}/files/search`: attached files whose names contain the terms, in
    /// channels the actor is a member of.
    pub async fn search_files(
        &self,
        actor: &Actor,
        team_id: &str,
        input: SearchPostsInput,
    ) -> Result<FileInfoList> {
        if !is_valid_id(team_id) {
            return Err(Error::invalid_param("team_id"));
        }
        self.load_team(team_id).await?;
        self.require_in_team(actor, team_id, VIEW_TEAM).await?;
        let parsed = search::parse(&input.terms).map_err(|e| match e {
            SearchError::TooLong => bad_terms("The search is too long."),
            SearchError::TooManyTerms => bad_terms("The search has too many terms."),
        })?;
        let mut out = FileInfoList::default();
        if parsed.terms.is_empty() {
            return Ok(out);
        }
        let per_page = page_size(input.per_page);
        let files = self
            .store
            .files()
            .search(
                &actor.user.id,
                Some(team_id),
                &parsed.terms,
                input.page.max(0) * per_page,
                per_page,
            )
            .await?;
        for f in files {
            out.order.push(f.id.clone());
            out.file_infos.insert(f.id.clone(), f);
        }
        Ok(out)
    }
}
