//! Pingdom (`/api/v1/external/pingdom`, an alerting webhook): a check
//! changing state posts in the check's thread, in Zulip's words; the
//! event is the check's type (`HTTP`, `PING`, …), Zulip's names. Pingdom
//! does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::quote;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Pingdom;

const EVENTS: &[&str] = &[
    "HTTP",
    "HTTP_CUSTOM",
    "HTTPS",
    "SMTP",
    "POP3",
    "IMAP",
    "PING",
    "DNS",
    "UDP",
    "PORT_TCP",
];

static VENDOR: Vendor = Vendor::new("pingdom", "Pingdom", EVENTS);

#[derive(Debug, Deserialize)]
struct StateChange {
    #[serde(default)]
    check_id: Option<Value>,
    check_name: String,
    check_type: String,
    #[serde(default)]
    check_params: CheckParams,
    #[serde(default)]
    previous_state: Option<String>,
    current_state: String,
    #[serde(default)]
    long_description: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CheckParams {
    #[serde(default)]
    hostname: Option<String>,
}

impl Integration for Pingdom {
    vendor_methods!(VENDOR);

    /// The `check_type`, on a body that reports a state change.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match (payload.get("check_type"), payload.get("current_state")) {
            (Some(Value::String(kind)), Some(_)) => Ok(kind.clone()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let c: StateChange = parse(payload)?;
        let service = c.check_params.hostname.as_deref().unwrap_or(&c.check_name);
        let from = c
            .previous_state
            .as_deref()
            .map(|p| format!(" from {p}"))
            .unwrap_or_default();
        let mut body = format!(
            "Service {service} changed its {} status{from} to {}",
            c.check_type, c.current_state
        );
        // Zulip quotes why a check went down; other changes end the sentence.
        let why = c.long_description.as_deref().or(c.description.as_deref());
        match why.filter(|d| !d.is_empty()) {
            Some(why) if c.current_state == "DOWN" => {
                body.push(':');
                body.push_str(&quote(why));
            }
            _ => body.push('.'),
        }
        let key = match &c.check_id {
            Some(Value::Number(id)) => format!("Pingdom check {id}"),
            Some(Value::String(id)) if !id.is_empty() => format!("Pingdom check {id}"),
            _ => format!("Pingdom check {}", c.check_name),
        };
        Ok(Formatted::one(
            key,
            format!("{} status.", c.check_name),
            body,
        ))
    }
}
