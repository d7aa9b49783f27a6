//! Ingress metrics (docs/operations.md lists them all).

use inlet_core::telemetry::{
    LATENCY_BUCKETS, counter, counter_vec, gauge, histogram, histogram_vec,
};
use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, Registry};

#[derive(Clone)]
pub struct IngressMetrics {
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub bytes: HistogramVec,
    pub rejections: IntCounterVec,
    pub confirm: Histogram,
    pub publish_batch: Histogram,
    pub integration_events: IntCounterVec,
    pub rate_limiter_errors: IntCounter,
    pub spool_messages: IntGauge,
    pub spooled: IntCounter,
    pub body_bytes_held: IntGauge,
    pub body_budget_refusals: IntCounter,
    pub token_checks: IntCounterVec,
    pub last_used_flushes: IntCounterVec,
    pub delivery_log_entries: IntCounterVec,
}

const BYTE_BUCKETS: &[f64] = &[256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0];

impl IngressMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let confirm = histogram(
            registry,
            "inlet_ingress_publish_confirm_seconds",
            "Time from handing a raw webhook to its shard's publishing (its own request's task \
             when the shard is idle, else the shard's lane) to the broker's confirm (or the \
             spool's fsync), waiting for a free publish slot included.",
            LATENCY_BUCKETS,
        )?;
        let publish_batch = histogram(
            registry,
            "inlet_ingress_publish_batch_webhooks",
            "Raw webhooks per broker message (ingress.publish_in_flight).",
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0],
        )?;
        let rate_limiter_errors = counter(
            registry,
            "inlet_ingress_rate_limiter_errors_total",
            "Rate checks that could not reach Redis (answered per ingress.rate_limit_without_redis).",
        )?;
        let spool_messages = gauge(
            registry,
            "inlet_ingress_spool_messages",
            "Messages in the spool, answered 2xx and not yet confirmed by the broker.",
        )?;
        let spooled = counter(
            registry,
            "inlet_ingress_spooled_total",
            "Messages written to the spool because the broker could not confirm them.",
        )?;
        let body_bytes_held = gauge(
            registry,
            "inlet_ingress_body_bytes_held",
            "Bytes of request bodies held at once (ingress.body_budget_bytes bounds it).",
        )?;
        let body_budget_refusals = counter(
            registry,
            "inlet_ingress_body_budget_refusals_total",
            "Requests answered 503 because ingress.body_budget_bytes was spent.",
        )?;
        Ok(Self {
            requests: counter_vec(
                registry,
                "inlet_ingress_requests_total",
                "Webhook requests answered, by dialect and HTTP status.",
                &["dialect", "status"],
            )?,
            duration: histogram_vec(
                registry,
                "inlet_ingress_request_duration_seconds",
                "Time to answer a webhook request.",
                &["dialect"],
                LATENCY_BUCKETS,
            )?,
            bytes: histogram_vec(
                registry,
                "inlet_ingress_request_bytes",
                "Size of accepted request bodies.",
                &["dialect"],
                BYTE_BUCKETS,
            )?,
            rejections: counter_vec(
                registry,
                "inlet_ingress_rejections_total",
                "Webhook requests refused, by error code.",
                &["reason"],
            )?,
            confirm,
            publish_batch,
            integration_events: counter_vec(
                registry,
                "inlet_integration_events_total",
                "Integration requests by integration, event (a declared name, else other) and outcome \
                 (posted, filtered, unsupported, not_wanted, rejected).",
                &["integration", "event", "outcome"],
            )?,
            rate_limiter_errors,
            spool_messages,
            spooled,
            body_bytes_held,
            body_budget_refusals,
            token_checks: counter_vec(
                registry,
                "inlet_ingress_token_checks_total",
                "Webhook tokens checked, by outcome: screened (never issued here, answered without a \
                 lookup), looked_up (cache or PostgreSQL), limited (the source address is over \
                 ingress.unknown_tokens_per_minute).",
                &["outcome"],
            )?,
            last_used_flushes: counter_vec(
                registry,
                "inlet_ingress_last_used_flushes_total",
                "Writes of the webhooks' last_used_at (ingress.last_used_flush_ms), by outcome: ok, \
                 failed (retried at the next one).",
                &["outcome"],
            )?,
            delivery_log_entries: counter_vec(
                registry,
                "inlet_delivery_log_entries_total",
                "Requests recorded in the webhooks' delivery logs, by result: written, dropped (the \
                 queue was full or Redis refused them; the requests themselves were answered as usual).",
                &["result"],
            )?,
        })
    }
}
