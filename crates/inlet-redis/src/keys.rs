//! Every Redis key and pub/sub channel Inlet uses, each under the
//! deployment's `redis.prefix` so several deployments (or tests) can share
//! one Redis.

use inlet_core::settings::RedisSettings;
use uuid::Uuid;

/// The pub/sub channel of a chat channel's posts (delivery publishes, the
/// API's live feed subscribes).
pub fn channel_topic(settings: &RedisSettings, channel_id: &Uuid) -> String {
    format!("{}channel:{channel_id}", settings.prefix)
}

/// The pub/sub channel of directory changes (inlet-api announces, ingress
/// and the formatter drop what they cached).
pub fn control_topic(settings: &RedisSettings) -> String {
    format!("{}control", settings.prefix)
}

/// The key holding an `Idempotency-Key`'s first message and verdict, scoped
/// to its webhook (the key itself is hashed: any bytes are safe).
pub fn idempotency(settings: &RedisSettings, webhook_id: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("{}idem:{webhook_id}:{digest}", settings.prefix)
}

/// The key of a webhook's rate-limit cell (ingress's GCRA).
pub fn rate(settings: &RedisSettings, webhook_id: &Uuid) -> String {
    format!("{}rate:{webhook_id}", settings.prefix)
}

/// The stream of a webhook's delivery log (ingress appends, the API reads).
pub fn delivery_log(settings: &RedisSettings, webhook_id: &Uuid) -> String {
    format!("{}deliveries:{webhook_id}", settings.prefix)
}

/// The sorted set of source addresses that named unknown webhook tokens,
/// by how many times.
pub fn unknown_token_sources(settings: &RedisSettings) -> String {
    format!("{}unknown-token-sources", settings.prefix)
}
