//! `inlet_redis_up`, sampled at scrape time by every service.

use crate::link::{RedisConnection, ping};
use inlet_core::telemetry::gauge;
use prometheus::{IntGauge, Registry};

/// `inlet_redis_up`: 1 when Redis answered the last scrape's PING.
#[derive(Clone)]
pub struct RedisUp(IntGauge);

impl RedisUp {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        gauge(
            registry,
            "inlet_redis_up",
            "1 when Redis answered a PING at the last scrape, else 0.",
        )
        .map(Self)
    }

    /// Pings Redis, records the outcome and returns it.
    pub async fn sample(&self, redis: &RedisConnection) -> Result<(), String> {
        let mut redis = redis.clone();
        let result = ping(&mut redis).await;
        self.0.set(i64::from(result.is_ok()));
        result
    }
}
