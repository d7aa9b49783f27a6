//! Prometheus Alertmanager (`/api/v1/external/alertmanager`): alerts are
//! grouped by a label or annotation (URL option `name`, default
//! `instance`), and each group posts one message per status, in its own
//! thread named by the group's value. The line text is the `desc` label or
//! annotation (default `alertname`) linked to the alert's `generatorURL`.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration, Message};
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct Alertmanager;

#[derive(Debug, Deserialize)]
struct Notification {
    alerts: Vec<Alert>,
}

#[derive(Debug, Deserialize)]
struct Alert {
    status: Status,
    #[serde(default)]
    labels: Map<String, Value>,
    #[serde(default)]
    annotations: Map<String, Value>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Status {
    Firing,
    Resolved,
}

static VENDOR: Vendor = Vendor::new("alertmanager", "Alertmanager", &["alert"]);

impl Integration for Alertmanager {
    vendor_methods!(VENDOR);

    /// Alertmanager sends one kind of notification; a payload without an
    /// `alerts` list is not Alertmanager's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("alerts") {
            Some(_) => Ok("alert".to_string()),
            None => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        let notification: Notification = parse(payload)?;
        let name_key = params
            .get("name")
            .filter(|n| !n.is_empty())
            .unwrap_or("instance");
        let desc_key = params
            .get("desc")
            .filter(|d| !d.is_empty())
            .unwrap_or("alertname");
        // (group value, status) → lines, in order of first appearance.
        let mut groups: Vec<(String, Status, Vec<String>)> = Vec::new();
        for alert in &notification.alerts {
            let group = lookup(alert, name_key).unwrap_or_else(|| "(unknown)".to_string());
            let line = line(alert, desc_key);
            match groups
                .iter_mut()
                .find(|(g, s, _)| *g == group && *s == alert.status)
            {
                Some((_, _, lines)) => lines.push(line),
                None => groups.push((group, alert.status, vec![line])),
            }
        }
        let overridden = params.topic_overridden();
        let messages = groups
            .into_iter()
            .map(|(group, status, lines)| Message {
                body_markdown: message(status, &lines, overridden.then_some(group.as_str())),
                thread_key: group.clone(),
                topic: group,
            })
            .collect();
        Ok(Formatted::Messages(messages))
    }
}

/// A label, else an annotation, as text.
fn lookup(alert: &Alert, key: &str) -> Option<String> {
    let value = alert
        .labels
        .get(key)
        .or_else(|| alert.annotations.get(key))?;
    Some(match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// `<desc> ([source](<generatorURL>))`, the graph tab rather than the table.
fn line(alert: &Alert, desc_key: &str) -> String {
    let desc = lookup(alert, desc_key).unwrap_or_else(|| format!("<missing field: {desc_key}>"));
    match alert
        .generator_url
        .as_deref()
        .map(str::trim)
        .filter(|u| crate::url::is_web_url(u))
    {
        Some(url) => format!("{desc} ([source]({}))", url.replace("tab=1", "tab=0")),
        None => desc,
    }
}

/// `:alert: **FIRING** <line>`, or the header and a bullet per alert; with
/// a `topic` override the group's value follows the header.
fn message(status: Status, lines: &[String], group: Option<&str>) -> String {
    let mut header = match status {
        Status::Firing => ":alert: **FIRING**".to_string(),
        Status::Resolved => ":squared_ok: **Resolved**".to_string(),
    };
    if let Some(group) = group {
        header.push_str(&format!(" ({group})"));
    }
    match lines {
        [one] => format!("{header} {one}"),
        many => {
            let bullets: Vec<String> = many.iter().map(|l| format!("* {l}")).collect();
            format!("{header}\n{}", bullets.join("\n"))
        }
    }
}
