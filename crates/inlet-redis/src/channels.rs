//! Chat channels' live events on Redis pub/sub: delivery publishes each
//! stored post on its channel's topic ([`crate::keys::channel_topic`]); the
//! API's live feed subscribes.

use crate::keys;
use crate::link::RedisConnection;
use inlet_core::settings::RedisSettings;
use uuid::Uuid;

/// Publishes each `(channel, event)` on its channel's topic, in order, in
/// one pipeline.
pub async fn publish(
    redis: &RedisConnection,
    settings: &RedisSettings,
    events: &[(Uuid, String)],
) -> redis::RedisResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    for (channel, event) in events {
        pipe.cmd("PUBLISH")
            .arg(keys::channel_topic(settings, channel))
            .arg(event)
            .ignore();
    }
    let mut redis = redis.clone();
    pipe.query_async::<()>(&mut redis).await
}
