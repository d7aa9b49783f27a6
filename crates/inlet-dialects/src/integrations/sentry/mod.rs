//! Sentry (`/api/v1/external/sentry`, an integration-platform webhook):
//! the `Sentry-Hook-Resource` header says what happened (`issue`,
//! `event_alert`, `error`, `metric_alert`, `installation`), refined by `action`
//! for issues; `Sentry-Hook-Signature` (HMAC-SHA256 hex of the body) is
//! verified when the webhook has a secret; `Request-ID` is the
//! idempotency key. Wording follows Zulip's Sentry integration.

mod format;
mod payload;

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
use serde_json::Value;

pub struct Sentry;

/// Zulip passes no names for Sentry; these are ours.
const EVENTS: &[&str] = &[
    "installation",
    "issue_created",
    "issue_resolved",
    "issue_assigned",
    "issue_ignored",
    "event_alert",
    "error",
    "metric_alert",
    "webhooks_plugin",
];

static VENDOR: Vendor = Vendor::new("sentry", "Sentry", EVENTS)
    .headers("Sentry-Hook-Resource", "Request-ID")
    .hmac("Sentry-Hook-Signature", "")
    .form_bodies_as_json();

impl Integration for Sentry {
    vendor_methods!(VENDOR, format: format::format);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let data = payload.get("data").filter(|d| d.is_object());
        let Some(data) = data else {
            // The legacy webhooks plugin sends neither the header nor
            // `data`: a flat payload naming its project.
            if payload.get("project_name").is_some_and(Value::is_string) {
                return Ok(match payload.get("event") {
                    Some(event) if from_raven(event) => "raven_sdk".to_string(),
                    _ => "webhooks_plugin".to_string(),
                });
            }
            return Err(VENDOR.anomalous());
        };
        // Every integration-platform payload has an `action`.
        let Some(action) = payload.get("action").and_then(Value::as_str) else {
            return Err(VENDOR.anomalous());
        };
        // Without the header (older senders), the kind is read from what
        // `data` holds, as Zulip does.
        let resource = match VENDOR.event(headers) {
            Some(resource) => resource,
            None => resource_of(data).ok_or_else(|| VENDOR.anomalous())?,
        };
        if resource == "event_alert" && data.get("event").is_some_and(from_raven) {
            return Ok("raven_sdk".to_string());
        }
        Ok(match (resource, action) {
            // Sentry renamed "ignored" to "archived".
            ("issue", "ignored" | "archived") => "issue_ignored".to_string(),
            ("issue", action) => format!("issue_{action}"),
            ("installation", "created") => "installation".to_string(),
            ("installation", action) => format!("installation_{action}"),
            (resource, _) => resource.to_string(),
        })
    }
}

/// Whether an event comes from Raven, the Python SDK Sentry retired
/// (`version` below 7), whose events Zulip declines as unsupported.
/// Sentry's own sample event still carries that version and is shown.
fn from_raven(event: &Value) -> bool {
    let version = match event.get("version") {
        Some(Value::String(v)) => v.parse::<u32>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    };
    let sample = event.get("title").and_then(Value::as_str)
        == Some("This is an example Python exception")
        || event
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|tags| {
                tags.iter()
                    .any(|t| t == &serde_json::json!(["sample_event", "yes"]))
            });
    event.get("platform").and_then(Value::as_str) == Some("python")
        && version.is_some_and(|v| v < 7)
        && !sample
}

/// The resource a payload's `data` carries.
fn resource_of(data: &Value) -> Option<&'static str> {
    ["event", "issue", "error", "metric_alert", "installation"]
        .into_iter()
        .find(|key| data.get(key).is_some())
        .map(|key| if key == "event" { "event_alert" } else { key })
}
