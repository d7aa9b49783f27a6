//! Ingress readiness: the broker is required; PostgreSQL down is
//! `degraded` (cached tokens still work; uncached ones get 503).

use inlet_bus::Publisher;
use inlet_core::ops::{CheckFuture, DependencyCheck, DependencyState, Readiness};
use inlet_store::Pool;
use std::sync::Arc;

pub struct IngressReadiness {
    pub publisher: Arc<Publisher>,
    pub pool: Pool,
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
            let mut db_check = DependencyCheck::new("database", false, database);
            if db_check.state == DependencyState::Down {
                db_check.state = DependencyState::Degraded;
            }
            vec![DependencyCheck::new("broker", true, broker), db_check]
        })
    }
}
