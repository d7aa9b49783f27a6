//! The request's headers and URL parameters as integrations read them.

use super::error::IntegrationError;
use crate::draft::Target;
use crate::storable::is_storable;

/// Request headers; names are compared case-insensitively.
#[derive(Clone, Copy)]
pub struct Headers<'a>(&'a [(String, String)]);

impl<'a> Headers<'a> {
    pub fn new(headers: &'a [(String, String)]) -> Self {
        Self(headers)
    }

    /// The first value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// `query` with `stream` and `topic` percent-decoded once more, for
/// senders that escape their URL's parameters twice. A value that does
/// not decode to UTF-8 is kept as it came.
pub fn unquote_stream_and_topic(query: &[(String, String)]) -> Vec<(String, String)> {
    query
        .iter()
        .map(|(name, value)| match name.as_str() {
            "stream" | "topic" => (name.clone(), percent_decoded(value)),
            _ => (name.clone(), value.clone()),
        })
        .collect()
}

/// `%XX` sequences decoded (`+` is left alone, as Python's `unquote`
/// leaves it).
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}

/// The URL parameters (`api_key` already removed by the caller).
#[derive(Clone, Copy)]
pub struct Params<'a> {
    query: &'a [(String, String)],
    topic: Option<&'a str>,
    body: &'a [u8],
}

impl<'a> Params<'a> {
    /// Reads the parameters; a `topic` too long for a thread key, and a
    /// `topic` or `stream` holding a NUL, are refused.
    /// `body` is the raw request body, for formatters that show it as sent.
    pub fn new(query: &'a [(String, String)], body: &'a [u8]) -> Result<Self, IntegrationError> {
        let mut params = Self {
            query,
            topic: None,
            body,
        };
        params.topic = params.get("topic").filter(|t| !t.is_empty());
        for name in ["topic", "stream"] {
            if params.get(name).is_some_and(|v| !is_storable(v)) {
                return Err(IntegrationError::invalid(format!(
                    "parameter `{name}` contains a NUL character (U+0000), which it cannot hold"
                )));
            }
        }
        if let Some(topic) = params.topic
            && topic.len() > super::text::MAX_THREAD_KEY_BYTES
        {
            return Err(IntegrationError::invalid(format!(
                "parameter `topic` is {} bytes long; at most {} are accepted",
                topic.len(),
                super::text::MAX_THREAD_KEY_BYTES
            )));
        }
        Ok(params)
    }

    /// The first value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    /// The raw body as sent, without a UTF-8 BOM (already parsed as a JSON
    /// object by the framework).
    pub fn raw_body(&self) -> &'a [u8] {
        self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.body)
    }

    /// The `topic` override, if any. Formatters put the context the topic
    /// would have carried (a PR's title…) into the body when it is set.
    pub fn topic(&self) -> Option<&'a str> {
        self.topic
    }

    pub fn topic_overridden(&self) -> bool {
        self.topic.is_some()
    }

    /// `branches`: comma-separated exact names, trimmed (Zulip's rule);
    /// `None` when absent or blank (every branch).
    pub fn branches(&self) -> Option<Vec<&'a str>> {
        let list: Vec<&str> = self
            .get("branches")?
            .split(',')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect();
        (!list.is_empty()).then_some(list)
    }

    /// Whether `branch` passes the `branches` parameter.
    pub fn branch_allowed(&self, branch: &str) -> bool {
        self.branches().is_none_or(|list| list.contains(&branch))
    }

    /// Where to post: `stream` as a channel id (a UUID) or name, else the
    /// webhook's channel.
    pub fn target(&self) -> Target {
        super::target_of(self.get("stream"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn twice_escaped_stream_and_topic_are_decoded_once_more() {
        let q = query(&[
            ("stream", "jira%20alerts"),
            ("topic", "C++%20%C3%A0"),
            ("only_events", "%5B%5D"),
        ]);
        assert_eq!(
            unquote_stream_and_topic(&q),
            query(&[
                ("stream", "jira alerts"),
                ("topic", "C++ à"),
                ("only_events", "%5B%5D"),
            ])
        );
    }

    #[test]
    fn values_that_are_not_escapes_are_kept() {
        let q = query(&[("topic", "100% sure"), ("stream", "%FF")]);
        assert_eq!(unquote_stream_and_topic(&q), q);
    }
}
