//! Turning one raw webhook into its formatted posts: decode, translate with
//! the dialect, resolve the channel again, derive the post ids.
//!
//! A failure is either *poison* (the same message will always fail: it is
//! dead-lettered at once, with its reason) or *transient* (a dependency is
//! down: the message is held and retried, never dead-lettered).

use inlet_core::{MessageId, post_id};
use inlet_dialects::{Dialect, EmptyDirectory, Limits, RequestFacts};
use inlet_proto::v1::{FormattedMessage, FormattedPost, RawWebhook};
use inlet_store::Directory;
use inlet_store::resolve::{ResolveError, target_channel};
use std::panic::{AssertUnwindSafe, catch_unwind};
use uuid::Uuid;

#[derive(Debug)]
pub enum FormatError {
    /// Will fail again whatever happens: dead-letter with this reason.
    Poison { reason: String, detail: String },
    /// A dependency is unavailable: retry later.
    Transient(String),
}

fn poison(reason: impl Into<String>, detail: impl Into<String>) -> FormatError {
    FormatError::Poison {
        reason: reason.into(),
        detail: detail.into(),
    }
}

/// Formats `raw` into the posts delivery will store.
pub async fn format_message(
    directory: &Directory,
    limits: Limits,
    raw: &RawWebhook,
) -> Result<FormattedMessage, FormatError> {
    let message_id: MessageId = raw
        .message_id
        .parse()
        .map_err(|_| poison("undecodable", "the raw message has no valid message id"))?;
    let webhook_id = Uuid::parse_str(&raw.webhook_id)
        .map_err(|_| poison("undecodable", "the raw message has no valid webhook id"))?;
    let dialect: Dialect = raw.dialect.parse().map_err(|_| {
        poison(
            "unknown_dialect",
            format!("unknown dialect {:?}", raw.dialect),
        )
    })?;
    let webhook = directory
        .webhook_by_id(webhook_id)
        .await
        .map_err(|e| FormatError::Transient(e.to_string()))?
        .ok_or_else(|| poison("webhook_not_found", "the webhook no longer exists"))?;

    let view = webhook.dialect_view();
    let content_type = (!raw.content_type.is_empty()).then_some(raw.content_type.as_str());
    let facts = RequestFacts {
        content_type,
        webhook: &view,
        limits,
        directory: &EmptyDirectory,
    };
    // A translator bug must cost one message, not the shard.
    let translation = catch_unwind(AssertUnwindSafe(|| {
        inlet_dialects::translate(&dialect, &facts, &raw.body)
    }))
    .map_err(|_| {
        poison(
            "translator_panic",
            "the translator panicked on this payload",
        )
    })?
    .map_err(|rejection| poison(rejection.code.as_str(), rejection.detail))?;

    let channel = target_channel(directory, &webhook, &translation.target)
        .await
        .map_err(|error| match error {
            ResolveError::Rejected(rejection) => poison(rejection.code.as_str(), rejection.detail),
            ResolveError::Unavailable(error) => FormatError::Transient(error.to_string()),
        })?;

    let posts = translation
        .drafts
        .into_iter()
        .enumerate()
        .map(|(part, draft)| {
            let part = part as u32;
            FormattedPost {
                post_id: post_id(message_id, part).to_string(),
                message_id: raw.message_id.clone(),
                part,
                channel_id: channel.id.to_string(),
                team_id: channel.team_id.to_string(),
                root_id: String::new(),
                thread_key: String::new(),
                case_id: String::new(),
                message: draft.message,
                props_json: serde_json::Value::Object(draft.props).to_string(),
                username: draft.author.username,
                icon_url: draft.author.icon_url.unwrap_or_default(),
                webhook_id: raw.webhook_id.clone(),
                dialect: raw.dialect.clone(),
                received_at_micros: raw.received_at_micros,
            }
        })
        .collect();
    Ok(FormattedMessage {
        message_id: raw.message_id.clone(),
        ordering_key: raw.ordering_key.clone(),
        posts,
        reply_to: String::new(),
    })
}
