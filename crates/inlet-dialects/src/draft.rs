//! What a translation needs to know (request facts, the webhook's settings,
//! the limits) and what it produces (target and drafts).

use serde_json::{Map, Value};

/// Limits that shape every translation.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_post_runes: usize,
    pub max_attachments: usize,
    pub max_json_depth: usize,
    /// Most posts one request may make (split parts, referenced cases and
    /// an integration's messages counted).
    pub max_posts_per_request: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_post_runes: 16_383,
            max_attachments: 100,
            max_json_depth: 64,
            max_posts_per_request: 100,
        }
    }
}

/// Which markup a webhook's senders write (dialects.md, `markup`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Markup {
    /// Mattermost behaviour: only the `<…>` forms are translated.
    #[default]
    Markdown,
    /// Slack mrkdwn: also `*bold*`, `_italic_`, `~strike~`.
    Slack,
}

impl Markup {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "markdown" => Some(Markup::Markdown),
            "slack" => Some(Markup::Slack),
            _ => None,
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
    /// May `@channel`, `@here`, `@all` notify? Otherwise they are neutralised.
    pub allow_channel_mentions: bool,
    pub markup: Markup,
}

/// A read-only view of the webhook team's directory, for translations that
/// depend on it (e.g. `<@username>` is a mention only if the user exists).
/// Implemented by the services over their caches; the dialect crate never
/// does I/O itself.
pub trait DirectoryView: Sync {
    /// Whether a user with this username exists in the webhook's team.
    fn user_exists(&self, username: &str) -> bool;
    /// The URL name of the channel with this id, if it is in the team.
    fn channel_name(&self, channel_id: &str) -> Option<String>;
    /// The username of the team's user with this id (`<@id>` in Slack
    /// markup), if there is one.
    fn username_of(&self, user_id: &str) -> Option<String>;
}

/// A directory that knows nobody (tests, and ingress's syntactic check).
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyDirectory;

impl DirectoryView for EmptyDirectory {
    fn user_exists(&self, _: &str) -> bool {
        false
    }
    fn channel_name(&self, _: &str) -> Option<String> {
        None
    }
    fn username_of(&self, _: &str) -> Option<String> {
        None
    }
}

/// Facts about the request besides its body.
#[derive(Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The `Content-Type` header as sent, if any.
    pub content_type: Option<&'a str>,
    pub webhook: &'a WebhookView,
    pub limits: Limits,
    pub directory: &'a dyn DirectoryView,
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
    /// The icon to show; with `icon_emoji` set, the fallback for clients
    /// that cannot show an emoji as an icon.
    pub icon_url: Option<String>,
    /// An emoji name (`smile`, without colons) to show as the icon; wins
    /// over `icon_url`. Also in `props.override_icon_emoji`.
    pub icon_emoji: Option<String>,
}

/// One post to be made, before ids, channel and seq are known.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub message: String,
    pub author: Author,
    pub props: Map<String, Value>,
}

/// Which thread the payload asks its posts to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadRef {
    /// A thread key scoped to the channel: the first post with it is the
    /// root, later ones are its replies (NFC-normalised, ≤ 255 bytes).
    Key(String),
    /// A reply to this existing post id (`root_id` / `thread_ts`).
    Root(String),
}

/// What an emakin message does to cases (semantics.md "Cases").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseRef {
    /// Opens a case with this id (unique per channel).
    pub opens: Option<String>,
    /// Ids of cases this message updates, distinct, in the payload's order.
    pub references: Vec<String>,
}

/// A successful translation: where to post, and what.
///
/// `drafts` are the parts of one message in order (more than one when the
/// text was split): part 0 goes where the whole would have gone, later
/// parts are replies in its thread.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation {
    pub target: Target,
    pub thread: Option<ThreadRef>,
    /// emakin only.
    pub case: Option<CaseRef>,
    pub drafts: Vec<Draft>,
}
