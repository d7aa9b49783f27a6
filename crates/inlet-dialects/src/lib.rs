//! Inlet's dialects: a pure function from (dialect, request facts, body
//! bytes) to either a rejection (an error code and a human detail) or a
//! translation (the target channel and one or more post drafts).
//!
//! Nothing here does I/O. Ingress calls [`translate`] to refuse bad payloads
//! synchronously; the formatter calls it again to build the posts.
//!
//! Shared by the dialects: `body` (bytes to a JSON object), `code` (where
//! the code is in a text), `markup` and `mrkdwn` (Slack markup to
//! markdown), `mentions` (neutralising `@channel`/`@here`/`@all`), `split`
//! (long messages), `fields` and `notes` (typed fields, `props.dropped`),
//! `links` (no `javascript:` link in any markdown) and `storable` (what
//! PostgreSQL cannot hold never leaves a translation).

pub mod body;
mod code;
pub mod draft;
pub mod emakin;
pub mod error;
mod fields;
pub mod integrations;
pub mod links;
mod markup;
mod mentions;
mod mrkdwn;
mod multipart;
mod notes;
pub mod slack;
pub mod split;
pub mod storable;
pub mod talkspirit;
pub mod url;

pub use draft::{
    Author, DirectoryView, Draft, EmptyDirectory, Limits, Markup, RequestFacts, Target, ThreadRef,
    Translation, WebhookView,
};
pub use error::{ErrorCode, Rejection};

use std::fmt;
use std::str::FromStr;

/// The payload languages Inlet speaks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Slack and Mattermost incoming webhooks.
    Slack,
    /// talkSpirit-style senders: title, content, url, contact, thread_id.
    Talkspirit,
    /// emakin-style channel web hooks: text, typed attachments, cases.
    Emakin,
}

impl Dialect {
    pub fn as_str(&self) -> &'static str {
        match self {
            Dialect::Slack => "slack",
            Dialect::Talkspirit => "talkspirit",
            Dialect::Emakin => "emakin",
        }
    }
}

/// The `dialect` metric label of a bus message's dialect field: a fixed
/// set (`slack`, `talkspirit`, `emakin`, `integration`, else `other`).
pub fn metric_label(dialect: &str) -> &'static str {
    match dialect {
        "slack" => "slack",
        "talkspirit" => "talkspirit",
        "emakin" => "emakin",
        d if d.starts_with("integration/") => "integration",
        _ => "other",
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = Rejection;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "slack" => Ok(Dialect::Slack),
            "talkspirit" => Ok(Dialect::Talkspirit),
            "emakin" => Ok(Dialect::Emakin),
            other => Err(Rejection::new(
                ErrorCode::InvalidPayload,
                format!("unknown dialect {other:?}"),
            )),
        }
    }
}

/// Translates one request body in `dialect`.
pub fn translate(
    dialect: &Dialect,
    facts: &RequestFacts<'_>,
    body: &[u8],
) -> Result<Translation, Rejection> {
    let mut translation = match dialect {
        Dialect::Slack => slack::translate(facts, body),
        Dialect::Talkspirit => talkspirit::translate(facts, body),
        Dialect::Emakin => emakin::translate(facts, body),
    }?;
    finish(&mut translation);
    storable::check_size(
        std::slice::from_ref(&translation),
        body.len(),
        facts.limits.max_posts_per_request,
    )?;
    Ok(translation)
}

/// The last passes over every translation, of a dialect or an integration:
/// unsafe links neutralised, then nothing PostgreSQL cannot store.
pub(crate) fn finish(translation: &mut Translation) {
    links::neutralise_translation(translation);
    storable::make_storable(translation);
}
