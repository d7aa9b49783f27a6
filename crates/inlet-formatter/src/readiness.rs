//! Formatter readiness: the broker (consuming and publishing) and
//! PostgreSQL are both required; Redis down is `degraded` (control
//! messages pause; the directory's TTL still bounds staleness).

use inlet_bus::{Consuming, Publisher, QueueProbe};
use inlet_core::ops::{Checks, flag};
use inlet_redis::RedisCheck;
use inlet_store::pool::PoolCheck;
use std::sync::Arc;

pub struct FormatterReadiness {
    pub publisher: Arc<Publisher>,
    pub consuming: Arc<Consuming>,
    pub database: PoolCheck,
    pub redis: RedisCheck,
    pub queues: QueueProbe,
}

impl FormatterReadiness {
    pub fn checks(self) -> Checks {
        let (publisher, consuming) = (self.publisher, self.consuming);
        let broker = Checks::new().required("broker", move || {
            flag(publisher.is_connected() && consuming.all(), "not connected")
        });
        let queues = Arc::new(self.queues);
        self.redis
            .checks(self.database.checks(broker, true))
            .sampling(move || {
                let queues = queues.clone();
                async move { queues.sample().await }
            })
    }
}
