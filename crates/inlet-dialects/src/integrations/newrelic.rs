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
    #[serde(default)]
    id: Option<String>,
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
    created_at: Option<Value>,
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
    /// Fields the workflow's own template adds (Zulip's documented name).
    #[serde(default)]
    zulip_custom_fields: serde_json::Map<String, Value>,
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
        // A workflow's template may leave out the `id`; its `state` with
        // the issue's address or title is enough to know it.
        let known = ["id", "issueUrl", "title"]
            .iter()
            .any(|key| payload.get(key).is_some());
        match text("state") {
            Some(state) if known => Ok(format!("issue_{}", state.to_ascii_lowercase())),
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
    // New Relic's template sends "N/A" for an issue nobody acknowledged.
    if let Some(owner) = i.owner.as_deref().filter(|o| !o.is_empty() && *o != "N/A") {
        details.push(format!("**Owner**: {owner}"));
    }
    if let Some(at) = &i.created_at {
        details.push(format!("**Created at**: {}", time_of(at)));
    }
    if let Some(at) = &i.updated_at {
        details.push(format!("**Updated at**: {}", time_of(at)));
    }
    for (name, value) in &i.zulip_custom_fields {
        details.push(format!(
            "**{}**: {}",
            capitalized(name),
            custom_value(value)
        ));
    }
    let body = format!(
        "{} **{}**{}",
        priority_emoji(priority),
        linked(title, i.issue_url.as_deref()),
        quote(&details.join("\n"))
    );
    Formatted::one(
        format!("New Relic issue {}", issue_key(i, title)),
        title,
        body,
    )
}

/// The issue's id; else the one in its address (`…/issues/<id>?…`); else
/// its title.
fn issue_key<'a>(i: &'a Issue, title: &'a str) -> &'a str {
    let from_url = i.issue_url.as_deref().and_then(|url| {
        let path = url.split(['?', '#']).next()?;
        let (_, id) = path.rsplit_once("/issues/")?;
        Some(id).filter(|id| !id.is_empty() && !id.contains('/'))
    });
    i.id.as_deref()
        .filter(|id| !id.is_empty())
        .or(from_url)
        .unwrap_or(title)
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A custom field's value: text, a number, a boolean or null, or a list
/// of those; anything else is named as unsupported rather than dumped.
fn custom_value(value: &Value) -> String {
    let scalar = |v: &Value| match v {
        Value::Array(_) | Value::Object(_) => None,
        other => Some(text_of(other)),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(", ")),
        other => scalar(other),
    }
    .unwrap_or_else(|| "*Value is not a supported data type*".to_string())
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
