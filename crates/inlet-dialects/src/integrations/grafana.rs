//! Grafana (`/api/v1/external/grafana`): unified alerting (Grafana 8+,
//! the payload has `alerts`) posts one message per alert in the thread
//! `[<alertname>]`; legacy alerts (Grafana 7, no `alerts`) post one message
//! in the thread named by their `title`. The event is the notification's
//! status (`firing`, `resolved`) or legacy state (`alerting`, `ok`, …), as
//! Zulip passes it to the event filter.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::code_span;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration, Message};
use crate::url::is_web_url;
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct Grafana;

/// Zulip's declared names, and the legacy `no_data` and `unknown` states,
/// which Zulip posts too.
const EVENTS: &[&str] = &[
    "firing", "resolved", "alerting", "ok", "pending", "paused", "no_data", "unknown",
];

/// Grafana writes this for an alert that has not ended.
const NOT_ENDED: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Deserialize)]
struct Unified {
    alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert {
    status: String,
    #[serde(default)]
    labels: Map<String, Value>,
    #[serde(default)]
    annotations: Map<String, Value>,
    starts_at: String,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default, rename = "silenceURL")]
    silence_url: Option<String>,
    #[serde(default, rename = "dashboardURL")]
    dashboard_url: Option<String>,
    #[serde(default, rename = "panelURL")]
    panel_url: Option<String>,
    #[serde(default, rename = "imageURL")]
    image_url: Option<String>,
    #[serde(default)]
    values: Option<Map<String, Value>>,
    #[serde(default)]
    value_string: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Legacy {
    title: String,
    state: String,
    #[serde(default)]
    rule_name: Option<String>,
    #[serde(default)]
    rule_url: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    eval_matches: Vec<EvalMatch>,
    #[serde(default)]
    image_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EvalMatch {
    metric: String,
    value: Value,
}

static VENDOR: Vendor = Vendor::new("grafana", "Grafana", EVENTS).form_bodies_as_json();

impl Integration for Grafana {
    vendor_methods!(VENDOR);

    /// The unified `status`, else the legacy `state`; a payload with
    /// neither is not Grafana's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let field = if payload.get("alerts").is_some() {
            "status"
        } else {
            "state"
        };
        payload
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| VENDOR.anomalous())
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        if payload.get("alerts").is_some() {
            let unified: Unified = parse(payload)?;
            Ok(Formatted::Messages(
                unified.alerts.iter().map(unified_message).collect(),
            ))
        } else {
            let legacy: Legacy = parse(payload)?;
            let body = legacy_body(&legacy);
            Ok(Formatted::one(legacy.title.clone(), legacy.title, body))
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `<title>:` and a `- k: v` line per entry, sorted by key.
fn key_values(title: &str, map: &Map<String, Value>) -> Option<String> {
    if map.is_empty() {
        return None;
    }
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let lines: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("- {k}: {}", text_of(v)))
        .collect();
    Some(format!("{title}:\n{}", lines.join("\n")))
}

fn web_link(label: &str, url: Option<&str>) -> Option<String> {
    url.map(str::trim)
        .filter(|u| is_web_url(u))
        .map(|u| format!("[{label}]({u})"))
}

fn unified_message(alert: &Alert) -> Message {
    let name = alert.labels.get("alertname").map(text_of);
    let topic = match (&name, &alert.fingerprint) {
        (Some(name), _) => format!("[{name}]"),
        (None, Some(fingerprint)) => format!("[{fingerprint}]"),
        (None, None) => "[Grafana alert]".to_string(),
    };
    let mut parts = vec![match alert.status.as_str() {
        "firing" => ":alert: **FIRING**".to_string(),
        "resolved" => ":checkbox: **RESOLVED**".to_string(),
        other => format!(":info: **{}**", other.to_uppercase()),
    }];
    if let Some(name) = &name {
        parts.push(format!("**{name}**"));
    }
    let mut when = format!("This alert was fired at {}.", alert.starts_at);
    if let Some(end) = alert.ends_at.as_deref().filter(|e| *e != NOT_ENDED) {
        when.push_str(&format!("\nThis alert was resolved at {end}."));
    }
    parts.push(when);
    parts.extend(key_values("Labels", &alert.labels));
    let values = alert.values.as_ref().and_then(|v| key_values("Values", v));
    let raw_values = alert
        .value_string
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| format!("Values:\n{}", code_span(v.trim())));
    parts.extend(values.or(raw_values));
    parts.extend(key_values("Annotations", &alert.annotations));
    let links: Vec<String> = [
        ("Generator", &alert.generator_url),
        ("Silence", &alert.silence_url),
        ("Dashboard", &alert.dashboard_url),
        ("Panel", &alert.panel_url),
        ("Image", &alert.image_url),
    ]
    .into_iter()
    .filter_map(|(label, url)| web_link(label, url.as_deref()))
    .collect();
    if !links.is_empty() {
        parts.push(links.join(" · "));
    }
    Message {
        thread_key: topic.clone(),
        topic,
        body_markdown: parts.join("\n\n"),
    }
}

fn legacy_body(alert: &Legacy) -> String {
    let mut parts = vec![match alert.state.as_str() {
        "alerting" => ":alert: **ALERTING**".to_string(),
        "ok" => ":squared_ok: **OK**".to_string(),
        other => format!(":info: **{}**", other.to_uppercase()),
    }];
    if let Some(rule) = alert.rule_name.as_deref().filter(|r| !r.is_empty()) {
        parts.push(web_link(rule, alert.rule_url.as_deref()).unwrap_or_else(|| rule.to_string()));
    }
    if let Some(message) = alert.message.as_deref().filter(|m| !m.trim().is_empty()) {
        parts.push(message.trim().to_string());
    }
    if !alert.eval_matches.is_empty() {
        let lines: Vec<String> = alert
            .eval_matches
            .iter()
            .map(|m| format!("**{}:** {}", m.metric, text_of(&m.value)))
            .collect();
        parts.push(lines.join("\n"));
    }
    parts.extend(web_link(
        "Click to view visualization",
        alert.image_url.as_deref(),
    ));
    parts.join("\n\n")
}
