//! The raw webhook's `dialect` field, typed: which translator reads the
//! body (`slack`, `talkspirit`, `emakin`, `integration/<name>`). Parsed
//! once from the wire string, which never changes, so that messages in
//! queues and stored dead letters still decode; every service that reads
//! the field (the formatter's translation, the metric label of ingress,
//! the formatter and delivery) goes through this one type.

use std::fmt;

/// The prefix of an integration's wire name (`integration/github`).
const INTEGRATION_PREFIX: &str = "integration/";

/// Which translator a raw webhook's body is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DialectName {
    /// Slack and Mattermost incoming webhooks (`slack`).
    Slack,
    /// talkSpirit-style senders (`talkspirit`).
    Talkspirit,
    /// emakin-style channel web hooks (`emakin`).
    Emakin,
    /// Zulip's send-message API, `POST /api/v1/messages` (`zulip-send`).
    ZulipSend,
    /// Slack's `chat.postMessage` (`slack-post-message`).
    SlackPostMessage,
    /// A webhook's own template (`template`): the raw webhook carries the
    /// document ingress rendered, never the sender's payload
    /// (docs/templates.md).
    Template,
    /// A vendor integration by its URL name (`integration/github`). The
    /// name is not checked here: an unknown one is the translator
    /// registry's refusal, not a decoding error.
    Integration(String),
}

/// A `dialect` field that names no translator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDialect(pub String);

impl fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown dialect {:?}", self.0)
    }
}

impl std::error::Error for UnknownDialect {}

impl DialectName {
    /// The typed name of a wire string.
    pub fn parse(raw: &str) -> Result<Self, UnknownDialect> {
        match raw {
            "slack" => Ok(DialectName::Slack),
            "talkspirit" => Ok(DialectName::Talkspirit),
            "emakin" => Ok(DialectName::Emakin),
            "zulip-send" => Ok(DialectName::ZulipSend),
            "slack-post-message" => Ok(DialectName::SlackPostMessage),
            "template" => Ok(DialectName::Template),
            other => match other.strip_prefix(INTEGRATION_PREFIX) {
                Some(name) => Ok(DialectName::Integration(name.to_string())),
                None => Err(UnknownDialect(other.to_string())),
            },
        }
    }

    /// The `dialect` metric label: a fixed set (`slack`, `talkspirit`,
    /// `emakin`, the two message APIs, `template`, and `integration` for every
    /// integration).
    pub fn metric_label(&self) -> &'static str {
        match self {
            DialectName::Slack => "slack",
            DialectName::Talkspirit => "talkspirit",
            DialectName::Emakin => "emakin",
            DialectName::ZulipSend => "zulip-send",
            DialectName::SlackPostMessage => "slack-post-message",
            DialectName::Template => "template",
            DialectName::Integration(_) => "integration",
        }
    }

    /// The metric label of a wire string, `other` when it names no
    /// translator (a stored post or message from a newer version).
    pub fn label_of(raw: &str) -> &'static str {
        Self::parse(raw).map_or("other", |name| name.metric_label())
    }
}

/// The wire string (`slack`, `integration/github`).
impl fmt::Display for DialectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialectName::Integration(name) => write!(f, "{INTEGRATION_PREFIX}{name}"),
            other => f.write_str(other.metric_label()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for raw in [
            "slack",
            "talkspirit",
            "emakin",
            "zulip-send",
            "slack-post-message",
            "template",
            "integration/github",
            "integration/",
        ] {
            assert_eq!(DialectName::parse(raw).unwrap().to_string(), raw);
        }
        assert!(DialectName::parse("integration").is_err());
        assert!(DialectName::parse("Slack").is_err());
    }

    #[test]
    fn metric_labels_are_a_fixed_set() {
        assert_eq!(DialectName::label_of("slack"), "slack");
        assert_eq!(DialectName::label_of("talkspirit"), "talkspirit");
        assert_eq!(DialectName::label_of("emakin"), "emakin");
        assert_eq!(DialectName::label_of("integration/github"), "integration");
        assert_eq!(DialectName::label_of("integration/nope"), "integration");
        assert_eq!(DialectName::label_of("carrier-pigeon"), "other");
        assert_eq!(DialectName::label_of(""), "other");
    }
}
