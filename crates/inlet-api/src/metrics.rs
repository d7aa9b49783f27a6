//! API metrics (docs/operations.md lists them all).

use prometheus::{IntCounter, IntCounterVec, IntGauge, Registry};

/// What a refused stream ran into: the `limit` label of
/// `inlet_api_streams_refused_total`.
pub const PER_TOKEN: &str = "per_token";
pub const TOTAL: &str = "total";

#[derive(Clone)]
pub struct ApiMetrics {
    pub streams_open: IntGauge,
    pub streams_refused: IntCounterVec,
    pub stream_catch_ups: IntCounter,
}

impl ApiMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let streams_open = inlet_core::telemetry::gauge(
            registry,
            "inlet_api_streams_open",
            "Live event streams open in this process.",
        )?;
        let streams_refused = inlet_core::telemetry::counter_vec(
            registry,
            "inlet_api_streams_refused_total",
            "Live event streams refused with 429, by the limit they ran into \
             (api.max_streams_per_token, api.max_streams_total).",
            &["limit"],
        )?;
        // Both series exist from the start, so an alert on either sees 0
        // before the first refusal.
        for limit in [PER_TOKEN, TOTAL] {
            streams_refused.with_label_values(&[limit]);
        }
        let stream_catch_ups = inlet_core::telemetry::counter(
            registry,
            "inlet_api_stream_catch_ups_total",
            "Times a live event stream fell more than api.stream_buffer_events behind its \
             channel's shared feed and caught up from PostgreSQL.",
        )?;
        Ok(Self {
            streams_open,
            streams_refused,
            stream_catch_ups,
        })
    }
}
