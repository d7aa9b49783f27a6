//! API readiness: PostgreSQL is required; Redis down is `degraded` (live
//! streams pause, reading works).

use inlet_core::ops::Checks;
use inlet_core::redis_link::RedisConnection;
use inlet_store::Pool;
use inlet_store::pool::ServiceGauges;

pub struct ApiReadiness {
    pub pool: Pool,
    pub redis: RedisConnection,
    pub gauges: ServiceGauges,
}

impl ApiReadiness {
    pub fn checks(self) -> Checks {
        self.gauges
            .checks(Checks::new(), &self.pool, &self.redis, true)
    }
}
