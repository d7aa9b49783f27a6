//! PagerDuty (`/api/v1/external/pagerduty`): V3 webhook subscriptions
//! (`{"event": {"event_type": "incident.triggered", …}}`) and the legacy
//! V1 and V2 webhooks (`{"messages": [{"type" | "event": …}]}`). Every
//! event of an incident goes to the thread of the incident's id, so its
//! trigger, acknowledgement, notes and resolution read as one story.
//! `X-PagerDuty-Signature` (`v1=<hex>`, several during a secret rotation)
//! is verified when the webhook has a secret. Wording follows Zulip's.

mod format;
mod payload;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::configured_message;
use super::vendor::{Vendor, event_names, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use format::{ABOUT_INCIDENT, legacy_message, v3};
use payload::Legacy;
use serde_json::Value;

pub struct PagerDuty;

/// V1/V2 event names (`incident.trigger`…), then V3's (`incident.triggered`…)
/// but those [`ABOUT_INCIDENT`] names.
const INCIDENT_EVENTS: &[&str] = &[
    "incident.trigger",
    "incident.acknowledge",
    "incident.unacknowledge",
    "incident.resolve",
    "incident.assign",
    "incident.escalate",
    "incident.delegate",
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.resolved",
    "incident.reassigned",
    "incident.escalated",
    "incident.delegated",
    "incident.reopened",
    "incident.annotated",
    "incident.priority_updated",
    "incident.service_updated",
];

/// Every event name: V1/V2's, then V3's, then the webhook's test.
const EVENTS: &[&str] = event_names!(INCIDENT_EVENTS, ABOUT_INCIDENT, &["pagey.ping"]);

static VENDOR: Vendor =
    Vendor::new("pagerduty", "PagerDuty", EVENTS).hmac_any("X-PagerDuty-Signature", "v1=");

impl Integration for PagerDuty {
    vendor_methods!(VENDOR);

    /// V3's `event.event_type`; else the first legacy message's `type`
    /// (V1) or `event` (V2). Anything else is not PagerDuty's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let v3 = payload.pointer("/event/event_type").and_then(Value::as_str);
        let legacy = || {
            let first = payload.get("messages")?.as_array()?.first()?;
            first
                .get("type")
                .or_else(|| first.get("event"))
                .and_then(Value::as_str)
        };
        v3.or_else(legacy)
            .map(str::to_string)
            .ok_or_else(|| VENDOR.anomalous())
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        if event == "pagey.ping" {
            let body = configured_message("PagerDuty", None);
            return Ok(Formatted::one("PagerDuty", "PagerDuty", body));
        }
        if payload.get("event").is_some() {
            // `event.data` is read by what `event_type` says it holds,
            // borrowed from the payload rather than copied.
            let data = payload
                .pointer("/event/data")
                .ok_or_else(|| IntegrationError::invalid("field `event.data` is required"))?;
            return v3(&parse(payload)?, data);
        }
        let legacy: Legacy = parse(payload)?;
        let mut messages = Vec::new();
        for message in &legacy.messages {
            if let Some(m) = legacy_message(message)? {
                messages.push(m);
            }
        }
        if messages.is_empty() {
            return Ok(Formatted::Ignore(IgnoreReason::Unsupported));
        }
        Ok(Formatted::Messages(messages))
    }
}
