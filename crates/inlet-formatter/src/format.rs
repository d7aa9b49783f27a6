//! Turning one raw webhook into its formatted posts: decode, translate with
//! the dialect, resolve the channel again (creating a direct channel on
//! first use), place the posts in their thread, derive the post ids.
//!
//! A failure is either *poison* (the same message will always fail: it is
//! dead-lettered at once, with its reason) or *transient* (a dependency is
//! down: the message is held and retried, never dead-lettered).

use inlet_core::{MessageId, post_id};
use inlet_dialects::{Dialect, Draft, Limits, RequestFacts, ThreadRef, Translation};
use inlet_proto::v1::{FormattedMessage, FormattedPost, RawWebhook};
use inlet_store::resolve::{Destination, ResolveError, resolve};
use inlet_store::{Channel, Directory, StoreError, repo};
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

impl From<StoreError> for FormatError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => FormatError::Transient(detail),
            other => poison("database_error", other.to_string()),
        }
    }
}

/// Where a message's posts sit in their channel's threads.
#[derive(Debug, Default)]
struct Placement {
    /// An existing root every part replies to (else part 0 is a root).
    root: Option<Uuid>,
    thread_key: Option<String>,
    /// `root_id`/`thread_ts` that named no root post of the channel.
    unresolved_root: Option<String>,
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
        .map_err(|_| poison("undecodable", "no valid message id"))?;
    let webhook_id = Uuid::parse_str(&raw.webhook_id)
        .map_err(|_| poison("undecodable", "no valid webhook id"))?;
    let dialect: Dialect = raw.dialect.parse().map_err(|_| {
        poison(
            "unknown_dialect",
            format!("unknown dialect {:?}", raw.dialect),
        )
    })?;
    let webhook = directory
        .webhook_by_id(webhook_id)
        .await?
        .ok_or_else(|| poison("webhook_not_found", "the webhook no longer exists"))?;
    let team = directory.team(webhook.team_id).await?;

    let view = webhook.dialect_view();
    let content_type = (!raw.content_type.is_empty()).then_some(raw.content_type.as_str());
    let facts = RequestFacts {
        content_type,
        webhook: &view,
        limits,
        directory: &*team,
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

    let destination = resolve(directory, &webhook, &translation.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => poison(rejection.code.as_str(), rejection.detail),
            ResolveError::Unavailable(error) => FormatError::Transient(error.to_string()),
        })?;
    let channel = channel_of(directory, destination).await?;
    let placement = place(directory, &channel, message_id, translation.thread.as_ref()).await?;
    Ok(FormattedMessage {
        message_id: raw.message_id.clone(),
        ordering_key: raw.ordering_key.clone(),
        posts: posts(raw, message_id, &channel, placement, translation),
        reply_to: String::new(),
    })
}

async fn channel_of(
    directory: &Directory,
    destination: Destination,
) -> Result<Channel, FormatError> {
    match destination {
        Destination::Channel(channel) => Ok((*channel).clone()),
        Destination::Direct {
            team_id,
            owner_id,
            user_id,
        } => {
            let client = directory.pool().get().await.map_err(StoreError::from)?;
            let channel =
                repo::channels::get_or_create_direct(&**client, team_id, owner_id, user_id).await?;
            directory.invalidate_team(team_id);
            Ok(channel)
        }
    }
}

/// Claims a thread key, or checks a named root; commits before the posts
/// are published, so a redelivery decides the same.
async fn place(
    directory: &Directory,
    channel: &Channel,
    message_id: MessageId,
    thread: Option<&ThreadRef>,
) -> Result<Placement, FormatError> {
    let Some(thread) = thread else {
        return Ok(Placement::default());
    };
    let client = directory.pool().get().await.map_err(StoreError::from)?;
    match thread {
        ThreadRef::Key(key) => {
            let first = post_id(message_id, 0);
            let claim =
                repo::threads::claim(&**client, channel.id, key, first, message_id.as_uuid())
                    .await?;
            let root = (claim.message_id != message_id.as_uuid()).then_some(claim.root_post_id);
            Ok(Placement {
                root,
                thread_key: Some(key.clone()),
                unresolved_root: None,
            })
        }
        ThreadRef::Root(raw) => {
            let root = match Uuid::parse_str(raw) {
                Ok(id) if repo::threads::is_root_in(&**client, id, channel.id).await? => Some(id),
                _ => None,
            };
            let unresolved_root = root.is_none().then(|| raw.clone());
            Ok(Placement {
                root,
                thread_key: None,
                unresolved_root,
            })
        }
    }
}

fn posts(
    raw: &RawWebhook,
    message_id: MessageId,
    channel: &Channel,
    placement: Placement,
    translation: Translation,
) -> Vec<FormattedPost> {
    let first = post_id(message_id, 0);
    translation
        .drafts
        .into_iter()
        .enumerate()
        .map(|(part, draft)| {
            // Later parts of a split message are replies in part 0's thread.
            let root = placement.root.or_else(|| (part > 0).then_some(first));
            post(
                raw,
                message_id,
                part as u32,
                channel,
                root,
                &placement,
                draft,
            )
        })
        .collect()
}

fn post(
    raw: &RawWebhook,
    message_id: MessageId,
    part: u32,
    channel: &Channel,
    root: Option<Uuid>,
    placement: &Placement,
    draft: Draft,
) -> FormattedPost {
    let mut props = draft.props;
    if let Some(unresolved) = &placement.unresolved_root {
        props.insert("unresolved_root_id".into(), unresolved.clone().into());
    }
    FormattedPost {
        post_id: post_id(message_id, part).to_string(),
        message_id: raw.message_id.clone(),
        part,
        channel_id: channel.id.to_string(),
        team_id: channel.team_id.to_string(),
        root_id: root.map(|r| r.to_string()).unwrap_or_default(),
        thread_key: placement.thread_key.clone().unwrap_or_default(),
        case_id: String::new(),
        message: draft.message,
        props_json: serde_json::Value::Object(props).to_string(),
        username: draft.author.username,
        icon_url: draft.author.icon_url.unwrap_or_default(),
        webhook_id: raw.webhook_id.clone(),
        dialect: raw.dialect.clone(),
        received_at_micros: raw.received_at_micros,
    }
}
