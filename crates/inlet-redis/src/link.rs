//! The Redis connection every service uses: a multiplexed connection that
//! connects lazily and reconnects by itself, so a service starts and keeps
//! serving while Redis is down (it is then `degraded`, not unready).

use inlet_core::settings::RedisSettings;
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

/// Checks that Redis answers (readiness).
pub async fn ping(connection: &mut ConnectionManager) -> Result<(), String> {
    redis::cmd("PING")
        .query_async::<String>(connection)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
