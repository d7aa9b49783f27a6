//! Control messages on Redis: inlet-api announces directory changes
//! (channels, users, memberships, webhooks) and every ingress and formatter
//! replica drops what it cached. The caches' TTLs are the backstop when a
//! message is lost; a listener that reconnects drops everything, since it may
//! have missed some.

use crate::directory::Directory;
use inlet_core::settings::RedisSettings;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Control {
    /// A team's channels, users, memberships or webhooks changed.
    Team { team_id: Uuid },
    /// A token stopped or started working (revoke, rotate, disable).
    Tokens,
}

/// Announces a change; failures are logged (the caches' TTLs still bound
/// how long a stale entry lives).
pub async fn announce(
    redis: &inlet_redis::RedisConnection,
    settings: &RedisSettings,
    message: &Control,
) {
    let payload = serde_json::to_string(message).unwrap_or_default();
    if let Err(error) = inlet_redis::control::announce(redis, settings, &payload).await {
        tracing::warn!(%error, "cannot announce a directory change; caches expire on their own");
    }
}

fn apply(directory: &Directory, message: Control) {
    match message {
        Control::Team { team_id } => directory.invalidate_team(team_id),
        Control::Tokens => directory.invalidate_tokens(),
    }
}

/// Listens for control messages until `cancel`, reconnecting as needed.
pub fn spawn_listener(
    settings: RedisSettings,
    directory: Arc<Directory>,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        while !cancel.is_cancelled() {
            if let Err(error) = listen(&settings, &directory, &cancel).await {
                tracing::warn!(%error, "control listener lost Redis; retrying");
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
}

async fn listen(
    settings: &RedisSettings,
    directory: &Directory,
    cancel: &CancellationToken,
) -> redis::RedisResult<()> {
    // Whatever was announced while we were away is lost: start afresh.
    let subscribed = || directory.invalidate();
    let received = |payload: &str| match serde_json::from_str::<Control>(payload) {
        Ok(control) => apply(directory, control),
        Err(error) => tracing::warn!(%error, "ignoring an unreadable control message"),
    };
    inlet_redis::control::listen(settings, cancel, subscribed, received).await
}
