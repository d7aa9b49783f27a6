//! Resolving where a payload goes (semantics.md "Channel resolution"):
//! ingress does it synchronously so a sender learns of its mistake at once;
//! the formatter does it again before posting.

use crate::directory::Directory;
use crate::error::StoreError;
use crate::model::{Channel, ChannelKind, Webhook};
use inlet_dialects::{ErrorCode, Rejection, Target};
use std::sync::Arc;
use uuid::Uuid;

/// Why a target cannot be resolved: a rejection for the sender, or the
/// database being unreachable (503).
pub enum ResolveError {
    Rejected(Rejection),
    Unavailable(StoreError),
}

impl From<StoreError> for ResolveError {
    fn from(error: StoreError) -> Self {
        ResolveError::Unavailable(error)
    }
}

fn reject(code: ErrorCode, detail: impl Into<String>) -> ResolveError {
    ResolveError::Rejected(Rejection::new(code, detail))
}

/// The channel `target` names for `webhook`, after every rule of
/// semantics.md "Channel resolution".
pub async fn target_channel(
    directory: &Directory,
    webhook: &Webhook,
    target: &Target,
) -> Result<Arc<Channel>, ResolveError> {
    let channel = match target {
        Target::Default => directory
            .channel_by_id(webhook.channel_id)
            .await?
            .ok_or_else(|| {
                reject(
                    ErrorCode::ChannelNotFound,
                    "the webhook's channel no longer exists",
                )
            })?,
        Target::ChannelName(name) => directory
            .channel_by_name(webhook.team_id, name)
            .await?
            .ok_or_else(|| {
                reject(
                    ErrorCode::ChannelNotFound,
                    format!("no channel named {name:?} in this team"),
                )
            })?,
        Target::ChannelId(raw) => {
            let id = Uuid::parse_str(raw).map_err(|_| {
                reject(
                    ErrorCode::ChannelNotFound,
                    format!("no channel with id {raw:?}"),
                )
            })?;
            let channel = directory.channel_by_id(id).await?.ok_or_else(|| {
                reject(
                    ErrorCode::ChannelNotFound,
                    format!("no channel with id {raw:?}"),
                )
            })?;
            if channel.team_id != webhook.team_id {
                return Err(reject(
                    ErrorCode::ActionProhibited,
                    "that channel belongs to another team",
                ));
            }
            channel
        }
        Target::DirectUser(_) => {
            return Err(reject(
                ErrorCode::ActionProhibited,
                "direct messages from webhooks are not enabled on this server",
            ));
        }
    };
    if webhook.channel_locked && channel.id != webhook.channel_id {
        return Err(reject(
            ErrorCode::ActionProhibited,
            "this webhook is locked to its channel; remove `channel` from the payload",
        ));
    }
    if channel.kind == ChannelKind::Private && channel.id != webhook.channel_id {
        let client = directory.pool().get().await.map_err(StoreError::from)?;
        if !crate::repo::channels::is_member(&**client, channel.id, webhook.owner_id).await? {
            return Err(reject(
                ErrorCode::ActionProhibited,
                "the webhook's owner is not a member of that private channel",
            ));
        }
    }
    if channel.archived {
        return Err(reject(
            ErrorCode::ChannelIsArchived,
            format!("channel {:?} is archived", channel.name),
        ));
    }
    Ok(channel)
}
