//! Ingress readiness: the broker is required (or, with a spool, a
//! writable spool); PostgreSQL down is
//! `degraded` (cached tokens still work; uncached ones get 503), and so is
//! Redis (idempotency checks are skipped; delivery still deduplicates).

use inlet_bus::Publisher;
use inlet_core::ops::{Checks, flag};
use inlet_redis::RedisCheck;
use inlet_store::pool::PoolCheck;
use std::sync::Arc;

pub struct IngressReadiness {
    /// With a spool, a writable spool stands in for the broker.
    pub spool: Option<Arc<crate::spool::Spool>>,
    pub publisher: Arc<Publisher>,
    pub database: PoolCheck,
    pub redis: RedisCheck,
}

impl IngressReadiness {
    pub fn checks(self) -> Checks {
        let publisher = self.publisher;
        let checks = Checks::new().required_if("broker", self.spool.is_none(), move || {
            flag(publisher.is_connected(), "not connected")
        });
        let checks = match self.spool {
            Some(spool) => checks.required("spool", move || flag(spool.writable(), "not writable")),
            None => checks,
        };
        self.redis.checks(self.database.checks(checks, false))
    }
}
