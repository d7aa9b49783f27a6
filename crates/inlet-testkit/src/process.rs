//! A service run as its own process (for tests that kill it with SIGKILL):
//! its settings are handed over as `INLET__…` environment variables.

use inlet_core::Settings;
use std::process::{Child, Command, Stdio};

/// The environment that makes a service binary use `settings`.
pub fn environment(settings: &Settings) -> Vec<(String, String)> {
    let s = settings;
    [
        ("DATABASE__URL", s.database.url.clone()),
        ("DATABASE__POOL_SIZE", s.database.pool_size.to_string()),
        ("AMQP__URL", s.amqp.url.clone()),
        ("AMQP__PREFIX", s.amqp.prefix.clone()),
        ("AMQP__SHARDS", s.amqp.shards.to_string()),
        (
            "AMQP__QUEUE_EXPIRES_MS",
            s.amqp.queue_expires_ms.to_string(),
        ),
        (
            "AMQP__RECONNECT_MAX_BACKOFF_MS",
            s.amqp.reconnect_max_backoff_ms.to_string(),
        ),
        ("REDIS__URL", s.redis.url.clone()),
        ("REDIS__PREFIX", s.redis.prefix.clone()),
        ("FORMATTER__METRICS_LISTEN", "127.0.0.1:0".into()),
        (
            "FORMATTER__STANDBY_DELAY_MS",
            s.formatter.standby_delay_ms.to_string(),
        ),
        ("DELIVERY__METRICS_LISTEN", "127.0.0.1:0".into()),
        (
            "DELIVERY__STANDBY_DELAY_MS",
            s.delivery.standby_delay_ms.to_string(),
        ),
        ("TELEMETRY__LOG_FORMAT", "json".into()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("INLET__{k}"), v))
    .collect()
}

/// Starts `binary` with `settings`; its output is discarded.
pub fn spawn(binary: &str, settings: &Settings) -> std::io::Result<Child> {
    Command::new(binary)
        .env_clear()
        .envs(environment(settings))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}
