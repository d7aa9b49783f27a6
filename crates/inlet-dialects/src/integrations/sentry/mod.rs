//! Sentry (`/api/v1/external/sentry`, an integration-platform webhook):
//! the `Sentry-Hook-Resource` header says what happened (`issue`,
//! `event_alert`, `metric_alert`, `installation`), refined by `action`
//! for issues; `Sentry-Hook-Signature` (HMAC-SHA256 hex of the body) is
//! verified when the webhook has a secret; `Request-ID` is the
//! idempotency key. Wording follows Zulip's Sentry integration.

mod format;
mod payload;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::signature::verify_hmac_sha256;
use super::{Formatted, Integration};
use serde_json::Value;

pub struct Sentry;

const EVENT_HEADER: &str = "Sentry-Hook-Resource";
const SIGNATURE_HEADER: &str = "Sentry-Hook-Signature";

/// Zulip passes no names for Sentry; these are ours.
const EVENTS: &[&str] = &[
    "installation",
    "issue_created",
    "issue_resolved",
    "issue_assigned",
    "issue_ignored",
    "event_alert",
    "metric_alert",
    "webhooks_plugin",
];

impl Integration for Sentry {
    fn name(&self) -> &'static str {
        "sentry"
    }

    fn display_name(&self) -> &'static str {
        "Sentry"
    }

    fn events(&self) -> &'static [&'static str] {
        EVENTS
    }

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let data = payload.get("data").filter(|d| d.is_object());
        let Some(data) = data else {
            // The legacy webhooks plugin sends neither the header nor
            // `data`: a flat payload naming its project.
            if payload.get("project_name").is_some_and(Value::is_string) {
                return Ok("webhooks_plugin".to_string());
            }
            return Err(IntegrationError::anomalous(self.display_name()));
        };
        // Every integration-platform payload has an `action`.
        let Some(action) = payload.get("action").and_then(Value::as_str) else {
            return Err(IntegrationError::anomalous(self.display_name()));
        };
        // Without the header (older senders), the kind is read from what
        // `data` holds, as Zulip does.
        let resource = match headers.get(EVENT_HEADER).filter(|h| !h.is_empty()) {
            Some(resource) => resource,
            None => {
                resource_of(data).ok_or_else(|| IntegrationError::anomalous(self.display_name()))?
            }
        };
        Ok(match (resource, action) {
            // Sentry renamed "ignored" to "archived".
            ("issue", "ignored" | "archived") => "issue_ignored".to_string(),
            ("issue", action) => format!("issue_{action}"),
            ("installation", "created") => "installation".to_string(),
            ("installation", action) => format!("installation_{action}"),
            (resource, _) => resource.to_string(),
        })
    }

    fn verify(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
    ) -> Result<(), IntegrationError> {
        let value = headers.get(SIGNATURE_HEADER);
        verify_hmac_sha256(SIGNATURE_HEADER, value, "", body, secret)
    }

    fn delivery_id(&self, headers: &Headers<'_>) -> Option<String> {
        headers.get("Request-ID").map(str::to_string)
    }

    fn headers(&self) -> &'static [&'static str] {
        &[EVENT_HEADER, "Request-ID"]
    }

    fn json_in_form_body(&self) -> bool {
        true
    }

    fn format(
        &self,
        event: &str,
        payload: &Value,
        params: &Params<'_>,
    ) -> Result<Formatted, IntegrationError> {
        format::format(event, payload, params)
    }
}

/// The resource a payload's `data` carries.
fn resource_of(data: &Value) -> Option<&'static str> {
    ["event", "issue", "metric_alert", "installation"]
        .into_iter()
        .find(|key| data.get(key).is_some())
        .map(|key| if key == "event" { "event_alert" } else { key })
}
