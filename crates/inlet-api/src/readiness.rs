//! API readiness: PostgreSQL is required; Redis down is `degraded` (live
//! streams pause, reading works).

use inlet_core::ops::Checks;
use inlet_redis::RedisCheck;
use inlet_store::pool::PoolCheck;

pub struct ApiReadiness {
    pub database: PoolCheck,
    pub redis: RedisCheck,
}

impl ApiReadiness {
    pub fn checks(self) -> Checks {
        self.redis.checks(self.database.checks(Checks::new(), true))
    }
}
