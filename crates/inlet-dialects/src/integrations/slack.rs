//! Slack (`/api/v1/external/slack`): the `slack` dialect reached through
//! the integration URL form, for senders configured with Zulip-style URLs
//! (`slack_incoming`). The body is a Slack payload, translated by
//! [`crate::slack`] exactly as on the dialect's own URL (JSON, form and
//! multipart bodies alike), so the posts are the same; the event is
//! `message`, and `stream` / `topic` apply as for any integration.
//!
//! The translation sees the request's directory, as the dialect does:
//! `<@username>` and `<#C123>` render the same on both URLs.
//!
//! On this URL senders expect Zulip's Slack-compatible integration, whose
//! rules differ from Mattermost's in three ways (decisions.md 56): the
//! payload's `channel` (`#devops`, `C1H9RESGL`) names the **topic**, not a
//! channel (the `topic` parameter still wins, `stream` still picks the
//! channel); a payload with nothing to show (`{"text": null}`, attachments
//! whose fields are all empty) posts nothing and answers success.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::text;
use super::{DialectPosts, Formatted, Formatting, IgnoreReason, Integration};
use crate::draft::{Target, ThreadRef, Translation, TranslationRequest};
use crate::error::ErrorCode;
use serde_json::Value;

pub struct Slack;

const EVENT: &str = "message";

impl Integration for Slack {
    fn name(&self) -> &'static str {
        "slack"
    }

    fn display_name(&self) -> &'static str {
        "Slack"
    }

    fn events(&self) -> &'static [&'static str] {
        &[EVENT]
    }

    fn event_of(&self, _: &Headers<'_>, _: &Value) -> Result<String, IntegrationError> {
        Ok(EVENT.to_string())
    }

    fn translate_request(&self, req: &TranslationRequest<'_>) -> Option<DialectPosts> {
        let posts = match crate::slack::translate(req) {
            Ok(translation) if shows_nothing(&translation) => Vec::new(),
            Ok(mut translation) => {
                channel_as_topic(&mut translation);
                vec![translation]
            }
            Err(refusal) if refusal.code == ErrorCode::NoText => Vec::new(),
            Err(refusal) => return Some(Err(refusal.into())),
        };
        Some(Ok((EVENT.to_string(), posts)))
    }

    /// Never reached: [`Self::translate_request`] answers every request.
    fn format(&self, _: &str, _: &Value, _: &Params<'_>) -> Formatting {
        Ok(Formatted::Ignore(IgnoreReason::Unsupported))
    }
}

/// The payload's `channel` as the topic: the posts go to the webhook's
/// channel (or `stream`), in the thread the channel names, unless the
/// payload names a thread itself.
fn channel_as_topic(translation: &mut Translation) {
    let topic = match std::mem::replace(&mut translation.target, Target::Default) {
        Target::Default => return,
        Target::ChannelName(name) => name,
        Target::ChannelId(id) => id,
        Target::DirectUser(user) => user,
    };
    if translation.thread.is_some() || topic.is_empty() {
        return;
    }
    translation.thread = Some(ThreadRef::Key(text::thread_key(&topic)));
    for draft in &mut translation.drafts {
        draft
            .props
            .insert("topic".into(), Value::from(text::display_topic(&topic)));
    }
}

/// Whether the posts would show nothing: no text, and no attachment with a
/// visible field.
fn shows_nothing(translation: &Translation) -> bool {
    translation.drafts.iter().all(|draft| {
        draft.message.trim().is_empty()
            && draft
                .props
                .get("attachments")
                .and_then(Value::as_array)
                .is_none_or(|attachments| attachments.iter().all(blank_attachment))
    })
}

/// The attachment fields a reader sees.
const VISIBLE: [&str; 7] = [
    "pretext",
    "author_name",
    "title",
    "text",
    "footer",
    "image_url",
    "thumb_url",
];

fn blank_attachment(attachment: &Value) -> bool {
    let blank = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
    };
    VISIBLE.iter().all(|key| blank(attachment.get(*key)))
        && attachment
            .get("fields")
            .and_then(Value::as_array)
            .is_none_or(|fields| {
                fields
                    .iter()
                    .all(|f| blank(f.get("title")) && blank(f.get("value")))
            })
}
