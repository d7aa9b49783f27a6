//! inlet-delivery: stores formatted posts in PostgreSQL in batches (one
//! transaction, gap-free per-channel seq), publishes each on its channel's
//! Redis topic, advances the outbox watermark, then acknowledges. An outbox
//! relay re-publishes whatever Redis missed.

mod archiver;
mod convert;
pub mod event;
pub mod metrics;
mod readiness;
pub mod relay;
mod verdicts;
mod worker;

pub use worker::Worker;

use anyhow::Context;
use inlet_core::Settings;
use inlet_redis::RedisConnection;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct Delivery {
    pub ops_port: u16,
    worker: Worker,
    relay: relay::Relay,
    archiver: archiver::Archiver,
    ops: actix_web::dev::Server,
}

impl Delivery {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let registry = inlet_core::telemetry::new_registry("delivery");
        let metrics = metrics::DeliveryMetrics::register(&registry)
            .context("cannot register delivery's metrics")?;
        let pool = inlet_store::connect(&settings.database).context("database.url")?;
        let redis: RedisConnection = inlet_redis::manager(&settings.redis).context("redis.url")?;
        let consuming = Arc::new(inlet_bus::Consuming::default());
        let topology = inlet_bus::Topology::new(&settings.amqp);
        let readiness = readiness::DeliveryReadiness {
            consuming: consuming.clone(),
            pool: pool.clone(),
            database: inlet_store::pool::PoolCheck::register(&registry, &pool)
                .context("cannot register the gauges")?,
            redis: inlet_redis::RedisCheck::register(&registry, &redis)
                .context("cannot register the gauges")?,
            queues: queue_probe(&registry, &settings, &topology)?,
            dead_letters: inlet_core::telemetry::gauge(
                &registry,
                "inlet_dead_letters",
                "Dead letters neither replayed nor discarded, sampled at scrape time.",
            )
            .context("cannot register inlet_dead_letters")?,
        };
        let listen = settings.delivery.metrics_listen;
        let ops = inlet_core::ops::bind(listen, registry, Arc::new(readiness.checks()))
            .with_context(|| format!("cannot listen on delivery.metrics_listen {listen}"))?;
        let relay = relay::Relay {
            settings: settings.clone(),
            pool: pool.clone(),
            redis: redis.clone(),
            metrics: metrics.clone(),
        };
        let (settings_copy, pool_copy) = (settings.clone(), pool.clone());
        let archiver = archiver::Archiver::new(settings_copy, pool_copy, topology);
        let worker = Worker {
            settings,
            pool,
            redis,
            metrics,
            consuming,
        };
        Ok(Self {
            ops_port: ops.port,
            worker,
            relay,
            archiver,
            ops: ops.server,
        })
    }

    /// Consumes and relays until `cancel`; the batch in hand is finished
    /// (committed, published, acknowledged) before exit.
    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let ops_handle = self.ops.handle();
        // The relay and the archiver end with a token of their own, so that a
        // dropped run ends them too.
        let cancel = cancel.child_token();
        let _stop_on_drop =
            inlet_core::shutdown::StopOnDrop::new(vec![ops_handle.clone()], cancel.clone());
        let ops = tokio::spawn(self.ops);
        let relay_cancel = cancel.clone();
        let relay = self.relay;
        let relay_task = tokio::spawn(async move { relay.run(relay_cancel).await });
        let archiver_task = tokio::spawn(self.archiver.run(cancel.clone()));
        self.worker.run(cancel).await;
        let _ = relay_task.await;
        let _ = archiver_task.await;
        ops_handle.stop(false).await;
        let _ = ops.await;
        Ok(())
    }
}

/// The depths of the posts hop's queues and of the dead-letter queue,
/// sampled at scrape time.
fn queue_probe(
    registry: &prometheus::Registry,
    settings: &Settings,
    topology: &inlet_bus::Topology,
) -> anyhow::Result<inlet_bus::QueueProbe> {
    let hops = [inlet_bus::Hop::Posts];
    inlet_bus::QueueProbe::register(registry, &settings.amqp.url, topology, &hops, true)
        .context("cannot register the queue gauges")
}

inlet_core::service!(Delivery, "inlet-delivery");
