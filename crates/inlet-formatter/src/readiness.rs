//! Formatter readiness: the broker (consuming and publishing) and
//! PostgreSQL are both required.

use inlet_bus::Publisher;
use inlet_core::ops::{CheckFuture, DependencyCheck, Readiness};
use inlet_store::Pool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct FormatterReadiness {
    pub publisher: Arc<Publisher>,
    pub consuming: Arc<AtomicBool>,
    pub pool: Pool,
}

impl Readiness for FormatterReadiness {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let broker = if self.publisher.is_connected() && self.consuming.load(Ordering::Relaxed)
            {
                Ok(())
            } else {
                Err("not connected".to_string())
            };
            let database = inlet_store::pool::ping(&self.pool)
                .await
                .map_err(|e| e.to_string());
            vec![
                DependencyCheck::new("broker", true, broker),
                DependencyCheck::new("database", true, database),
            ]
        })
    }
}
