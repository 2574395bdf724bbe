//! Finding who a message mentions.

/// What a message mentions, before it is matched against channel members.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Lowercase usernames after `@`, in order, without duplicates. Each candidate also stands
    /// without trailing `.`, `-`, `_` (sentence punctuation), since usernames may end in them.
    pub usernames: Vec<String>,
    /// `@channel` or `@all`.
    pub channel: bool,
    /// `@here`.
    pub here: bool,
}

fn push_unique(list: &mut Vec<String>, name: &str) {
    if !name.is_empty() && !list.iter().any(|n| n == name) {
        list.push(name.to_owned());
    }
}

/// Scans a message for `@username`, `@channel`, `@all` and `@here`. Text inside code spans
/// and fenced code blocks does not mention anyone.
pub fn parse(message: &str) -> Mentions {
    let mut out = Mentions::default();
    let mut in_fence = false;
    for line in message.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Drop inline code spans: every other backtick-delimited piece is code.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let chars: Vec<char> = prose.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '@');
            if chars[i] == '@' && starts_word {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '.' | '-' | '_'))
                {
                    j += 1;
                }
                let word: String = chars[i + 1..j].iter().collect::<String>().to_lowercase();
                let trimmed = word.trim_end_matches(['.', '-', '_']);
                match trimmed {
                    "channel" | "all" => out.channel = true,
                    "here" => out.here = true,
                    _ => {
                        push_unique(&mut out.usernames, &word);
                        push_unique(&mut out.usernames, trimmed);
                    }
                }
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Whether `message` contains one of a user's own mention keys: the comma-separated
/// `mention_keys` and, when enabled, their first name. Keys match whole words,
/// case-insensitively; code does not count.
pub fn matches_keys(message: &str, keys: &[String]) -> bool {
    let prose = strip_code(message).to_lowercase();
    let words: Vec<&str> = prose
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '.')))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    keys.iter()
        .map(|k| k.trim().to_lowercase())
        .filter(|k| !k.is_empty())
        .any(|key| {
            if key.contains(char::is_whitespace) {
                // A multi-word key matches as a phrase of whole words.
                let padded = format!(" {} ", words.join(" "));
                padded.contains(&format!(" {key} "))
            } else {
                words.contains(&key.as_str())
            }
        })
}

/// The message without fenced code blocks and inline code spans.
fn strip_code(message: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    for line in message.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            out.push_str(&line.split('`').step_by(2).collect::<Vec<_>>().join(" "));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mention_keys() {
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches_keys("the Deploy failed", &keys(&["deploy"])));
        assert!(matches_keys("Ana, can you look?", &keys(&["Ana"])));
        assert!(
            !matches_keys("banana bread", &keys(&["ana"])),
            "whole words only"
        );
        assert!(matches_keys("ping the on call team", &keys(&["on call"])));
        assert!(!matches_keys("`deploy` in code", &keys(&["deploy"])));
        assert!(!matches_keys("anything", &keys(&["", " "])));
        assert!(matches_keys("end of sentence deploy.", &keys(&["deploy"])));
    }

    fn names(m: &str) -> Vec<String> {
        parse(m).usernames
    }

    #[test]
    fn usernames() {
        assert_eq!(names("hi @alice"), ["alice"]);
        assert_eq!(names("@Bob, and @carol."), ["bob", "carol.", "carol"]);
        assert_eq!(names("@d.e-f_g how"), ["d.e-f_g"]);
        assert_eq!(names("@alice @alice"), ["alice"]);
        assert_eq!(names("mail me at bob@example.com"), Vec::<String>::new());
        assert_eq!(names("@@alice"), Vec::<String>::new());
        assert_eq!(names("@"), Vec::<String>::new());
    }

    #[test]
    fn special_mentions() {
        let m = parse("heads up @channel");
        assert!(m.channel && !m.here && m.usernames.is_empty());
        assert!(parse("@all: lunch").channel);
        assert!(parse("@here!").here);
        assert!(!parse("@channels").channel);
    }

    #[test]
    fn code_does_not_mention() {
        assert!(names("`@alice` is code").is_empty());
        assert_eq!(names("`x` @bob `@carol`"), ["bob"]);
        assert!(names("```\n@alice\n```").is_empty());
        assert_eq!(names("```\ncode\n```\n@dave"), ["dave"]);
    }
}
