//! Delivery readiness: broker and PostgreSQL required; Redis down is
//! `degraded` (posts are still stored; the relay publishes them later).

use inlet_bus::{Consuming, QueueProbe};
use inlet_core::ops::{Checks, flag};
use inlet_redis::RedisCheck;
use inlet_store::Pool;
use inlet_store::pool::PoolCheck;
use prometheus::IntGauge;
use std::sync::Arc;

pub struct DeliveryReadiness {
    pub consuming: Arc<Consuming>,
    pub pool: Pool,
    pub database: PoolCheck,
    pub redis: RedisCheck,
    pub queues: QueueProbe,
    /// `inlet_dead_letters`: open dead letters.
    pub dead_letters: IntGauge,
}

impl DeliveryReadiness {
    pub fn checks(self) -> Checks {
        let consuming = self.consuming;
        let broker =
            Checks::new().required("broker", move || flag(consuming.all(), "not consuming"));
        let queues = Arc::new(self.queues);
        let (pool, gauge) = (self.pool.clone(), self.dead_letters);
        self.redis
            .checks(self.database.checks(broker, true))
            .sampling(move || {
                let (queues, pool, gauge) = (queues.clone(), pool.clone(), gauge.clone());
                async move {
                    queues.sample().await;
                    sample_dead_letters(&pool, &gauge).await;
                }
            })
    }
}

async fn sample_dead_letters(pool: &Pool, gauge: &IntGauge) {
    if let Ok(client) = pool.get().await
        && let Ok(open) = inlet_store::repo::dead_letters::open_count(&**client).await
    {
        gauge.set(open);
    }
}
