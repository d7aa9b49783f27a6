//! Atlassian Statuspage (`/api/v1/external/statuspage`, a page's webhook
//! subscription): an incident's updates post in the incident's thread,
//! a component's status changes in the component's. The message is
//! Zulip's; the topic is the incident's or component's name, without the
//! page's passing status that Zulip appends (it would split a thread).
//! Statuspage does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::linked;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Statuspage;

static VENDOR: Vendor =
    Vendor::new("statuspage", "Statuspage", &["incident", "component"]).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct IncidentEvent {
    incident: Incident,
    #[serde(default)]
    page: Option<Page>,
}

/// The page's overall status after the change (Zulip's topic shows it).
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    status_description: Option<String>,
}

impl Page {
    fn status(page: Option<&Page>) -> Option<&str> {
        page.and_then(|p| p.status_description.as_deref())
            .filter(|s| !s.trim().is_empty())
    }
}

#[derive(Debug, Deserialize)]
struct Incident {
    #[serde(default)]
    id: Option<String>,
    name: String,
    status: String,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    shortlink: Option<String>,
    #[serde(default)]
    incident_updates: Vec<IncidentUpdate>,
}

#[derive(Debug, Deserialize)]
struct IncidentUpdate {
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ComponentEvent {
    component: Component,
    #[serde(default)]
    component_update: Option<ComponentUpdate>,
    #[serde(default)]
    page: Option<Page>,
}

#[derive(Debug, Deserialize)]
struct Component {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ComponentUpdate {
    #[serde(default)]
    old_status: Option<String>,
    #[serde(default)]
    new_status: Option<String>,
}

impl Integration for Statuspage {
    vendor_methods!(VENDOR);

    /// `incident` or `component`, by what the body carries.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        ["incident", "component"]
            .into_iter()
            .find(|key| payload.get(key).is_some_and(Value::is_object))
            .map(str::to_string)
            .ok_or_else(|| VENDOR.anomalous())
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        if event == "incident" {
            Ok(incident(&parse(payload)?))
        } else {
            Ok(component(&parse(payload)?))
        }
    }
}

fn incident(e: &IncidentEvent) -> Formatted {
    let i = &e.incident;
    let mut body = format!(
        "**{}**:\n* State: **{}**",
        linked(&i.name, i.shortlink.as_deref()),
        i.status
    );
    if let Some(impact) = i
        .impact
        .as_deref()
        .filter(|m| !m.is_empty() && *m != "none")
    {
        body.push_str(&format!("\n* Impact: {impact}"));
    }
    // The newest update comes first.
    let latest = i.incident_updates.first().and_then(|u| u.body.as_deref());
    if let Some(text) = latest.filter(|t| !t.trim().is_empty()) {
        body.push_str(&format!("\n* Description: {}", text.trim()));
    }
    if let Some(status) = Page::status(e.page.as_ref()) {
        body.push_str(&format!("\n* Page status: {status}"));
    }
    let key = i.id.as_deref().unwrap_or(&i.name);
    Formatted::one(format!("Statuspage incident {key}"), i.name.clone(), body)
}

fn component(e: &ComponentEvent) -> Formatted {
    let c = &e.component;
    let update = e.component_update.as_ref();
    let new = update
        .and_then(|u| u.new_status.as_deref())
        .or(c.status.as_deref())
        .unwrap_or("unknown");
    let mut body = match update.and_then(|u| u.old_status.as_deref()) {
        Some(old) => format!(
            "**{}** has changed status from **{old}** to **{new}**.",
            c.name
        ),
        None => format!("**{}** has changed status to **{new}**.", c.name),
    };
    if let Some(status) = Page::status(e.page.as_ref()) {
        body.push_str(&format!("\nPage status: {status}"));
    }
    let key = c.id.as_deref().unwrap_or(&c.name);
    Formatted::one(format!("Statuspage component {key}"), c.name.clone(), body)
}
