//! Ingress readiness: the broker is required (or, with a spool, a
//! writable spool); PostgreSQL down is
//! `degraded` (cached tokens still work; uncached ones get 503), and so is
//! Redis (idempotency checks are skipped; delivery still deduplicates).

use inlet_bus::Publisher;
use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness, SampleFuture};
use inlet_redis::RedisConnection;
use inlet_redis::RedisUp;
use inlet_store::Pool;
use inlet_store::pool::PoolGauges;
use std::sync::Arc;

pub struct IngressReadiness {
    /// With a spool, a writable spool stands in for the broker.
    pub spool: Option<Arc<crate::spool::Spool>>,
    pub publisher: Arc<Publisher>,
    pub pool: Pool,
    pub redis: RedisConnection,
    pub pool_gauges: PoolGauges,
    pub redis_up: RedisUp,
}

impl Readiness for IngressReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let broker = if self.publisher.is_connected() {
                Ok(())
            } else {
                Err("not connected".to_string())
            };
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            let mut redis = self.redis.clone();
            let redis = inlet_redis::ping(&mut redis).await;
            let mut checks = vec![
                DependencyCheck::new("broker", self.spool.is_none(), broker),
                DependencyCheck::optional("database", database),
                DependencyCheck::optional("redis", redis),
            ];
            if let Some(spool) = &self.spool {
                let writable = if spool.writable() {
                    Ok(())
                } else {
                    Err("not writable".to_string())
                };
                checks.push(DependencyCheck::new("spool", true, writable));
            }
            checks
        })
    }

    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(async move {
            self.pool_gauges.sample(&self.pool);
            let _ = self.redis_up.sample(&self.redis).await;
        })
    }
}
