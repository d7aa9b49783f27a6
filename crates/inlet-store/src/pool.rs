//! The connection pool, with timeouts so a pool never waits forever.

use crate::error::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, QueueMode, RecyclingMethod, Runtime, Timeouts};
use inlet_core::settings::DatabaseSettings;
use std::str::FromStr;
use std::time::Duration;

pub use deadpool_postgres::{Object as Client, Pool, PoolError};

/// Builds a pool for `settings.url`. No connection is opened until used.
pub fn connect(settings: &DatabaseSettings) -> Result<Pool, StoreError> {
    let mut config = tokio_postgres::Config::from_str(&settings.url)
        .map_err(|e| StoreError::Invalid(format!("database.url: {e}")))?;
    config.connect_timeout(Duration::from_millis(settings.connect_timeout_ms));
    if config.get_application_name().is_none() {
        config.application_name("inlet");
    }
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        // Fast recycling: a connection broken by a server restart fails its
        // next query, which callers treat as a transient outage and retry.
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let timeouts = Timeouts {
        wait: Some(Duration::from_millis(settings.wait_timeout_ms)),
        create: Some(Duration::from_millis(settings.connect_timeout_ms)),
        recycle: Some(Duration::from_millis(settings.connect_timeout_ms)),
    };
    Pool::builder(manager)
        .max_size(settings.pool_size)
        .timeouts(timeouts)
        // The most recently used connection first: a steady load keeps
        // reusing the few connections it needs (their prepared statements
        // and buffers warm), and the others stay small. First-in-first-out
        // cycles through all of them, so every connection's buffers grow
        // to the largest batch it was ever handed.
        .queue_mode(QueueMode::Lifo)
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Other(format!("cannot build the pool: {e}").into()))
}

/// Checks that the database answers (readiness).
pub async fn ping(pool: &Pool) -> Result<(), StoreError> {
    let client = pool.get().await?;
    client.simple_query("SELECT 1").await?;
    Ok(())
}

/// PostgreSQL in a service's readiness: `SELECT 1` on the pool, and
/// `inlet_db_pool_connections{state}` (the pool's `size`, `available` and
/// `waiting`), sampled at scrape time.
#[derive(Clone)]
pub struct PoolCheck {
    pool: Pool,
    gauges: prometheus::IntGaugeVec,
}

impl PoolCheck {
    pub fn register(registry: &prometheus::Registry, pool: &Pool) -> prometheus::Result<Self> {
        let gauges = inlet_core::telemetry::gauge_vec(
            registry,
            "inlet_db_pool_connections",
            "PostgreSQL pool connections by state: size (open), available (idle), waiting (callers queued).",
            &["state"],
        )?;
        Ok(Self {
            pool: pool.clone(),
            gauges,
        })
    }

    pub fn sample(&self) {
        let status = self.pool.status();
        self.gauges
            .with_label_values(&["size"])
            .set(status.size as i64);
        self.gauges
            .with_label_values(&["available"])
            .set(status.available as i64);
        self.gauges
            .with_label_values(&["waiting"])
            .set(status.waiting as i64);
    }

    /// Adds what every service's readiness has of PostgreSQL: `SELECT 1`
    /// (required, or `degraded` when down if not), and the sampling of the
    /// pool's gauges.
    pub fn checks(
        self,
        checks: inlet_core::ops::Checks,
        database_required: bool,
    ) -> inlet_core::ops::Checks {
        let database = self.pool.clone();
        let ping_database = move || {
            let pool = database.clone();
            async move { ping(&pool).await }
        };
        let checks = if database_required {
            checks.required("database", ping_database)
        } else {
            checks.optional("database", ping_database)
        };
        checks.sampling(move || {
            let check = self.clone();
            async move { check.sample() }
        })
    }
}
