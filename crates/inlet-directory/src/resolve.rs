//! Resolving where a payload goes (semantics.md "Channel resolution"):
//! ingress does it synchronously so a sender learns of its mistake at once;
//! the formatter does it again before posting. Both read the team's cached
//! directory, so this costs no database round trip on the hot path.

use crate::directory::Directory;
use crate::team::TeamDirectory;
use inlet_core::OrderingKey;
use inlet_dialects::{ErrorCode, Rejection, Target};
use inlet_store::{Channel, ChannelKind, StoreError, Webhook};
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

/// Where the posts go.
#[derive(Clone, Debug)]
pub enum Destination {
    Channel(Arc<Channel>),
    /// The direct channel between the webhook's owner and `user_id`, created
    /// by the formatter on first use.
    Direct {
        team_id: Uuid,
        owner_id: Uuid,
        user_id: Uuid,
    },
}

impl Destination {
    /// The key that decides the shard: the channel id, or for a direct
    /// channel (existing or not) the team and its two users, so both ways
    /// of addressing it share one shard.
    pub fn ordering_key(&self) -> OrderingKey {
        match self {
            Destination::Direct {
                team_id,
                owner_id,
                user_id,
            } => OrderingKey::direct(*team_id, *owner_id, *user_id),
            Destination::Channel(channel) => match channel.direct_pair() {
                Some((a, b)) => OrderingKey::direct(channel.team_id, a, b),
                None => OrderingKey::channel(channel.id),
            },
        }
    }
}

/// The destination `target` names for `webhook`, after every rule of
/// semantics.md "Channel resolution".
pub async fn resolve(
    directory: &Directory,
    webhook: &Webhook,
    target: &Target,
) -> Result<Destination, ResolveError> {
    let team = directory.team(webhook.team_id).await?;
    let channel = match target {
        Target::Default => match team.channel(webhook.channel_id) {
            Some(channel) => channel,
            None => {
                return Err(reject(
                    ErrorCode::ChannelNotFound,
                    "the webhook's channel no longer exists",
                ));
            }
        },
        Target::ChannelName(name) => team.channel_by_name(name).ok_or_else(|| {
            reject(
                ErrorCode::ChannelNotFound,
                format!("no channel named {name:?} in this team"),
            )
        })?,
        Target::ChannelId(raw) => by_id(directory, &team, raw).await?,
        Target::DirectUser(username) => return direct(&team, webhook, username),
    };
    check_channel(&team, webhook, &channel)?;
    Ok(Destination::Channel(channel))
}

async fn by_id(
    directory: &Directory,
    team: &TeamDirectory,
    raw: &str,
) -> Result<Arc<Channel>, ResolveError> {
    let not_found = || {
        reject(
            ErrorCode::ChannelNotFound,
            format!("no channel with id {raw:?}"),
        )
    };
    let id = Uuid::parse_str(raw).map_err(|_| not_found())?;
    if let Some(channel) = team.channel(id) {
        return Ok(channel);
    }
    // Not in this team: another team's id is refused, not "not found".
    match directory.channel_by_id(id).await? {
        Some(_) => Err(reject(
            ErrorCode::ActionProhibited,
            "that channel belongs to another team",
        )),
        None => Err(not_found()),
    }
}

fn direct(
    team: &TeamDirectory,
    webhook: &Webhook,
    username: &str,
) -> Result<Destination, ResolveError> {
    let user = team.user_by_name(username).ok_or_else(|| {
        reject(
            ErrorCode::UserNotFound,
            format!("no user named {username:?} in this team"),
        )
    })?;
    if webhook.channel_locked {
        return Err(reject(
            ErrorCode::ActionProhibited,
            "this webhook is locked to its channel; it cannot send direct messages",
        ));
    }
    Ok(Destination::Direct {
        team_id: team.team_id,
        owner_id: webhook.owner_id,
        user_id: user.id,
    })
}

fn check_channel(
    team: &TeamDirectory,
    webhook: &Webhook,
    channel: &Channel,
) -> Result<(), ResolveError> {
    let elsewhere = channel.id != webhook.channel_id;
    if webhook.channel_locked && elsewhere {
        return Err(reject(
            ErrorCode::ActionProhibited,
            "this webhook is locked to its channel; remove `channel` from the payload",
        ));
    }
    // A webhook posts with its owner's reach: never into a private channel
    // the owner is not in, whether it was named by an override or is the
    // webhook's own channel (the owner may have left it since).
    if channel.kind != ChannelKind::Open && !team.is_member(channel.id, webhook.owner_id) {
        let detail = if elsewhere {
            "the webhook's owner is not a member of that private channel"
        } else {
            "the webhook's owner is no longer a member of its private channel"
        };
        return Err(reject(ErrorCode::ActionProhibited, detail));
    }
    if channel.archived {
        return Err(reject(
            ErrorCode::ChannelIsArchived,
            format!("channel {:?} is archived", channel.name),
        ));
    }
    Ok(())
}
