//! Layered configuration: built-in defaults, then a TOML file, then
//! `INLET__SECTION__KEY` environment variables. Any key `k_file` reads the
//! value of `k` from a file (Docker and Kubernetes secrets). Unknown keys and
//! invalid values stop the service at start-up with the key named.
//!
//! Every key is documented in `config/inlet.example.toml`; a test checks that
//! the file and these structs agree.

mod delivery_log;

pub use delivery_log::DeliveryLogSettings;

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub amqp: AmqpSettings,
    pub redis: RedisSettings,
    pub ingress: IngressSettings,
    pub formatter: FormatterSettings,
    pub delivery: DeliverySettings,
    pub api: ApiSettings,
    pub limits: LimitsSettings,
    pub telemetry: TelemetrySettings,
    pub service: ServiceSettings,
    pub secrets: SecretsSettings,
    pub delivery_log: DeliveryLogSettings,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsSettings {
    pub key_file: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: usize,
    pub connect_timeout_ms: u64,
    pub wait_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "postgres://postgres@127.0.0.1:5432/inlet".into(),
            pool_size: 16,
            connect_timeout_ms: 5_000,
            wait_timeout_ms: 5_000,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmqpSettings {
    /// One node's URL, or the URLs of a cluster's nodes separated by
    /// commas (see [`AmqpSettings::nodes`]).
    pub url: String,
    pub prefix: String,
    pub shards: u16,
    pub topology_version: u16,
    pub confirm_timeout_ms: u64,
    pub publish_channels: usize,
    pub delivery_limit: u32,
    pub queue_expires_ms: u64,
    pub reconnect_max_backoff_ms: u64,
    pub open_timeout_ms: u64,
}

impl Default for AmqpSettings {
    fn default() -> Self {
        Self {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10".into(),
            prefix: String::new(),
            shards: 16,
            topology_version: 1,
            confirm_timeout_ms: 5_000,
            publish_channels: 1,
            delivery_limit: 20,
            queue_expires_ms: 0,
            reconnect_max_backoff_ms: 5_000,
            open_timeout_ms: 20_000,
        }
    }
}

impl AmqpSettings {
    /// The node URLs of `amqp.url`, in the order written.
    pub fn nodes(&self) -> Vec<&str> {
        amqp_nodes(&self.url)
    }
}

/// The node URLs of an `amqp.url` value: one URL, or several separated by
/// commas (a comma inside a URL, e.g. in a password, is written `%2C`).
pub fn amqp_nodes(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).collect()
}

