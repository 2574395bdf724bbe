//! The one parser for what people type into the search box. It turns any input — including
//! unbalanced quotes, lone operators and hostile text — into a small query; nothing typed is
//! ever passed to a database as query syntax.
//!
//! Syntax (Mattermost's): words (all must match, or any with `is_or_search`), `"exact
//! phrases"`, `-excluded` words or phrases, `prefix*`, `#hashtags`, `@mentions`,
//! `from:username`, `in:channel`, `on:/before:/after:YYYY-MM-DD`.

/// Longest search input accepted, in characters.
pub const SEARCH_MAX_CHARS: usize = 1024;
/// Most terms (of every kind together) in one search.
pub const SEARCH_MAX_TERMS: usize = 32;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Text that must appear in a post (words, phrases, prefixes without their `*`, mentions).
    pub terms: Vec<String>,
    /// Hashtags, with their `#`.
    pub hashtags: Vec<String>,
    /// Text that must not appear.
    pub excluded: Vec<String>,
    /// `from:` usernames (without `@`).
    pub from: Vec<String>,
    /// `in:` channel names (or `@username` for a direct channel).
    pub in_channels: Vec<String>,
    pub on: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl SearchQuery {
    /// Whether the query selects anything beyond "every post".
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
            && self.hashtags.is_empty()
            && self.from.is_empty()
            && self.in_channels.is_empty()
            && self.on.is_none()
            && self.before.is_none()
            && self.after.is_none()
    }

    fn count(&self) -> usize {
        self.terms.len()
            + self.hashtags.len()
            + self.excluded.len()
            + self.from.len()
            + self.in_channels.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchError {
    TooLong,
    TooManyTerms,
}

/// Characters that only separate words; a term made only of them means nothing.
fn is_noise(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '*' | '-' | '(' | ')' | '+' | '~' | '^' | ':')
}

/// Trims punctuation a user does not mean as part of a word (`hello,` `(hi)` `end.`), but keeps
/// inner punctuation (`foo.bar.baz`, `don't`, URLs).
fn clean_word(w: &str) -> String {
    let w = w.trim_matches(|c: char| {
        matches!(
            c,
            ',' | ';' | '!' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\''
        )
    });
    let w = w.trim_end_matches('.');
    let w = w.trim_end_matches('*');
    w.to_owned()
}

fn meaningful(s: &str) -> bool {
    !s.chars().all(is_noise)
}

pub fn parse(input: &str) -> Result<SearchQuery, SearchError> {
    if input.chars().count() > SEARCH_MAX_CHARS {
        return Err(SearchError::TooLong);
    }
    let mut q = SearchQuery::default();
    // Control characters (NUL among them, which PostgreSQL text cannot hold) separate words.
    let input: String = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let negated =
            rest.starts_with('-') && rest.len() > 1 && !rest[1..].starts_with(char::is_whitespace);
        let body = if negated { &rest[1..] } else { rest };
        // A quoted phrase: up to the closing quote, or the end when it is unbalanced.
        if let Some(after_quote) = body.strip_prefix('"') {
            let (phrase, next) = match after_quote.find('"') {
                Some(end) => (&after_quote[..end], &after_quote[end + 1..]),
                None => (after_quote, ""),
            };
            let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            if meaningful(&phrase) {
                if negated {
                    q.excluded.push(phrase);
                } else {
                    q.terms.push(phrase);
                }
            }
            rest = next.trim_start();
            continue;
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        rest = body[end..].trim_start();
        let lower = word.to_lowercase();
        if let Some((key, value)) = lower.split_once(':')
            && !negated
            && matches!(key, "from" | "in" | "channel" | "on" | "before" | "after")
        {
            let value = value.trim_start_matches('@').to_owned();
            if value.is_empty() {
                continue;
            }
            match key {
                "from" => q.from.push(value),
                "in" | "channel" => q.in_channels.push(
                    // `in:@bob` names a direct channel; keep the `@` so it can be told apart.
                    if word[key.len() + 1..].starts_with('@') {
                        format!("@{value}")
                    } else {
                        value
                    },
                ),
                "on" => q.on = Some(value),
                "before" => q.before = Some(value),
                _ => q.after = Some(value),
            }
            continue;
        }
        if word.starts_with('#') && word.len() > 1 {
            let tag = clean_word(word);
            if tag.len() > 1 {
                if negated {
                    q.excluded.push(tag);
                } else {
                    q.hashtags.push(tag);
                }
            }
            continue;
        }
        let w = clean_word(word);
        if meaningful(&w) {
            if negated {
                q.excluded.push(w);
            } else {
                q.terms.push(w);
            }
        }
    }
    q.terms.dedup();
    if q.count() > SEARCH_MAX_TERMS {
        return Err(SearchError::TooManyTerms);
    }
    Ok(q)
}

/// `YYYY-MM-DD` → days since 1970-01-01, or `None` when it is not a real date.
pub fn parse_day(s: &str) -> Option<i64> {
    let mut parts = s.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=days_in_month[(m - 1) as usize]).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_exclusions_and_modifiers() {
        let q = parse(r#"deploy "release notes" -draft #ops from:@alice in:town-square after:2026-01-02 log*"#)
            .unwrap();
        assert_eq!(q.terms, vec!["deploy", "release notes", "log"]);
        assert_eq!(q.excluded, vec!["draft"]);
        assert_eq!(q.hashtags, vec!["#ops"]);
        assert_eq!(q.from, vec!["alice"]);
        assert_eq!(q.in_channels, vec!["town-square"]);
        assert_eq!(q.after.as_deref(), Some("2026-01-02"));
    }

    #[test]
    fn hostile_input_parses_to_something_harmless() {
        for input in [
            "\"unbalanced phrase",
            "-",
            "*",
            "\"\"",
            "- - -",
            "'; DROP TABLE posts; --",
            "\" OR 1=1 --",
            "NEAR(a b)",
            "from:",
            "in:",
            "💥🔥",
            "שלום עולם",
            "a:b:c",
            "\\\"",
        ] {
            let q = parse(input).unwrap();
            for t in q.terms.iter().chain(&q.excluded) {
                assert!(meaningful(t), "{input:?} gave {t:?}");
            }
        }
        assert!(parse(&"x".repeat(10_000)).is_err());
        assert_eq!(
            parse("\"unbalanced phrase").unwrap().terms,
            vec!["unbalanced phrase"]
        );
        assert_eq!(
            parse("foo.bar.baz https://example.com/a?b=c")
                .unwrap()
                .terms,
            vec!["foo.bar.baz", "https://example.com/a?b=c"]
        );
        assert!(parse(&"a ".repeat(40)).is_ok(), "repeated words collapse");
        assert!(parse(&(0..40).map(|i| format!("w{i} ")).collect::<String>()).is_err());
    }

    #[test]
    fn days() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(11_017));
        assert_eq!(parse_day("2024-02-29"), Some(19_782));
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("yesterday"), None);
    }
}
