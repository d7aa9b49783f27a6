//! The Redis connection every service uses: a multiplexed connection that
//! connects lazily and reconnects by itself, so a service starts and keeps
//! serving while Redis is down (it is then `degraded`, not unready).

use crate::settings::RedisSettings;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

pub use redis::aio::ConnectionManager as RedisConnection;

/// A lazily connecting manager; commands fail fast while Redis is away.
pub fn manager(settings: &RedisSettings) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(settings.url.as_str())?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
}

/// The pub/sub channel of a chat channel's posts.
pub fn channel_topic(settings: &RedisSettings, channel_id: &uuid::Uuid) -> String {
    format!("{}channel:{channel_id}", settings.prefix)
}

/// Checks that Redis answers (readiness).
pub async fn ping(connection: &mut ConnectionManager) -> Result<(), String> {
    redis::cmd("PING")
        .query_async::<String>(connection)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The Redis key holding an `Idempotency-Key`'s first message and verdict,
/// scoped to its webhook (the key itself is hashed: any bytes are safe).
pub fn idempotency_key(settings: &RedisSettings, webhook_id: &str, key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("{}idem:{webhook_id}:{digest}", settings.prefix)
}

/// How long a sender's `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_SECS: u64 = 24 * 60 * 60;
