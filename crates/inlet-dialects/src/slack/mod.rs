//! The `slack` dialect: Slack and Mattermost incoming webhooks
//! (dialects.md, `slack`).
//!
//! Order of operations, following Mattermost's error order (research §1.6)
//! where it applies:
//! 1. the body is decoded (415 for a charset, else `invalid_payload`);
//! 2. every field is read into its type; a wrong type is
//!    `invalid_payload` naming the field (Mattermost's decode step);
//! 3. more than `max_attachments` attachments → `too_many_attachments`
//!    (checked on the count alone, before translating any of them);
//! 4. attachments and blocks are translated (their wrong types are still
//!    step-2 errors, found while walking them);
//! 5. nothing to post → `no_text` (`no_text` and `too_many_attachments`
//!    cannot both hold, so their relative order shows only when every
//!    attachment is `null`: those are dropped first, then counted);
//! 6. values are checked: `channel`, `priority`, `type`, the thread fields
//!    (Mattermost checks priority and type after "No text specified");
//! 7. mentions are neutralised, props assembled, the text split.

mod attachments;
mod author;
mod blocks;
mod buttons;
mod payload;
mod rich_text;

use crate::body::json_object;
use crate::draft::{DirectoryView, Drafted, Markup, Translation, TranslationRequest};
use crate::error::{ErrorCode, Rejection};
use crate::fields::Path;
use crate::markup::{self, Options};
use crate::mentions::neutralise;
use crate::notes::Dropped;
use payload::Payload;
use serde_json::{Map, Value};

// Shared with the talkspirit and emakin dialects, so that the author rule,
// thread keys and splitting behave the same in every dialect.
pub(crate) use author::{Requested, requested_author};
pub(crate) use payload::{looks_like_uuid, thread_key};

/// Payload prop keys that are never kept: the ones Mattermost reserves
/// (research §2.2) and the ones Inlet itself sets.
const RESERVED_PROPS: [&str; 16] = [
    "from_webhook",
    "from_bot",
    "from_plugin",
    "from_oauth_app",
    "force_notification",
    "silent_notification",
    "add_channel_member",
    "override_username",
    "override_icon_url",
    "override_icon_emoji",
    "webhook_display_name",
    "attachments",
    "dropped",
    "post_type",
    "priority",
    "unresolved_root_id",
];

/// What the translation of one payload's parts shares.
pub(crate) struct Cx<'a> {
    pub directory: &'a dyn DirectoryView,
    pub markup: Markup,
    /// Neutralise `@channel`/`@here`/`@all` (the webhook may not notify).
    pub neutralise: bool,
    pub dropped: Dropped,
}

impl Cx<'_> {
    /// Slack markup in a field the webhook's `markup` setting governs.
    pub fn text(&mut self, text: &str, field: &Path<'_>) -> String {
        self.translate(text, field, self.markup == Markup::Slack)
    }

    /// A Block Kit `mrkdwn` text object: declared mrkdwn, so emphasis is
    /// always translated.
    pub fn mrkdwn(&mut self, text: &str, field: &Path<'_>) -> String {
        self.translate(text, field, true)
    }

    /// A finished text that is stored on its own (attachment parts).
    pub fn finish(&self, text: String) -> String {
        if self.neutralise {
            neutralise(&text)
        } else {
            text
        }
    }

    fn translate(&mut self, text: &str, field: &Path<'_>, emphasis: bool) -> String {
        let options = Options {
            directory: self.directory,
            emphasis,
            links: true,
        };
        markup::translate(text, &options, field, &mut self.dropped)
    }
}

pub(crate) fn translate(req: &TranslationRequest<'_>) -> Result<Translation, Rejection> {
    let object = json_object(req.content_type, req.body, req.limits.max_json_depth)?;
    let payload = Payload::read(&object)?;
    check_attachment_count(&payload, req.limits.max_attachments)?;
    let hook = req.webhook;
    let mut cx = Cx {
        directory: req.directory,
        markup: hook.markup,
        neutralise: !hook.allow_channel_mentions,
        dropped: Dropped::default(),
    };
    let mut props = payload_props(payload.props);
    let author = author::author(hook, &payload, &mut props, &mut cx.dropped);
    let message = message(&payload, &mut cx)?;
    let attachments = attachments::translate(payload.attachments, &mut cx)?;
    if message.trim().is_empty() && attachments.is_empty() {
        return Err(Rejection::new(
            ErrorCode::NoText,
            "nothing to post: `text` is empty and there are no attachments or blocks",
        ));
    }
    let checked = payload.check(&mut cx.dropped)?;
    // A blank text beside attachments is no text at all.
    let message = if message.trim().is_empty() {
        String::new()
    } else {
        message
    };
    let extra = [
        ("post_type", checked.post_type.map(Value::from)),
        ("priority", checked.priority),
    ];
    for (key, value) in extra {
        if let Some(value) = value {
            props.insert(key.into(), value);
        }
    }
    let drafted = Drafted {
        message,
        author,
        props,
        dropped: cx.dropped,
        attachments,
    };
    Ok(drafted.into_translation(req, checked.target, checked.thread, None))
}

/// Counts the attachments that are not `null` (those are dropped).
fn check_attachment_count(payload: &Payload<'_>, max: usize) -> Result<(), Rejection> {
    let count = payload.attachments.iter().filter(|a| !a.is_null()).count();
    if count > max {
        return Err(Rejection::new(
            ErrorCode::TooManyAttachments,
            format!("{count} attachments; at most {max} are accepted"),
        ));
    }
    Ok(())
}

/// The message: the flattened blocks when they say anything (Slack shows
/// blocks and uses `text` only as the notification fallback), else `text`.
fn message(payload: &Payload<'_>, cx: &mut Cx<'_>) -> Result<String, Rejection> {
    let flattened = blocks::flatten(payload.blocks, &Path::ROOT.key("blocks"), cx)?;
    if !flattened.trim().is_empty() {
        return Ok(flattened);
    }
    let text = payload.text.unwrap_or("");
    Ok(if payload.mrkdwn {
        cx.text(text, &Path::ROOT.key("text"))
    } else {
        text.to_string()
    })
}

/// The payload's own props, without the reserved keys.
fn payload_props(props: Option<&Map<String, Value>>) -> Map<String, Value> {
    let Some(props) = props else {
        return Map::new();
    };
    props
        .iter()
        .filter(|(key, _)| !RESERVED_PROPS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}
