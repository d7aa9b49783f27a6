//! Opsgenie (`/api/v1/external/opsgenie`, a Webhook integration): the
//! body's `action` is the event (`Create`, `Acknowledge`, `Close`, …);
//! every action on an alert goes to the alert's thread. The message is
//! Zulip's: a link to the alert and a bullet per fact the action carries.
//! Opsgenie does not sign its requests.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration, Message};
use serde::Deserialize;
use serde_json::Value;

pub struct Opsgenie;

/// Zulip's names, and the actions its view formats alike.
const EVENTS: &[&str] = &[
    "Create",
    "Acknowledge",
    "UnAcknowledge",
    "Close",
    "Delete",
    "AddNote",
    "AddRecipient",
    "AddTeam",
    "AddTags",
    "RemoveTags",
    "AssignOwnership",
    "TakeOwnership",
    "Escalate",
    "CustomAction",
    "Snooze",
    "UpdatePriority",
    "TestAction",
];

static VENDOR: Vendor = Vendor::new("opsgenie", "Opsgenie", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    action: String,
    alert: Alert,
    #[serde(default)]
    integration_name: Option<String>,
    #[serde(default)]
    escalation_name: Option<String>,
    #[serde(default)]
    custom_action_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert {
    alert_id: String,
    #[serde(default)]
    tiny_id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    added_tags: Option<Value>,
    #[serde(default)]
    removed_tags: Option<Value>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    priority: Option<Value>,
    #[serde(default)]
    snooze_end_date: Option<Value>,
}

impl Integration for Opsgenie {
    vendor_methods!(VENDOR);

    /// The `action`, on a body that has an `alert`. A custom action comes
    /// under the name its user gave it, so any other name is a
    /// `CustomAction` (its message still shows the name).
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match (payload.get("action"), payload.get("alert")) {
            (Some(Value::String(action)), Some(Value::Object(_))) => {
                Ok(if EVENTS.contains(&action.as_str()) {
                    action.clone()
                } else {
                    "CustomAction".to_string()
                })
            }
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        let p: Payload = parse(payload)?;
        Ok(Formatted::Messages(vec![message(&p, app_host(params)?)]))
    }
}

/// A string, or a list's items, as text (`addedTags` is either).
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Opsgenie's web app: `app.eu.opsgenie.com` for an account in its
/// European region (`eu_region=true` in the URL, Zulip's option).
fn app_host(params: &Params<'_>) -> Result<&'static str, IntegrationError> {
    match params.get("eu_region") {
        None | Some("") | Some("false") => Ok("app.opsgenie.com"),
        Some("true") => Ok("app.eu.opsgenie.com"),
        Some(other) => Err(IntegrationError::invalid(format!(
            "`eu_region` must be true or false, not {other:?}"
        ))),
    }
}

fn message(p: &Payload, host: &str) -> Message {
    let a = &p.alert;
    let integration = p.integration_name.as_deref().unwrap_or("Opsgenie");
    let url = format!("https://{host}/alert/V2#/show/{}", a.alert_id);
    let mut body = format!(
        "[Opsgenie alert for {integration}]({url}):\n* **Type**: {}",
        p.action
    );
    let tags: Vec<String> = a.tags.iter().map(|t| format!("`{t}`")).collect();
    let facts = [
        ("By", a.username.clone()),
        ("Action", p.custom_action_name.clone()),
        ("Note", a.note.clone()),
        ("Recipient", a.recipient.clone()),
        ("Tags added", a.added_tags.as_ref().map(text_of)),
        ("Team added", a.team.clone()),
        ("Assigned owner", a.owner.clone()),
        ("Escalation", p.escalation_name.clone()),
        ("Tags removed", a.removed_tags.as_ref().map(text_of)),
        ("Priority", a.priority.as_ref().map(text_of)),
        ("Snoozed until", a.snooze_end_date.as_ref().map(text_of)),
        ("Message", a.message.clone()),
        ("Tags", (!tags.is_empty()).then(|| tags.join(", "))),
    ];
    for (key, value) in facts {
        if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
            body.push_str(&format!("\n* **{key}**: {value}"));
        }
    }
    let topic = match (&a.tiny_id, a.message.as_deref().filter(|m| !m.is_empty())) {
        (Some(tiny), Some(message)) => format!("Alert #{tiny}: {message}"),
        (Some(tiny), None) => format!("Alert #{tiny}"),
        (None, Some(message)) => format!("Alert: {message}"),
        (None, None) => format!("Alert {}", a.alert_id),
    };
    Message {
        thread_key: format!("Opsgenie alert {}", a.alert_id),
        topic,
        body_markdown: body,
    }
}
