//! inlet-formatter: consumes raw webhooks shard by shard, translates each
//! with its dialect, resolves its channel again, and publishes the formatted
//! posts to delivery on the same shard. A raw message is acknowledged only
//! after its formatted posts are confirmed by the broker, or after it has been
//! dead-lettered with its reason.

pub mod format;
pub mod metrics;
mod placement;
mod raw_webhooks;
mod readiness;
mod worker;

pub use worker::Worker;

use anyhow::Context;
use inlet_bus::Publisher;
use inlet_core::Settings;
use inlet_directory::Directory;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub struct Formatter {
    pub ops_port: u16,
    worker: Worker,
    ops: actix_web::dev::Server,
    background: CancellationToken,
}

impl Formatter {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let registry = inlet_core::telemetry::new_registry("formatter");
        let metrics = metrics::FormatterMetrics::register(&registry)
            .context("cannot register the formatter's metrics")?;
        let pool = inlet_store::connect(&settings.database).context("database.url")?;
        let background = CancellationToken::new();
        let directory = directory(&settings, &pool, &background);
        let publisher = Publisher::start(
            &settings.amqp,
            "inlet-formatter-publish",
            background.clone(),
        );
        let consuming = Arc::new(inlet_bus::Consuming::default());
        let redis = inlet_redis::manager(&settings.redis).context("redis.url")?;
        let readiness = readiness::FormatterReadiness {
            publisher: publisher.clone(),
            consuming: consuming.clone(),
            database: inlet_store::pool::PoolCheck::register(&registry, &pool)
                .context("cannot register the gauges")?,
            redis: inlet_redis::RedisCheck::register(&registry, &redis)
                .context("cannot register the gauges")?,
            queues: queue_probe(&registry, &settings)?,
        };
        let listen = settings.formatter.metrics_listen;
        let ops = inlet_core::ops::bind(listen, registry, Arc::new(readiness.checks()))
            .with_context(|| format!("cannot listen on formatter.metrics_listen {listen}"))?;
        let worker = Worker {
            settings,
            directory,
            publisher,
            metrics,
            consuming,
            redis,
        };
        Ok(Self {
            ops_port: ops.port,
            worker,
            ops: ops.server,
            background,
        })
    }

    /// Consumes until `cancel`; then stops taking deliveries, finishes the
    /// batch in hand, and closes its connections (what is not acknowledged
    /// goes back to its queue).
    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let ops_handle = self.ops.handle();
        let _stop_on_drop = inlet_core::shutdown::StopOnDrop::new(
            vec![ops_handle.clone()],
            self.background.clone(),
        );
        let ops = tokio::spawn(self.ops);
        self.worker.run(cancel).await;
        self.background.cancel();
        ops_handle.stop(false).await;
        let _ = ops.await;
        Ok(())
    }
}

/// The directory the formatter reads webhooks, teams and claims through.
/// Tokens are not its business; it is invalidated by control messages
/// (directory changes announced by inlet-api), with a short TTL as the
/// backstop of its authoritative check.
fn directory(
    settings: &Settings,
    pool: &inlet_store::Pool,
    background: &CancellationToken,
) -> Arc<Directory> {
    let ttl = (Duration::from_secs(1), Duration::from_secs(5));
    let directory = Arc::new(Directory::new(pool.clone(), ttl.0, ttl.1));
    let redis = settings.redis.clone();
    inlet_directory::invalidation::spawn_listener(redis, directory.clone(), background.clone());
    directory
}

/// The depths of the raw hop's queues, sampled at scrape time.
fn queue_probe(
    registry: &prometheus::Registry,
    settings: &Settings,
) -> anyhow::Result<inlet_bus::QueueProbe> {
    let topology = inlet_bus::Topology::new(&settings.amqp);
    let hops = [inlet_bus::Hop::Raw];
    inlet_bus::QueueProbe::register(registry, &settings.amqp.url, &topology, &hops, false)
        .context("cannot register the queue gauges")
}

inlet_core::service!(Formatter, "inlet-formatter");
