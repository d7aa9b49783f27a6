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

impl RedisUp {
    /// Adds what every service's readiness has of Redis: `PING`, always
    /// optional (down is `degraded`), and the sampling of `inlet_redis_up`.
    pub fn checks(
        self,
        checks: inlet_core::ops::Checks,
        redis: &RedisConnection,
    ) -> inlet_core::ops::Checks {
        let (pinged, sampled) = (redis.clone(), redis.clone());
        checks
            .optional("redis", move || {
                let mut redis = pinged.clone();
                async move { ping(&mut redis).await }
            })
            .sampling(move || {
                let (up, redis) = (self.clone(), sampled.clone());
                async move {
                    let _ = up.sample(&redis).await;
                }
            })
    }
}
