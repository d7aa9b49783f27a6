//! What a translation needs to know (request facts, the webhook's settings,
//! the limits) and what it produces (target and drafts).

use serde_json::{Map, Value};

/// Limits that shape every translation.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_post_runes: usize,
    pub max_attachments: usize,
    pub max_json_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_post_runes: 16_383,
            max_attachments: 100,
            max_json_depth: 64,
        }
    }
}

/// The webhook settings a translation reads.
#[derive(Clone, Debug, Default)]
pub struct WebhookView {
    pub display_name: String,
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub allow_username_override: bool,
    pub allow_icon_override: bool,
}

/// Facts about the request besides its body.
#[derive(Clone, Debug)]
pub struct RequestFacts<'a> {
    /// The `Content-Type` header as sent, if any.
    pub content_type: Option<&'a str>,
    pub webhook: &'a WebhookView,
    pub limits: Limits,
}

/// Where the payload asks its posts to go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The webhook's own channel.
    Default,
    /// A channel of the webhook's team by its URL name.
    ChannelName(String),
    /// A channel by id.
    ChannelId(String),
    /// The direct channel between the webhook's owner and this user.
    DirectUser(String),
}

/// The author shown on a post.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Author {
    pub username: String,
    pub icon_url: Option<String>,
}

/// One post to be made, before ids, channel and seq are known.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub message: String,
    pub author: Author,
    pub props: Map<String, Value>,
}

/// A successful translation: where to post, and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    pub target: Target,
    pub drafts: Vec<Draft>,
}
