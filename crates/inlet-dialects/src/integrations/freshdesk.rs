//! Freshdesk (`/api/v1/external/freshdesk`): an automation rule's
//! webhook posts `{"freshdesk_webhook": {…placeholders…}}`, whose
//! `triggered_event` says what happened: `{ticket_action:created}`,
//! `{note_type:public}`, `{status:{from:2,to:4}}`,
//! `{priority:{from:1,to:3}}` (not JSON: Freshdesk's own notation). A
//! ticket's creation, notes and changes share its thread, `#<id>:
//! <subject>`. Wording follows Zulip's Freshdesk integration.

use super::error::IntegrationError;
use super::html::text_of_html;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::quote;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use crate::url::is_web_url;
use serde::Deserialize;
use serde_json::Value;

pub struct Freshdesk;

const EVENTS: &[&str] = &[
    "ticket_created",
    "note_added",
    "status_changed",
    "priority_changed",
];

static VENDOR: Vendor = Vendor::new("freshdesk", "Freshdesk", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Payload {
    freshdesk_webhook: Ticket,
}

/// The placeholders the rule sends; only the ticket's id and what
/// happened are needed.
#[derive(Debug, Deserialize)]
struct Ticket {
    ticket_id: Value,
    #[serde(default)]
    ticket_subject: Option<String>,
    #[serde(default)]
    ticket_url: Option<String>,
    #[serde(default)]
    ticket_description: Option<String>,
    #[serde(default)]
    ticket_type: Option<String>,
    #[serde(default)]
    ticket_priority: Option<String>,
    #[serde(default)]
    ticket_status: Option<String>,
    #[serde(default)]
    requester_name: Option<String>,
    #[serde(default)]
    requester_email: Option<String>,
    triggered_event: String,
}

/// What `triggered_event` says.
#[derive(Debug, PartialEq, Eq)]
enum Triggered {
    /// `{ticket_action:created}`, `{note_type:public}`.
    Action(String, String),
    /// `{status:{from:2,to:4}}`.
    Change {
        property: String,
        from: String,
        to: String,
    },
}

/// Freshdesk's notation, unquoted: `{a:b}` or `{p:{from:x,to:y}}`.
fn triggered(text: &str) -> Option<Triggered> {
    let flat = text.replace(['{', '}'], "").replace(',', ":");
    let parts: Vec<&str> = flat.split(':').map(str::trim).collect();
    match parts.as_slice() {
        [kind, value] => Some(Triggered::Action(kind.to_string(), value.to_string())),
        [property, "from", from, "to", to] => Some(Triggered::Change {
            property: property.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        }),
        _ => None,
    }
}

impl Integration for Freshdesk {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let Some(ticket) = payload.get("freshdesk_webhook").filter(|t| t.is_object()) else {
            return Err(VENDOR.anomalous());
        };
        let Some(text) = ticket.get("triggered_event").and_then(Value::as_str) else {
            return Err(IntegrationError::invalid(
                "field `freshdesk_webhook.triggered_event` is required: add the \
                 {{triggered_event}} placeholder to the rule's webhook content",
            ));
        };
        Ok(match triggered(text) {
            Some(Triggered::Action(kind, value)) if kind == "ticket_action" => {
                format!("ticket_{value}")
            }
            Some(Triggered::Action(kind, _)) if kind == "note_type" => "note_added".to_string(),
            Some(Triggered::Action(kind, value)) => format!("{kind}_{value}"),
            Some(Triggered::Change { property, .. }) => format!("{property}_changed"),
            None => text.to_string(),
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let t = parse::<Payload>(payload)?.freshdesk_webhook;
        let id = match &t.ticket_id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let requester = match (&t.requester_name, &t.requester_email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.clone(),
            (None, Some(email)) => format!("<{email}>"),
            (None, None) => "Someone".to_string(),
        };
        let ticket = match t.ticket_url.as_deref().filter(|u| is_web_url(u)) {
            Some(url) => format!("[ticket #{id}]({url})"),
            None => format!("ticket #{id}"),
        };
        let body = match (event, triggered(&t.triggered_event)) {
            ("ticket_created", _) => {
                let description = text_of_html(t.ticket_description.as_deref().unwrap_or(""));
                let mut body = format!("{requester} created {ticket}:{}\n", quote(&description));
                for (label, value) in [
                    ("Type", &t.ticket_type),
                    ("Priority", &t.ticket_priority),
                    ("Status", &t.ticket_status),
                ] {
                    if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                        body.push_str(&format!("\n* **{label}**: {value}"));
                    }
                }
                body.trim_end().to_string()
            }
            ("note_added", Some(Triggered::Action(_, kind))) => {
                format!("{requester} added a {kind} note to {ticket}.")
            }
            (_, Some(Triggered::Change { property, from, to })) => {
                let mut label = property.clone();
                if let Some(first) = label.get(..1) {
                    label = first.to_uppercase() + &label[1..];
                }
                format!(
                    "{requester} updated {ticket}:\n\n* **{label}**: {} -> {}",
                    property_name(&property, &from),
                    property_name(&property, &to)
                )
            }
            _ => return Err(VENDOR.anomalous()),
        };
        let topic = match t.ticket_subject.as_deref() {
            Some(subject) => format!("#{id}: {subject}"),
            None => format!("#{id}"),
        };
        Ok(Formatted::one(format!("ticket {id}"), topic, body))
    }
}

/// A status or priority number as Freshdesk's default names it; a
/// custom status (beyond the defaults) as its number.
fn property_name(property: &str, index: &str) -> String {
    let name = match (property, index) {
        ("status", "2") => "Open",
        ("status", "3") => "Pending",
        ("status", "4") => "Resolved",
        ("status", "5") => "Closed",
        ("status", "6") => "Waiting on Customer",
        ("status", "7") => "Waiting on Third Party",
        ("priority", "1") => "Low",
        ("priority", "2") => "Medium",
        ("priority", "3") => "High",
        ("priority", "4") => "Urgent",
        _ => index,
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshdesks_notation_is_read() {
        assert_eq!(
            triggered("{ticket_action:created}"),
            Some(Triggered::Action("ticket_action".into(), "created".into()))
        );
        assert_eq!(
            triggered("{status:{from:4,to:6}}"),
            Some(Triggered::Change {
                property: "status".into(),
                from: "4".into(),
                to: "6".into()
            })
        );
        assert_eq!(triggered("{a:b:c}"), None);
    }
}
