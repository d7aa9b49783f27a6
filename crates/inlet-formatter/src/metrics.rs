//! Formatter metrics (docs/operations.md lists them all).

use inlet_core::telemetry::{LATENCY_BUCKETS, counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec, Registry};

#[derive(Clone)]
pub struct FormatterMetrics {
    pub messages: IntCounterVec,
    pub duration: HistogramVec,
}

impl FormatterMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        Ok(Self {
            messages: counter_vec(
                registry,
                "inlet_formatter_messages_total",
                "Raw webhooks handled, by dialect and outcome (posted, dead_lettered, retried).",
                &["dialect", "outcome"],
            )?,
            duration: histogram_vec(
                registry,
                "inlet_formatter_duration_seconds",
                "Time to translate and resolve one raw webhook.",
                &["dialect"],
                LATENCY_BUCKETS,
            )?,
        })
    }
}
