//! inlet-formatter: consumes raw webhooks shard by shard, translates each
//! with its dialect, resolves its channel again, and publishes the formatted
//! posts to delivery on the same shard. A raw message is acknowledged only
//! after its formatted posts are confirmed by the broker, or after it has been
//! dead-lettered with its reason.

pub mod format;
pub mod metrics;
mod placement;
mod readiness;
mod worker;

pub use worker::Worker;

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
        let metrics = metrics::FormatterMetrics::register(&registry)?;
        let pool = inlet_store::connect(&settings.database)?;
        // Tokens are not its business; the directory is invalidated by control
        // messages, with a short TTL as the backstop of its authoritative check.
        let directory = Arc::new(Directory::new(
            pool.clone(),
            Duration::from_secs(1),
            Duration::from_secs(5),
        ));
        let background = CancellationToken::new();
        let publisher = Publisher::start(
            &settings.amqp,
            "inlet-formatter-publish",
            background.clone(),
        );
        // Directory changes announced by inlet-api drop what we cached.
        inlet_directory::invalidation::spawn_listener(
            settings.redis.clone(),
            directory.clone(),
            background.clone(),
        );
        let consuming = Arc::new(inlet_bus::Consuming::default());
        let redis = inlet_redis::manager(&settings.redis)?;
        let topology = inlet_bus::Topology::new(&settings.amqp);
        let readiness = Arc::new(readiness::FormatterReadiness {
            publisher: publisher.clone(),
            consuming: consuming.clone(),
            pool,
            redis: redis.clone(),
            pool_gauges: inlet_store::pool::PoolGauges::register(&registry)?,
            redis_up: inlet_redis::RedisUp::register(&registry)?,
            queues: inlet_bus::QueueProbe::register(
                &registry,
                &settings.amqp.url,
                &topology,
                &[inlet_bus::Hop::Raw],
                false,
            )?,
        });
        let ops = inlet_core::ops::bind(settings.formatter.metrics_listen, registry, readiness)?;
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
        let ops = tokio::spawn(self.ops);
        self.worker.run(cancel).await;
        self.background.cancel();
        ops_handle.stop(false).await;
        let _ = ops.await;
        Ok(())
    }
}

impl inlet_core::service::Service for Formatter {
    const NAME: &'static str = "inlet-formatter";

    async fn build(settings: Settings) -> anyhow::Result<Self> {
        Formatter::build(settings).await
    }

    fn listening(&self) -> inlet_core::service::Listening {
        inlet_core::service::Listening {
            port: None,
            ops_port: self.ops_port,
        }
    }

    async fn run_until_stopped(self, stop: CancellationToken) -> anyhow::Result<()> {
        Formatter::run_until_stopped(self, stop).await
    }
}
