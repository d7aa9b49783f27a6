//! Delivery metrics (docs/operations.md lists them all).

use inlet_core::telemetry::{LATENCY_BUCKETS, counter_vec, gauge, histogram_vec};
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Registry};

#[derive(Clone)]
pub struct DeliveryMetrics {
    pub posts: IntCounterVec,
    pub batch_size: Histogram,
    pub commit: Histogram,
    pub redis_publish: IntCounterVec,
    pub outbox_pending: IntGauge,
    pub end_to_end: HistogramVec,
    pub dead_letters: IntCounterVec,
}

/// The reasons delivery dead-letters for; anything else counts as `other`.
const REASONS: [&str; 3] = ["undecodable", "rejected_by_database", "database_error"];

/// The `reason` label of a delivery dead letter (a bounded set).
pub fn reason_label(reason: &str) -> &'static str {
    REASONS
        .into_iter()
        .find(|r| *r == reason)
        .unwrap_or("other")
}

const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

impl DeliveryMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let batch_size = Histogram::with_opts(
            HistogramOpts::new(
                "inlet_delivery_batch_size",
                "Posts committed per transaction.",
            )
            .buckets(BATCH_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(batch_size.clone()))?;
        let commit = Histogram::with_opts(
            HistogramOpts::new(
                "inlet_delivery_db_commit_seconds",
                "Time to store one batch (one transaction).",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(commit.clone()))?;
        Ok(Self {
            posts: counter_vec(
                registry,
                "inlet_delivery_posts_total",
                "Posts handled by delivery, by outcome (stored, duplicate, dead_lettered).",
                &["outcome"],
            )?,
            batch_size,
            commit,
            redis_publish: counter_vec(
                registry,
                "inlet_delivery_redis_publish_total",
                "Posts published on Redis, by outcome (ok, failed, relayed).",
                &["outcome"],
            )?,
            outbox_pending: gauge(
                registry,
                "inlet_delivery_outbox_pending",
                "Posts stored but not yet published on Redis.",
            )?,
            end_to_end: histogram_vec(
                registry,
                "inlet_end_to_end_seconds",
                "From ingress receiving a webhook to its post published on Redis.",
                &["dialect"],
                LATENCY_BUCKETS,
            )?,
            dead_letters: inlet_core::telemetry::dead_letters_counter(
                registry, "delivery", &REASONS,
            )?,
        })
    }
}
