//! The shape of a post search, shared by both backends: which channels, which text, which
//! filters, in which order. A backend supplies only its dialect — how to bind a value and how
//! to test text — so the two cannot drift apart.

use crate::PostSearch;

/// What differs between backends when rendering a `PostSearch`.
pub trait SearchDialect {
    /// Binds a text value; returns its placeholder.
    fn text(&mut self, value: String) -> String;
    /// Binds an integer; returns its placeholder.
    fn int(&mut self, value: i64) -> String;
    /// `column` is one of `values`.
    fn one_of(&mut self, column: &str, values: &[String]) -> String;
    /// `p.{column}` contains `text`, case-insensitively.
    fn contains(&mut self, column: &str, text: &str) -> String;
    /// `p.hashtags`, as a space-separated list, holds `tag` exactly (case-insensitively).
    fn has_hashtag(&mut self, tag: &str) -> String;
}

/// The `WHERE … ORDER BY … LIMIT … OFFSET …` of a post search over `posts p`.
pub fn post_search_clauses(q: &PostSearch, d: &mut impl SearchDialect) -> String {
    let user = d.text(q.user_id.clone());
    let mut channels = format!(
        "SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id \
         WHERE cm.user_id = {user}"
    );
    if let Some(team) = &q.team_id {
        let t = d.text(team.clone());
        channels.push_str(&format!(" AND (c.team_id = {t} OR c.team_id = '')"));
    }
    if !q.include_deleted_channels {
        channels.push_str(" AND c.delete_at = 0");
    }
    let mut wheres = vec![
        "p.delete_at = 0".to_owned(),
        "p.type NOT LIKE 'system\\_%' ESCAPE '\\'".to_owned(),
        format!("p.channel_id IN ({channels})"),
    ];
    let mut positive: Vec<String> = q.terms.iter().map(|t| d.contains("message", t)).collect();
    positive.extend(q.hashtags.iter().map(|h| d.has_hashtag(h)));
    if !positive.is_empty() {
        let joiner = if q.any { " OR " } else { " AND " };
        wheres.push(format!("({})", positive.join(joiner)));
    }
    for x in &q.excluded {
        let cond = if x.starts_with('#') {
            d.has_hashtag(x)
        } else {
            d.contains("message", x)
        };
        wheres.push(format!("NOT {cond}"));
    }
    if !q.user_ids.is_empty() {
        wheres.push(d.one_of("p.user_id", &q.user_ids));
    }
    if !q.channel_ids.is_empty() {
        wheres.push(d.one_of("p.channel_id", &q.channel_ids));
    }
    if let Some(since) = q.since {
        wheres.push(format!("p.create_at >= {}", d.int(since)));
    }
    if let Some(until) = q.until {
        wheres.push(format!("p.create_at < {}", d.int(until)));
    }
    let limit = d.int(q.limit);
    let offset = d.int(q.offset);
    format!(
        "WHERE {} ORDER BY p.create_at DESC, p.id DESC LIMIT {limit} OFFSET {offset}",
        wheres.join(" AND ")
    )
}
