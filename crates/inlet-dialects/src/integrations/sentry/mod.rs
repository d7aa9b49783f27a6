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
        let resource = headers
            .get(EVENT_HEADER)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| IntegrationError::missing_header(EVENT_HEADER))?;
        // Every integration-platform payload has an `action` and `data`.
        let action = payload.get("action").and_then(Value::as_str);
        let (Some(action), Some(_)) = (action, payload.get("data")) else {
            return Err(IntegrationError::anomalous(self.display_name()));
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

    fn format(
        &self,
        event: &str,
        payload: &Value,
        params: &Params<'_>,
    ) -> Result<Formatted, IntegrationError> {
        format::format(event, payload, params)
    }
}
