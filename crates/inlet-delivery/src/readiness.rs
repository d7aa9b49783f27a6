//! Delivery readiness: broker and PostgreSQL required; Redis down is
//! `degraded` (posts are still stored; the relay publishes them later).

use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness};
use inlet_core::redis_link::RedisConnection;
use inlet_store::Pool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct DeliveryReadiness {
    pub consuming: Arc<AtomicBool>,
    pub pool: Pool,
    pub redis: RedisConnection,
}

impl Readiness for DeliveryReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let broker = if self.consuming.load(Ordering::Relaxed) {
                Ok(())
            } else {
                Err("not consuming".into())
            };
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            let mut redis = self.redis.clone();
            let redis_check =
                DependencyCheck::optional("redis", inlet_core::redis_link::ping(&mut redis).await);
            vec![
                DependencyCheck::new("broker", true, broker),
                DependencyCheck::new("database", true, database),
                redis_check,
            ]
        })
    }
}
