//! Formatter readiness: the broker (consuming and publishing) and
//! PostgreSQL are both required; Redis down is `degraded` (control
//! messages pause; the directory's TTL still bounds staleness).

use inlet_bus::{Publisher, QueueProbe};
use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness, SampleFuture};
use inlet_redis::RedisConnection;
use inlet_redis::RedisUp;
use inlet_store::Pool;
use inlet_store::pool::PoolGauges;
use std::sync::Arc;

pub struct FormatterReadiness {
    pub publisher: Arc<Publisher>,
    pub consuming: Arc<inlet_bus::Consuming>,
    pub pool: Pool,
    pub redis: RedisConnection,
    pub pool_gauges: PoolGauges,
    pub redis_up: RedisUp,
    pub queues: QueueProbe,
}

impl Readiness for FormatterReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let connected = self.publisher.is_connected() && self.consuming.all();
            let broker = if connected {
                Ok(())
            } else {
                Err("not connected".to_string())
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
        })
    }
}
