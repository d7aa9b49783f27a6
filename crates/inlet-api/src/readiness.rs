//! API readiness: PostgreSQL is required; Redis down is `degraded` (live
//! streams pause, reading works).

use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness, SampleFuture};
use inlet_core::redis_link::RedisConnection;
use inlet_store::Pool;
use inlet_store::pool::ServiceGauges;

pub struct ApiReadiness {
    pub pool: Pool,
    pub redis: RedisConnection,
    pub gauges: ServiceGauges,
}

impl Readiness for ApiReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            let mut redis = self.redis.clone();
            let redis = inlet_core::redis_link::ping(&mut redis).await;
            vec![
                DependencyCheck::new("database", true, database),
                DependencyCheck::optional("redis", redis),
            ]
        })
    }

    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(self.gauges.sample(&self.pool, &self.redis))
    }
}
