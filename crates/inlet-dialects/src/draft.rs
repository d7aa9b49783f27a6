//! What a translation needs to know (the request, the webhook's settings,
//! the limits), what it produces (target and drafts), and the end every
//! translation shares ([`Drafted::into_drafts`]: webhook props, notes of
//! what was dropped, mention neutralisation, splitting).

use crate::mentions::neutralise;
use crate::notes::Dropped;
use crate::split::split_message;
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

/// One request to any translator, a dialect or an integration: what
/// ingress reads from the HTTP request, and what the formatter reads back
/// from the raw webhook. Each translator reads the fields it needs.
#[derive(Clone, Copy)]
pub struct TranslationRequest<'a> {
    /// The `Content-Type` header as sent, if any.
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// Request headers, names compared case-insensitively (integrations
    /// read their event type and delivery id here).
    pub headers: &'a [(String, String)],
    /// Query parameters, never `api_key` (integrations read `stream`,
    /// `topic` and the event filters here).
    pub query: &'a [(String, String)],
    pub webhook: &'a WebhookView,
    pub limits: Limits,
    /// The webhook's team, for payloads that name users and channels:
    /// ingress checks with [`EmptyDirectory`], the formatter renders with
    /// the team's.
    pub directory: &'a dyn DirectoryView,
    /// The webhook's signing secret, when it has one and the signature is
    /// to be checked (ingress; the formatter never needs it).
    pub signing_secret: Option<&'a [u8]>,
    /// When the request arrived, in seconds since the Unix epoch (ingress
    /// gives it): signature schemes that sign a timestamp (Stripe's) refuse
    /// one too far from it. `None` skips that check; the crate never reads
    /// the clock itself.
    pub now: Option<u64>,
}

/// The settings of a webhook that has none of its own.
static DEFAULT_WEBHOOK: WebhookView = WebhookView {
    display_name: String::new(),
    username: None,
    icon_url: None,
    allow_username_override: false,
    allow_icon_override: false,
    allow_channel_mentions: false,
    markup: Markup::Markdown,
};

/// An empty request from a webhook with the default settings, under the
/// default limits: a base to fill (`..Default::default()`).
impl Default for TranslationRequest<'_> {
    fn default() -> Self {
        Self {
            content_type: None,
            body: &[],
            headers: &[],
            query: &[],
            webhook: &DEFAULT_WEBHOOK,
            limits: Limits::default(),
            directory: &EmptyDirectory,
            signing_secret: None,
            now: None,
        }
    }
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

/// One message as a translator made it, before the end every translation
/// shares ([`Self::into_drafts`]).
pub(crate) struct Drafted {
    /// The whole text, before neutralisation and splitting.
    pub message: String,
    pub author: Author,
    /// The payload's and the translator's props.
    pub props: Map<String, Value>,
    /// What the translation left out, in `props.dropped`.
    pub dropped: Dropped,
    /// `props.attachments` of the last part.
    pub attachments: Vec<Value>,
}

impl Drafted {
    /// The translation of `req` that posts this message to `target`, in
    /// `thread` and `case`.
    pub(crate) fn into_translation(
        self,
        req: &TranslationRequest<'_>,
        target: Target,
        thread: Option<ThreadRef>,
        case: Option<CaseRef>,
    ) -> Translation {
        Translation {
            target,
            thread,
            case,
            drafts: self.into_drafts(req.webhook, req.limits.max_post_runes),
        }
    }

    /// The end of every translation (dialects.md, common rules): the props
    /// every webhook post carries, the notes of what was dropped,
    /// `@channel`/`@here`/`@all` neutralised unless the webhook may notify,
    /// then the text split into parts of at most `max_post_runes`, the
    /// attachments on the last.
    fn into_drafts(self, hook: &WebhookView, max_post_runes: usize) -> Vec<Draft> {
        let mut props = self.props;
        mark_from_webhook(&mut props, hook);
        if let Some(notes) = self.dropped.into_value() {
            props.insert("dropped".into(), notes);
        }
        let message = if hook.allow_channel_mentions {
            self.message
        } else {
            neutralise(&self.message)
        };
        let parts = split_message(&message, max_post_runes);
        drafts(&parts, &self.author, props, self.attachments)
    }
}

/// The props every webhook post carries (dialects.md, common rules).
fn mark_from_webhook(props: &mut Map<String, Value>, hook: &WebhookView) {
    props.insert("from_webhook".into(), Value::from("true"));
    props.insert(
        "webhook_display_name".into(),
        Value::from(hook.display_name.as_str()),
    );
}

/// One draft per part of the message; the attachments go on the last.
fn drafts(
    parts: &[&str],
    author: &Author,
    props: Map<String, Value>,
    attachments: Vec<Value>,
) -> Vec<Draft> {
    let last = parts.len().saturating_sub(1);
    let mut attachments = (!attachments.is_empty()).then_some(attachments);
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let mut props = props.clone();
            if i == last
                && let Some(attachments) = attachments.take()
            {
                props.insert("attachments".into(), Value::Array(attachments));
            }
            Draft {
                message: (*part).to_string(),
                author: author.clone(),
                props,
            }
        })
        .collect()
}
