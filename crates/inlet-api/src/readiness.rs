//! API readiness: PostgreSQL is required; Redis down is `degraded` (live
//! streams pause, reading works).

use inlet_core::ops::Checks;
use inlet_redis::{RedisConnection, RedisUp};
use inlet_store::Pool;
use inlet_store::pool::PoolGauges;

pub struct ApiReadiness {
    pub pool: Pool,
    pub redis: RedisConnection,
    pub pool_gauges: PoolGauges,
    pub redis_up: RedisUp,
}

impl ApiReadiness {
    pub fn checks(self) -> Checks {
        self.redis_up.checks(
            self.pool_gauges.checks(Checks::new(), &self.pool, true),
            &self.redis,
        )
    }
}
