//! Zabbix (`/api/v1/external/zabbix`, a webhook media type whose script
//! posts `hostname`, `severity`, `status`, `item`, `trigger` and `link`,
//! as Zulip's instructions set it up): each problem and its recovery post
//! in the host's thread, Zulip's topic. Zabbix does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::linked;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Zabbix;

static VENDOR: Vendor = Vendor::new("zabbix", "Zabbix", &["alert"]);

#[derive(Debug, Deserialize)]
struct Alert {
    hostname: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    item: Option<String>,
    trigger: String,
    #[serde(default)]
    link: Option<String>,
}

impl Integration for Zabbix {
    vendor_methods!(VENDOR);

    /// One kind of request: a body naming neither a host nor a trigger is
    /// not from Zabbix's media type.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        if payload.get("hostname").is_some() || payload.get("trigger").is_some() {
            Ok("alert".to_string())
        } else {
            Err(VENDOR.anomalous())
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let a: Alert = parse(payload)?;
        let severity = a
            .severity
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        // Zulip's `PROBLEM (High) alert on …`; `Alert on …` without a status.
        let heading = match a.status.as_deref().filter(|s| !s.is_empty()) {
            Some(status) => format!("{status}{severity} alert"),
            None => format!("Alert{severity}"),
        };
        let mut body = format!(
            "{heading} on {}:\n* {}",
            linked(&a.hostname, a.link.as_deref()),
            a.trigger
        );
        if let Some(item) = a.item.as_deref().filter(|i| !i.is_empty()) {
            body.push_str(&format!("\n* {item}"));
        }
        Ok(Formatted::one(
            format!("Zabbix host {}", a.hostname),
            a.hostname,
            body,
        ))
    }
}
