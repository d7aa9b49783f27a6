//! API readiness: PostgreSQL is required; Redis down is `degraded` (live
//! streams pause, reading works).

use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness, SampleFuture};
use inlet_redis::RedisConnection;
use inlet_redis::RedisUp;
use inlet_store::Pool;
use inlet_store::pool::PoolGauges;

pub struct ApiReadiness {
    pub pool: Pool,
    pub redis: RedisConnection,
    pub pool_gauges: PoolGauges,
    pub redis_up: RedisUp,
}

impl Readiness for ApiReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            let mut redis = self.redis.clone();
            let redis = inlet_redis::ping(&mut redis).await;
            vec![
                DependencyCheck::new("database", true, database),
                DependencyCheck::optional("redis", redis),
            ]
        })
    }

    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(async move {
            self.pool_gauges.sample(&self.pool);
            let _ = self.redis_up.sample(&self.redis).await;
        })
    }
}
