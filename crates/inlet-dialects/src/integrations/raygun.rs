//! Raygun (`/api/v1/external/raygun`): error notifications (new,
//! reoccurred, follow-ups) and the activity on an error (status changes,
//! assignments, comments) post in the error's thread, in Zulip's words.
//! The event is the body's `event` (`error_notification`,
//! `error_activity`, Zulip's names). Raygun does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{linked, quote};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct Raygun;

static VENDOR: Vendor = Vendor::new(
    "raygun",
    "Raygun",
    &["error_notification", "error_activity"],
)
.form_bodies_as_json();

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    event_type: String,
    error: Error,
    #[serde(default)]
    application: Option<Application>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Error {
    url: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    first_occurred_on: Option<String>,
    #[serde(default)]
    last_occurred_on: Option<String>,
    #[serde(default)]
    users_affected: Option<Value>,
    #[serde(default)]
    total_occurrences: Option<Value>,
    #[serde(default)]
    instance: Option<Instance>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    assigned_to: Option<String>,
    #[serde(default)]
    activity_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Instance {
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    affected_user: Option<AffectedUser>,
    #[serde(default)]
    custom_data: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct AffectedUser {
    #[serde(default, rename = "UUID")]
    uuid: Option<String>,
    #[serde(default, rename = "Identifier")]
    identifier: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Application {
    name: String,
    #[serde(default)]
    url: Option<String>,
}

impl Integration for Raygun {
    vendor_methods!(VENDOR);

    /// The body's `event`; an `eventType` neither Zulip nor we format is
    /// named itself, as Zulip names it in its unsupported answer.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let (Some(Value::String(event)), Some(Value::Object(_))) =
            (payload.get("event"), payload.get("error"))
        else {
            return Err(VENDOR.anomalous());
        };
        let kind = payload
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Without an `eventType`, the formatter names it as missing.
        let known = kind.is_empty()
            || match event.as_str() {
                "error_notification" => {
                    matches!(
                        kind,
                        "NewErrorOccurred" | "ErrorReoccurred" | "HourlyFollowUp"
                    ) || kind.ends_with("MinuteFollowUp")
                }
                "error_activity" => {
                    matches!(kind, "StatusChanged" | "AssignedToUser" | "CommentAdded")
                }
                _ => true,
            };
        Ok(if known {
            event.clone()
        } else {
            kind.to_string()
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let p: Payload = parse(payload)?;
        let body = if event == "error_notification" {
            notification(&p)
        } else {
            activity(&p)
        };
        let Some(body) = body else {
            // An `eventType` Zulip does not format either.
            return Ok(Formatted::Ignore(IgnoreReason::Unsupported));
        };
        let e = &p.error;
        let app = p.application.as_ref().map(|a| a.name.as_str());
        let topic = match (e.message.as_deref().filter(|m| !m.is_empty()), app) {
            (Some(message), _) => message.to_string(),
            (None, Some(app)) => format!("{app} error"),
            (None, None) => "Raygun error".to_string(),
        };
        Ok(Formatted::one(
            format!("Raygun error {}", e.url),
            topic,
            body,
        ))
    }
}

/// Raygun's `1970-01-28T01:49:36Z` as `1970-01-28 01:49:36 UTC`.
fn time(t: Option<&str>) -> String {
    match t {
        Some(t) => {
            let utc = t.ends_with('Z');
            let t = t.trim_end_matches('Z').replacen('T', " ", 1);
            if utc { format!("{t} UTC") } else { t }
        }
        None => "unknown".to_string(),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The bullets every notification has: message, times, counts.
fn error_facts(e: &Error) -> String {
    let mut out = String::new();
    if let Some(message) = e.message.as_deref().filter(|m| !m.is_empty()) {
        out.push_str(&format!("\n* **Message**: {message}"));
    }
    out.push_str(&format!(
        "\n* **First occurred**: {}\n* **Last occurred**: {}",
        time(e.first_occurred_on.as_deref()),
        time(e.last_occurred_on.as_deref())
    ));
    let count = |v: &Option<Value>| v.as_ref().map_or_else(|| "?".to_string(), text_of);
    out.push_str(&format!(
        "\n* {} users affected with {} total occurrences",
        count(&e.users_affected),
        count(&e.total_occurrences)
    ));
    out
}

fn app_line(p: &Payload) -> String {
    match &p.application {
        Some(a) => format!(
            "\n* **Application details**: {}",
            linked(&a.name, a.url.as_deref())
        ),
        None => String::new(),
    }
}

fn notification(p: &Payload) -> Option<String> {
    let e = &p.error;
    let kind = p.event_type.as_str();
    let head = match kind {
        "NewErrorOccurred" => format!("New {} occurred:", linked("Error", Some(&e.url))),
        "ErrorReoccurred" => format!("{} reoccurred:", linked("Error", Some(&e.url))),
        "HourlyFollowUp" => format!("Hourly {}:", linked("follow-up error", Some(&e.url))),
        // `OneMinuteFollowUp`, `FiveMinuteFollowUp`, … as `One minute`, `Five minute`.
        k if k.ends_with("MinuteFollowUp") => format!(
            "{} minute {}:",
            k.trim_end_matches("MinuteFollowUp"),
            linked("follow-up error", Some(&e.url))
        ),
        _ => return None,
    };
    let mut body = head + &error_facts(e);
    if let Some(instance) = &e.instance {
        if let Some(tags) = instance.tags.as_ref().filter(|t| !t.is_empty()) {
            body.push_str(&format!("\n* **Tags**: {}", tags.join(", ")));
        }
        let user = instance.affected_user.as_ref();
        if let Some(id) = user.and_then(|u| u.uuid.as_deref().or(u.identifier.as_deref())) {
            body.push_str(&format!("\n* **Affected user**: {}", shortened(id)));
        }
        if let Some(data) = &instance.custom_data {
            let mut keys: Vec<&String> = data.keys().collect();
            keys.sort();
            for key in keys {
                body.push_str(&format!("\n* **{key}**: {}", text_of(&data[key])));
            }
        }
    }
    Some(body + &app_line(p))
}

/// A long identifier as its first 6 and last 5 characters, as Zulip shows
/// an affected user's UUID.
fn shortened(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 14 {
        return id.to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 5..].iter().collect();
    format!("{head}...{tail}")
}

fn activity(p: &Payload) -> Option<String> {
    let e = &p.error;
    let link = linked("Error", Some(&e.url));
    let user = e.user.as_deref().unwrap_or("Someone");
    let head = match p.event_type.as_str() {
        "StatusChanged" => format!(
            "{link} status changed to **{}** by {user}:",
            e.status.as_deref().unwrap_or("unknown")
        ),
        "CommentAdded" => format!(
            "{user} commented on {link}:{}\n",
            quote(e.comment.as_deref().unwrap_or(""))
        ),
        "AssignedToUser" => format!(
            "{user} assigned {link} to {}:",
            e.assigned_to.as_deref().unwrap_or("someone")
        ),
        _ => return None,
    };
    let mut body = head;
    if let Some(message) = e.message.as_deref().filter(|m| !m.is_empty()) {
        body.push_str(&format!("\n* **Message**: {message}"));
    }
    body.push_str(&format!(
        "\n* **Timestamp**: {}",
        time(e.activity_date.as_deref())
    ));
    Some(body + &app_line(p))
}
