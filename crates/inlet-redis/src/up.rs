//! Redis in every service's readiness: `PING`, and `inlet_redis_up`
//! sampled at scrape time.

use crate::link::{RedisConnection, ping};
use inlet_core::telemetry::gauge;
use prometheus::{IntGauge, Registry};

/// Redis in a service's readiness: `PING`, and `inlet_redis_up` (1 when
/// Redis answered the last scrape's PING).
#[derive(Clone)]
pub struct RedisCheck {
    redis: RedisConnection,
    up: IntGauge,
}

impl RedisCheck {
    pub fn register(registry: &Registry, redis: &RedisConnection) -> prometheus::Result<Self> {
        let up = gauge(
            registry,
            "inlet_redis_up",
            "1 when Redis answered a PING at the last scrape, else 0.",
        )?;
        Ok(Self {
            redis: redis.clone(),
            up,
        })
    }

    /// Pings Redis, records the outcome and returns it.
    pub async fn sample(&self) -> redis::RedisResult<()> {
        let mut redis = self.redis.clone();
        let result = ping(&mut redis).await;
        self.up.set(i64::from(result.is_ok()));
        result
    }

    /// Adds what every service's readiness has of Redis: `PING`, always
    /// optional (down is `degraded`), and the sampling of `inlet_redis_up`.
    pub fn checks(self, checks: inlet_core::ops::Checks) -> inlet_core::ops::Checks {
        let pinged = self.redis.clone();
        checks
            .optional("redis", move || {
                let mut redis = pinged.clone();
                async move { ping(&mut redis).await }
            })
            .sampling(move || {
                let check = self.clone();
                async move {
                    let _ = check.sample().await;
                }
            })
    }
}
