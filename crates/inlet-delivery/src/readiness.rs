//! Delivery readiness: broker and PostgreSQL required; Redis down is
//! `degraded` (posts are still stored; the relay publishes them later).

use inlet_bus::QueueProbe;
use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness, SampleFuture};
use inlet_redis::RedisConnection;
use inlet_redis::RedisUp;
use inlet_store::Pool;
use inlet_store::pool::PoolGauges;
use prometheus::IntGauge;
use std::sync::Arc;

pub struct DeliveryReadiness {
    pub consuming: Arc<inlet_bus::Consuming>,
    pub pool: Pool,
    pub redis: RedisConnection,
    pub pool_gauges: PoolGauges,
    pub redis_up: RedisUp,
    pub queues: QueueProbe,
    pub dead_letters: IntGauge,
}

impl Readiness for DeliveryReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let broker = if self.consuming.all() {
                Ok(())
            } else {
                Err("not consuming".into())
            };
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            let mut redis = self.redis.clone();
            let redis = inlet_redis::ping(&mut redis).await;
            vec![
                DependencyCheck::new("broker", true, broker),
                DependencyCheck::new("database", true, database),
                DependencyCheck::optional("redis", redis),
            ]
        })
    }

    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(async move {
            self.pool_gauges.sample(&self.pool);
            let _ = self.redis_up.sample(&self.redis).await;
            self.queues.sample().await;
            if let Ok(client) = self.pool.get().await
                && let Ok(open) = inlet_store::repo::dead_letters::open_count(&**client).await
            {
                self.dead_letters.set(open);
            }
        })
    }
}