/// Checks every node URL of `amqp.url`: none empty, each `amqp(s)://host…`.
fn validate_amqp_nodes(url: &str) -> Result<(), SettingsError> {
    let nodes = amqp_nodes(url);
    let count = nodes.len();
    for (i, node) in nodes.into_iter().enumerate() {
        let which = if count == 1 {
            "must".to_string()
        } else {
            format!("node {} of {count} must", i + 1)
        };
        let Some((scheme, rest)) = node.split_once("://") else {
            return Err(key_error(
                "amqp.url",
                format!(
                    "{which} be a URL with scheme amqp or amqps (several nodes are separated by commas)"
                ),
            ));
        };
        if !["amqp", "amqps"].contains(&scheme) {
            return Err(key_error(
                "amqp.url",
                format!("{which} be a URL with scheme amqp or amqps"),
            ));
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(key_error("amqp.url", format!("{which} name a host")));
        }
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    pub url: String,
    pub prefix: String,
    /// Sentinel addresses (`host:port`). When given, the primary of
    /// `sentinel_master` is asked of them, again whenever it stops answering
    /// as a primary, and `url` gives only the password and database.
    pub sentinels: Vec<String>,
    pub sentinel_master: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "inlet:".into(),
            sentinels: Vec::new(),
            sentinel_master: "mymaster".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngressSettings {
    pub listen: SocketAddr,
    pub metrics_listen: SocketAddr,
    pub public_base_url: String,
    pub max_body_bytes: usize,
    /// Most bytes of request bodies held at once, across connections;
    /// past it, `503` with `Retry-After` before a body is read.
    pub body_budget_bytes: usize,
    pub body_timeout_ms: u64,
    pub wait_timeout_ms: u64,
    pub token_cache_ttl_ms: u64,
    /// Unknown-token answers one source address may get per minute (per
    /// replica) before its requests are answered `429` without a token
    /// lookup; 0: no limit.
    pub unknown_tokens_per_minute: u32,
    pub workers: usize,
    /// Rate limit of webhooks without their own `rate_per_minute` (0: none).
    pub rate_per_minute: u32,
    /// Requests a webhook may send at once before its rate applies.
    pub rate_burst: u32,
    /// What the rate limiter does while Redis is unreachable.
    pub rate_limit_without_redis: RateLimitFallback,
    /// Where messages the broker cannot confirm are kept (fsync'd) and
    /// answered 2xx, then published in order; empty: no spool (503).
    pub spool_dir: String,
    /// Publishes of one shard awaiting the broker's confirm at once; the
    /// webhooks that arrive meanwhile leave together in one broker message.
    pub publish_in_flight: usize,
    /// Most webhooks in one broker message.
    pub publish_batch_webhooks: usize,
    /// Most bytes of webhooks in one broker message.
    pub publish_batch_bytes: usize,
    /// How often the webhooks' `last_used_at` is written: uses are noted in
    /// memory and written together, so the shown time is this much late at most.
    pub last_used_flush_ms: u64,
}

/// The rate limiter's behaviour while Redis is unreachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitFallback {
    /// Accept (and count `inlet_ingress_rate_limiter_errors_total`): a Redis
    /// blip must not refuse webhooks.
    #[default]
    Open,
    /// Answer 503 with `Retry-After` until Redis is back.
    Closed,
}

impl Default for IngressSettings {
    fn default() -> Self {
        Self {
            listen: ([0, 0, 0, 0], 8080).into(),
            metrics_listen: ([0, 0, 0, 0], 9101).into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            body_budget_bytes: 64 * 1024 * 1024,
            body_timeout_ms: 10_000,
            wait_timeout_ms: 10_000,
            token_cache_ttl_ms: 1_000,
            unknown_tokens_per_minute: 60,
            workers: 0,
            rate_per_minute: 600,
            rate_burst: 60,
            rate_limit_without_redis: RateLimitFallback::Open,
            spool_dir: String::new(),
            publish_in_flight: 2,
            publish_batch_webhooks: 64,
            publish_batch_bytes: 256 * 1024,
            last_used_flush_ms: 5_000,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormatterSettings {
    pub metrics_listen: SocketAddr,
    pub prefetch: u16,
    /// Shard groups consumed side by side (one channel each).
    pub lanes: usize,
    pub replica_index: u16,
    pub replicas: u16,
    pub standby_delay_ms: u64,
}

impl Default for FormatterSettings {
    fn default() -> Self {
        Self {
            metrics_listen: ([0, 0, 0, 0], 9102).into(),
            prefetch: 32,
            lanes: 4,
            replica_index: 0,
            replicas: 1,
            standby_delay_ms: 5_000,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    pub metrics_listen: SocketAddr,
    pub prefetch: u16,
    /// Shard groups consumed side by side (one channel each).
    pub lanes: usize,
    pub batch_size: usize,
    pub batch_linger_ms: u64,
    pub relay_interval_ms: u64,
    pub relay_grace_ms: u64,
    /// How often delivery vacuums the channel counters it updates with
    /// every batch (0: leave it to autovacuum).
    pub vacuum_interval_ms: u64,
    pub replica_index: u16,
    pub replicas: u16,
    pub standby_delay_ms: u64,
    /// Unacknowledged messages the dead-letter archiver holds at once.
    pub archiver_prefetch: u16,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            metrics_listen: ([0, 0, 0, 0], 9103).into(),
            prefetch: 16,
            lanes: 1,
            batch_size: 256,
            batch_linger_ms: 5,
            relay_interval_ms: 1_000,
            relay_grace_ms: 2_000,
            vacuum_interval_ms: 10_000,
            replica_index: 0,
            replicas: 1,
            standby_delay_ms: 5_000,
            archiver_prefetch: 16,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    pub listen: SocketAddr,
    pub metrics_listen: SocketAddr,
    pub admin_tokens: Vec<String>,
    pub read_tokens: Vec<String>,
    /// Live event streams one token may hold open at once in one process.
    pub max_streams_per_token: usize,
    /// Live event streams one process holds open at once, all tokens together.
    pub max_streams_total: usize,
    /// Live events a stream may fall behind its channel's shared feed
    /// before it catches up from PostgreSQL instead.
    pub stream_buffer_events: usize,
    /// Largest management request body; larger ones get 413 before being
    /// read (management bodies are a few KiB at most).
    pub max_body_bytes: usize,
    /// A body not fully received within this time gets 408, as at ingress.
    pub body_timeout_ms: u64,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            listen: ([0, 0, 0, 0], 8081).into(),
            metrics_listen: ([0, 0, 0, 0], 9104).into(),
            admin_tokens: Vec::new(),
            read_tokens: Vec::new(),
            max_streams_per_token: 20,
            max_streams_total: 1_000,
            stream_buffer_events: 256,
            max_body_bytes: 64 * 1024,
            body_timeout_ms: 10_000,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSettings {
    pub max_post_runes: usize,
    pub max_attachments: usize,
    pub max_json_depth: usize,
    /// Most posts one request may make: a dialect's payload past it is
    /// `413`; an integration's event keeps its first posts and a note.
    pub max_posts_per_request: usize,
    /// A webhook template's fuel: roughly its steps (docs/templates.md).
    pub template_fuel: u64,
    /// Wall-clock time of one template render.
    pub template_time_ms: u64,
    /// Bytes one template field may render.
    pub template_max_output_bytes: usize,
}

impl Default for LimitsSettings {
    fn default() -> Self {
        Self {
            max_post_runes: 16_383,
            max_attachments: 100,
            max_json_depth: 64,
            max_posts_per_request: 100,
            template_fuel: 100_000,
            template_time_ms: 250,
            template_max_output_bytes: 64 * 1024,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when stdout is not a terminal (containers), human otherwise.
    #[default]
    Auto,
    Json,
    Pretty,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    pub log_level: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Auto,
            log_level: "info".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSettings {
    pub shutdown_timeout_ms: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            shutdown_timeout_ms: 20_000,
        }
    }
}

/// A configuration that cannot be used, with the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read configuration: {0}")]
    Source(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {reason}")]
    Key { key: String, reason: String },
}

fn key_error(key: impl Into<String>, reason: impl Into<String>) -> SettingsError {
    SettingsError::Key {
        key: key.into(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Loads the layers in order: defaults, `file` (or `INLET_CONFIG`, or
    /// `./inlet.toml` when present), then `INLET__…` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("INLET_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let local = PathBuf::from("inlet.toml");
                local.exists().then_some(local)
            });
        Self::load_from(file.as_deref(), &env)
    }

    /// `load` with the environment passed in, so tests need not touch the
    /// process's own.
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, SettingsError> {
        let defaults = config::Config::try_from(&Settings::default())?;
        let mut builder = config::Config::builder().add_source(defaults);
        if let Some(path) = file {
            if !path.exists() {
                return Err(key_error(
                    "--config",
                    format!("{} does not exist", path.display()),
                ));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        builder = builder.add_source(environment_source(env));
        let merged: serde_json::Value = builder.build()?.try_deserialize()?;
        let merged = resolve_file_keys(merged)?;
        let mut settings: Settings = serde_path_to_error::deserialize(merged).map_err(|e| {
            let key = e.path().to_string();
            key_error(key, e.into_inner().to_string())
        })?;
        // An empty entry is none (`INLET__REDIS__SENTINELS=` set empty by a
        // deployment that uses no Sentinel).
        settings.redis.sentinels.retain(|s| !s.trim().is_empty());
        settings.validate()?;
        Ok(settings)
    }

    /// Checks that cannot be expressed in types.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let checks: [(&str, bool, &str); 27] = [
            (
                "amqp.shards",
                (1..=1024).contains(&self.amqp.shards),
                "must be 1..=1024",
            ),
            (
                "ingress.publish_in_flight",
                self.ingress.publish_in_flight >= 1,
                "must be at least 1",
            ),
            (
                "ingress.publish_batch_webhooks",
                self.ingress.publish_batch_webhooks >= 1,
                "must be at least 1",
            ),
            (
                "ingress.publish_batch_bytes",
                self.ingress.publish_batch_bytes >= 1,
                "must be at least 1",
            ),
            (
                "ingress.last_used_flush_ms",
                (100..=600_000).contains(&self.ingress.last_used_flush_ms),
                "must be 100 to 600000",
            ),
            (
                "amqp.publish_channels",
                self.amqp.publish_channels >= 1,
                "must be at least 1",
            ),
            (
                "amqp.delivery_limit",
                self.amqp.delivery_limit >= 2,
                "must be at least 2",
            ),
            (
                "database.pool_size",
                self.database.pool_size >= 1,
                "must be at least 1",
            ),
            (
                "delivery.batch_size",
                self.delivery.batch_size >= 1,
                "must be at least 1",
            ),
            (
                "delivery.prefetch",
                self.delivery.prefetch >= 1,
                "must be at least 1",
            ),
            (
                "delivery.archiver_prefetch",
                self.delivery.archiver_prefetch >= 1,
                "must be at least 1",
            ),
            (
                "formatter.prefetch",
                self.formatter.prefetch >= 1,
                "must be at least 1",
            ),
            (
                "formatter.lanes",
                (1..=64).contains(&self.formatter.lanes),
                "must be 1 to 64",
            ),
            (
                "delivery.lanes",
                (1..=64).contains(&self.delivery.lanes),
                "must be 1 to 64",
            ),
            (
                "ingress.max_body_bytes",
                self.ingress.max_body_bytes >= 1024,
                "must be at least 1024",
            ),
            (
                "ingress.body_budget_bytes",
                self.ingress.body_budget_bytes >= self.ingress.max_body_bytes
                    && self.ingress.body_budget_bytes <= u32::MAX as usize,
                "must be at least ingress.max_body_bytes and at most 4 GiB",
            ),
            (
                "limits.max_posts_per_request",
                (2..=10_000).contains(&self.limits.max_posts_per_request),
                "must be 2 to 10000",
            ),
            (
                "limits.template_fuel",
                (1_000..=100_000_000).contains(&self.limits.template_fuel),
                "must be 1000 to 100000000",
            ),
            (
                "limits.template_time_ms",
                (1..=10_000).contains(&self.limits.template_time_ms),
                "must be 1 to 10000",
            ),
            (
                "limits.template_max_output_bytes",
                (1024..=16 * 1024 * 1024).contains(&self.limits.template_max_output_bytes),
                "must be 1024 to 16777216",
            ),
            (
                "api.max_body_bytes",
                self.api.max_body_bytes >= 1024,
                "must be at least 1024",
            ),
            (
                "api.body_timeout_ms",
                self.api.body_timeout_ms >= 100,
                "must be at least 100",
            ),
            (
                "limits.max_post_runes",
                self.limits.max_post_runes >= 64,
                "must be at least 64",
            ),
            (
                "limits.max_json_depth",
                (2..=128).contains(&self.limits.max_json_depth),
                "must be 2..=128",
            ),
            (
                "api.max_streams_total",
                self.api.max_streams_total >= 1,
                "must be at least 1",
            ),
            (
                "api.max_streams_per_token",
                self.api.max_streams_per_token >= 1,
                "must be at least 1",
            ),
            (
                "api.stream_buffer_events",
                (1..=65_536).contains(&self.api.stream_buffer_events),
                "must be 1 to 65536",
            ),
        ];
        for (key, ok, reason) in checks {
            if !ok {
                return Err(key_error(key, reason));
            }
        }
        for (key, url, schemes) in [
            (
                "database.url",
                &self.database.url,
                &["postgres", "postgresql"][..],
            ),
            (
                "redis.url",
                &self.redis.url,
                &["redis", "rediss", "unix"][..],
            ),
            (
                "ingress.public_base_url",
                &self.ingress.public_base_url,
                &["http", "https"][..],
            ),
        ] {
            let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
            if !schemes.contains(&scheme) {
                return Err(key_error(
                    key,
                    format!("must be a URL with scheme {}", schemes.join(" or ")),
                ));
            }
        }
        validate_amqp_nodes(&self.amqp.url)?;
        if let Some(bad) = self.redis.sentinels.iter().find(|address| {
            let port = address
                .rsplit_once(':')
                .map(|(host, port)| (host, port.parse::<u16>()));
            !matches!(port, Some((host, Ok(_))) if !host.is_empty())
        }) {
            return Err(key_error(
                "redis.sentinels",
                format!("{bad:?} must be host:port"),
            ));
        }
        if !self.redis.sentinels.is_empty() && self.redis.sentinel_master.trim().is_empty() {
            return Err(key_error(
                "redis.sentinel_master",
                "must name the monitored primary when redis.sentinels is set",
            ));
        }
        if self.formatter.replica_index >= self.formatter.replicas.max(1) {
            return Err(key_error(
                "formatter.replica_index",
                "must be below formatter.replicas",
            ));
        }
        if self.delivery.replica_index >= self.delivery.replicas.max(1) {
            return Err(key_error(
                "delivery.replica_index",
                "must be below delivery.replicas",
            ));
        }
        self.delivery_log.validate()?;
        tracing_subscriber::EnvFilter::try_new(&self.telemetry.log_level)
            .map_err(|e| key_error("telemetry.log_level", e.to_string()))?;
        Ok(())
    }
}

/// `INLET__SECTION__KEY=value`; list keys take comma-separated values.
fn environment_source(env: &[(String, String)]) -> config::Environment {
    let map = env
        .iter()
        .filter(|(k, _)| k.starts_with("INLET__"))
        .cloned()
        .collect();
    config::Environment::with_prefix("INLET")
        .prefix_separator("__")
        .separator("__")
        .list_separator(",")
        .with_list_parse_key("api.admin_tokens")
        .with_list_parse_key("api.read_tokens")
        .with_list_parse_key("redis.sentinels")
        .try_parsing(true)
        .source(Some(map))
}

/// Replaces every `section.key_file` by `section.key` read from that file
/// (a list key takes one entry per non-empty line).
fn resolve_file_keys(mut merged: serde_json::Value) -> Result<serde_json::Value, SettingsError> {
    let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
    let Some(sections) = merged.as_object_mut() else {
        return Ok(merged);
    };
    for (section_name, section) in sections.iter_mut() {
        let Some(section) = section.as_object_mut() else {
            continue;
        };
        let file_keys: Vec<String> = section
            .keys()
            .filter(|k| k.ends_with("_file"))
            .cloned()
            .collect();
        for file_key in file_keys {
            let full_key = format!("{section_name}.{file_key}");
            let base = file_key
                .strip_suffix("_file")
                .unwrap_or(&file_key)
                .to_string();
            // Empty lists vanish from the merged layers, so ask the defaults.
            let Some(default) = defaults.get(section_name).and_then(|s| s.get(&base)) else {
                // Not an indirection (e.g. `secrets.key_file` is a key of its
                // own); an unknown key is refused when the structs are read.
                continue;
            };
            let is_list = default.is_array();
            let path = section
                .get(&file_key)
                .and_then(|v| v.as_str())
                .ok_or_else(|| key_error(&full_key, "must be a file path"))?
                .to_string();
            let content = std::fs::read_to_string(&path)
                .map_err(|e| key_error(&full_key, format!("cannot read {path}: {e}")))?;
            let value = if is_list {
                serde_json::Value::Array(
                    content
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| serde_json::Value::String(l.to_string()))
                        .collect(),
                )
            } else {
                serde_json::Value::String(content.trim_end_matches(['\n', '\r']).to_string())
            };
            section.remove(&file_key);
            section.insert(base, value);
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests;
