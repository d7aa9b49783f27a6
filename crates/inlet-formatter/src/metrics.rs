//! Formatter metrics (docs/operations.md lists them all).

use inlet_core::telemetry::{LATENCY_BUCKETS, counter_vec, histogram_vec};
use prometheus::{HistogramVec, IntCounterVec, Registry};

#[derive(Clone)]
pub struct FormatterMetrics {
    pub messages: IntCounterVec,
    pub duration: HistogramVec,
    pub dead_letters: IntCounterVec,
}

/// The formatter's own reasons (the others are the dialects' codes).
const KNOWN_REASONS: [&str; 6] = [
    "undecodable",
    "webhook_not_found",
    "translator_panic",
    "unknown_dialect",
    "database_error",
    "nothing_to_post",
];

/// The `reason` label of a formatter dead letter. Reasons are the
/// formatter's own names and the dialects' error codes, a bounded set;
/// anything that does not look like one counts as `other`.
pub fn reason_label(reason: &str) -> &str {
    let plain = reason.len() <= 40
        && !reason.is_empty()
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain { reason } else { "other" }
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
            dead_letters: inlet_core::telemetry::dead_letters_counter(
                registry,
                "formatter",
                &KNOWN_REASONS,
            )?,
        })
    }
}
