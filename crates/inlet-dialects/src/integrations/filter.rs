//! `only_events` / `exclude_events`: lists of shell-style globs (`*`, `?`,
//! `[seq]`, `[!seq]`, as Python's `fnmatch`, case-sensitive) matched against
//! an integration's declared event names. A list is comma-separated or a
//! JSON array of strings (Zulip's form).

use super::error::IntegrationError;

/// The parsed filters of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub only: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
}

impl EventFilter {
    /// Reads `only_events` and `exclude_events` from the query.
    pub fn from_query(query: &[(String, String)]) -> Result<Self, IntegrationError> {
        let read = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| parse_list(name, v))
                .transpose()
        };
        Ok(Self {
            only: read("only_events")?,
            exclude: read("exclude_events")?,
        })
    }

    /// Whether an event passes: some `only` pattern matches (when given)
    /// and no `exclude` pattern does.
    pub fn allows(&self, event: &str) -> bool {
        let any = |patterns: &Vec<String>| patterns.iter().any(|p| glob_match(p, event));
        self.only.as_ref().is_none_or(any) && !self.exclude.as_ref().is_some_and(any)
    }
}

/// `a,b*` or `["a","b*"]`; blank items are skipped.
fn parse_list(name: &str, raw: &str) -> Result<Vec<String>, IntegrationError> {
    let raw = raw.trim();
    let items: Vec<String> = if raw.starts_with('[') {
        serde_json::from_str(raw).map_err(|e| {
            IntegrationError::invalid(format!(
                "parameter `{name}` is neither a comma-separated list nor a JSON list of strings: {e}"
            ))
        })?
    } else {
        raw.split(',').map(str::to_string).collect()
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Shell-style glob match over chars, iterative with one backtrack point
/// for the last `*` (linear-ish, no recursion).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => match class(&p, pi, t[ti]) {
                Some((true, end)) => Some(end),
                Some((false, _)) => None,
                // An unclosed `[` is a literal, as in fnmatch.
                None => (t[ti] == '[').then_some(pi + 1),
            },
            Some(&c) => (c == t[ti]).then_some(pi + 1),
            None => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                ti += 1;
            }
            (None, Some((sp, st))) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class opening at `p[start] == '['`: whether it
/// matched, and the index after the closing `]`; `None` if unclosed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negated = matches!(p.get(i), Some('!'));
    if negated {
        i += 1;
    }
    let first = i;
    let mut matched = false;
    while i < p.len() {
        if p[i] == ']' && i > first {
            return Some((matched != negated, i + 1));
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&e| e != ']') {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_fnmatch() {
        let cases = [
            ("push_commits", "push_commits", true),
            ("push*", "push_commits", true),
            ("push*", "push", true),
            ("*_pull_request", "opened_pull_request", true),
            ("*pull*", "pull_request_review", true),
            ("issue?", "issues", true),
            ("issue?", "issue", false),
            ("issue*", "issue_comment", true),
            ("[io]*", "opened_pull_request", true),
            ("[!io]*", "opened_pull_request", false),
            ("[a-c]*", "create", true),
            ("star", "stars", false),
            ("Push*", "push_commits", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("[x", "[x", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_match(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn lists_are_comma_separated_or_json() {
        let q = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let f = EventFilter::from_query(&q("only_events", "push*, issues,")).unwrap();
        assert_eq!(f.only, Some(vec!["push*".into(), "issues".into()]));
        let f = EventFilter::from_query(&q("exclude_events", r#"["star","fork"]"#)).unwrap();
        assert_eq!(f.exclude, Some(vec!["star".into(), "fork".into()]));
        assert!(EventFilter::from_query(&q("only_events", "[1,2]")).is_err());
    }

    #[test]
    fn only_and_exclude_combine() {
        let f = EventFilter {
            only: Some(vec!["*pull_request*".into()]),
            exclude: Some(vec!["updated_*".into()]),
        };
        assert!(f.allows("opened_pull_request"));
        assert!(!f.allows("updated_pull_request"));
        assert!(!f.allows("push_commits"));
        assert!(EventFilter::default().allows("anything"));
    }
}
