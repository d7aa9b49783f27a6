//! UptimeRobot (`/api/v1/external/uptimerobot`, a webhook alert contact
//! whose POST value is the JSON Zulip's instructions give): a monitor
//! going down and coming back up post in the monitor's thread, in
//! Zulip's words. UptimeRobot does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct UptimeRobot;

static VENDOR: Vendor = Vendor::new("uptimerobot", "UptimeRobot", &["up", "down"]);

#[derive(Debug, Deserialize)]
struct Alert {
    #[serde(default)]
    monitor_friendly_name: Option<String>,
    #[serde(default)]
    monitor_id: Option<Value>,
    #[serde(default)]
    monitor_url: Option<String>,
    #[serde(default)]
    alert_details: Option<String>,
    #[serde(default)]
    alert_friendly_duration: Option<String>,
}

impl Integration for UptimeRobot {
    vendor_methods!(VENDOR);

    /// `alert_type_friendly_name` (`Up`, `Down`), else UptimeRobot's
    /// numeric `alert_type` (1 down, 2 up), lower-cased.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let named = payload
            .get("alert_type_friendly_name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        if let Some(name) = named {
            return Ok(name.to_ascii_lowercase());
        }
        let code = match payload.get("alert_type") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(VENDOR.anomalous()),
        };
        Ok(match code.as_str() {
            "1" => "down".to_string(),
            "2" => "up".to_string(),
            _ => format!("alert_type_{code}"),
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let a: Alert = parse(payload)?;
        let url = a.monitor_url.as_deref().filter(|u| !u.is_empty());
        // A monitor without a friendly name is known by its URL.
        let name = match (
            a.monitor_friendly_name.as_deref().filter(|n| !n.is_empty()),
            url,
        ) {
            (Some(name), _) => name.to_string(),
            (None, Some(url)) => url.to_string(),
            (None, None) => {
                return Err(IntegrationError::invalid(
                    "field `monitor_friendly_name` is required",
                ));
            }
        };
        let monitor = match url.filter(|u| *u != name) {
            Some(url) => format!("{name} ({url})"),
            None => name.clone(),
        };
        let details = a
            .alert_details
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let body = match event {
            "down" => format!("{monitor} is DOWN{details}."),
            "up" => {
                let mut body = format!("{monitor} is back UP{details}.");
                if let Some(duration) = a
                    .alert_friendly_duration
                    .as_deref()
                    .filter(|d| !d.is_empty())
                {
                    body.push_str(&format!("\nIt was down for {duration}."));
                }
                body
            }
            _ => return Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
        };
        // The monitor's id when the POST value carries it, so a renamed
        // monitor keeps its thread.
        let key = match &a.monitor_id {
            Some(Value::String(id)) if !id.is_empty() => format!("UptimeRobot monitor {id}"),
            Some(Value::Number(id)) => format!("UptimeRobot monitor {id}"),
            _ => format!("UptimeRobot monitor {name}"),
        };
        Ok(Formatted::one(key, name, body))
    }
}
