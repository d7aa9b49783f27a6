//! Zapier (`/api/v1/external/zapier`): a Zap's "Send a message" step
//! posts `{"topic": …, "content": …}` (`subject` in older Zaps), the
//! thread and the message as the Zap composed them (a Zap that names no
//! thread posts in `Zapier`; one without `content` is refused). Zapier's connection
//! test (`{"type": "auth"}`) is answered `200` and posts nothing: Zapier
//! repeats it whenever it checks the connection.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde_json::Value;

pub struct Zapier;

/// Zapier's connection test (`auth`) is not among them: it is answered
/// `200` as unsupported and posts nothing.
const EVENTS: &[&str] = &["message"];

static VENDOR: Vendor = Vendor::new("zapier", "Zapier", EVENTS);

impl Integration for Zapier {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        if payload.get("type").and_then(Value::as_str) == Some("auth") {
            return Ok("auth".to_string());
        }
        Ok("message".to_string())
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let text = |name: &str| {
            payload
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        // Zulip refuses a message without a topic; a Zap's message is
        // worth more than its thread, so it goes to `Zapier`.
        let topic = text("topic")
            .or_else(|| text("subject"))
            .unwrap_or("Zapier");
        let content = text("content").ok_or_else(|| {
            IntegrationError::invalid("field `content` is required: Content can't be empty")
        })?;
        Ok(Formatted::one(topic, topic, content.to_string()))
    }
}
