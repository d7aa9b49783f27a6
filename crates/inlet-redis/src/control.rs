//! The control topic ([`crate::keys::control_topic`]): inlet-api announces
//! directory changes, every ingress and formatter replica listens. What the
//! messages mean is inlet-directory's `invalidation`; this is the Redis side.

use crate::keys;
use crate::link::RedisConnection;
use futures_util::StreamExt;
use inlet_core::settings::RedisSettings;
use tokio_util::sync::CancellationToken;

/// Publishes one control message. A failed attempt is made once more: a
/// connection that finds its server gone (a Redis failover, the primary
/// asked of Sentinel again) fails the first command and serves the next,
/// and a repeated announcement is harmless where a lost one leaves caches
/// stale until they expire.
pub async fn announce(
    redis: &RedisConnection,
    settings: &RedisSettings,
    payload: &str,
) -> redis::RedisResult<()> {
    match publish(redis, settings, payload).await {
        Ok(()) => Ok(()),
        Err(_) => publish(redis, settings, payload).await,
    }
}

async fn publish(
    redis: &RedisConnection,
    settings: &RedisSettings,
    payload: &str,
) -> redis::RedisResult<()> {
    let mut redis = redis.clone();
    redis::cmd("PUBLISH")
        .arg(keys::control_topic(settings))
        .arg(payload)
        .query_async::<i64>(&mut redis)
        .await
        .map(|_| ())
}

/// Subscribes to the control topic and hands every message to `on_message`
/// until `cancel` (then `Ok`) or until the connection is lost (an error, or
/// `Ok` when the stream ends). `on_subscribed` runs once the subscription
/// holds: whatever was announced before is lost to this listener.
pub async fn listen(
    settings: &RedisSettings,
    cancel: &CancellationToken,
    on_subscribed: impl FnOnce(),
    mut on_message: impl FnMut(&str),
) -> redis::RedisResult<()> {
    let client = crate::link::primary_client(settings).await?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(keys::control_topic(settings)).await?;
    on_subscribed();
    let mut messages = pubsub.on_message();
    loop {
        let message = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            message = messages.next() => message,
        };
        let Some(message) = message else {
            return Ok(());
        };
        let payload: String = message.get_payload()?;
        on_message(&payload);
    }
}
