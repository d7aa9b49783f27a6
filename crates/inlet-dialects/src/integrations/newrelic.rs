//! New Relic (`/api/v1/external/newrelic`): workflow notifications (the
//! default webhook payload: `issueUrl`, `title`, `priority`, `state`)
//! post in the issue's thread as it is created, activated, acknowledged
//! and closed; the legacy alert channels' payload (`current_state`,
//! `incident_id`) posts in the incident's thread. New Relic does not sign
//! its requests. Wording follows Zulip's.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{configured_message, linked, quote, utc_from_unix};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct NewRelic;

const EVENTS: &[&str] = &[
    "issue_created",
    "issue_activated",
    "issue_acknowledged",
    "issue_closed",
    "incident_open",
    "incident_acknowledged",
    "incident_closed",
    "test",
];

static VENDOR: Vendor = Vendor::new("newrelic", "New Relic", EVENTS);

/// A workflow's default payload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    id: String,
    #[serde(default)]
    issue_url: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    state: String,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    updated_at: Option<Value>,
    #[serde(default)]
    total_incidents: Option<Value>,
    #[serde(default)]
    alert_policy_names: Vec<String>,
    #[serde(default)]
    alert_condition_names: Vec<String>,
    #[serde(default)]
    impacted_entities: Vec<String>,
}

/// The legacy alert channels' payload.
#[derive(Debug, Deserialize)]
struct Incident {
    incident_id: Value,
    current_state: String,
    #[serde(default)]
    incident_url: Option<String>,
    #[serde(default)]
    policy_name: Option<String>,
    #[serde(default)]
    condition_name: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    timestamp: Option<Value>,
}

impl Integration for NewRelic {
    vendor_methods!(VENDOR);

    /// `issue_<state>` for a workflow's payload, `incident_<current_state>`
    /// for a legacy one (`test` for a channel's test notification).
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let text = |key: &str| payload.get(key).and_then(Value::as_str);
        if let Some(state) = text("current_state") {
            return Ok(match state {
                "test" => "test".to_string(),
                state => format!("incident_{state}"),
            });
        }
        match (text("state"), payload.get("id")) {
            (Some(state), Some(_)) => Ok(format!("issue_{}", state.to_ascii_lowercase())),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        match event {
            "test" => {
                let body = configured_message("New Relic", None);
                Ok(Formatted::one("New Relic", "New Relic", body))
            }
            e if e.starts_with("issue_") => Ok(issue(&parse(payload)?)),
            e if e.starts_with("incident_") => Ok(incident(&parse(payload)?)),
            _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
        }
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// New Relic's millisecond timestamps, shown in UTC (as sent when not a
/// number of milliseconds).
fn time_of(value: &Value) -> String {
    value
        .as_i64()
        .and_then(|ms| utc_from_unix(ms.div_euclid(1000)))
        .unwrap_or_else(|| text_of(value))
}

fn priority_emoji(priority: &str) -> &'static str {
    match priority {
        "CRITICAL" => ":red_circle:",
        "HIGH" => ":orange_circle:",
        "MEDIUM" => ":yellow_circle:",
        "LOW" => ":blue_circle:",
        _ => ":info:",
    }
}

fn issue(i: &Issue) -> Formatted {
    let title = i
        .title
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or("New Relic issue");
    let priority = i.priority.as_deref().unwrap_or("unknown");
    let mut details = vec![
        format!("**Priority**: {priority}"),
        format!("**State**: {}", i.state),
    ];
    let lists = [
        ("Policies", &i.alert_policy_names),
        ("Conditions", &i.alert_condition_names),
        ("Entities", &i.impacted_entities),
    ];
    for (label, items) in lists {
        if !items.is_empty() {
            details.push(format!("**{label}**: {}", items.join(", ")));
        }
    }
    if let Some(n) = &i.total_incidents {
        details.push(format!("**Incidents**: {}", text_of(n)));
    }
    if let Some(owner) = i.owner.as_deref().filter(|o| !o.is_empty()) {
        details.push(format!("**Owner**: {owner}"));
    }
    if let Some(at) = &i.updated_at {
        details.push(format!("**Updated at**: {}", time_of(at)));
    }
    let body = format!(
        "{} **{}**{}",
        priority_emoji(priority),
        linked(title, i.issue_url.as_deref()),
        quote(&details.join("\n"))
    );
    Formatted::one(format!("New Relic issue {}", i.id), title, body)
}

fn incident(i: &Incident) -> Formatted {
    let id = text_of(&i.incident_id);
    let action = match i.current_state.as_str() {
        "open" => "opened",
        other => other,
    };
    let condition = i.condition_name.as_deref().unwrap_or("Unknown condition");
    let mut line = format!(
        "{} **{action}** for condition: **{condition}**",
        linked("Incident", i.incident_url.as_deref())
    );
    if let Some(owner) = i
        .owner
        .as_deref()
        .filter(|o| !o.is_empty() && action != "opened")
    {
        line.push_str(&format!(" by **{owner}**"));
    }
    if let Some(at) = &i.timestamp {
        line.push_str(&format!(" at {}", time_of(at)));
    }
    let body = format!("{line}{}", quote(i.details.as_deref().unwrap_or("")));
    let policy = i.policy_name.as_deref().unwrap_or("Unknown Policy");
    Formatted::one(
        format!("New Relic incident {id}"),
        format!("{policy} ({id})"),
        body,
    )
}
