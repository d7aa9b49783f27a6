//! Updown (`/api/v1/external/updown`): the body is a JSON array of
//! events; each `check.down` and `check.up` posts in its check's thread,
//! in Zulip's words. The request's event is its first event's, without
//! the `check.` prefix (Zulip's names). Updown does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration, Message};
use serde::Deserialize;
use serde_json::Value;

pub struct Updown;

static VENDOR: Vendor = Vendor::new("updown", "Updown", &["up", "down"]).array_bodies();

#[derive(Debug, Deserialize)]
struct Event {
    event: String,
    check: Check,
    #[serde(default)]
    downtime: Downtime,
}

#[derive(Debug, Deserialize)]
struct Check {
    #[serde(default)]
    token: Option<String>,
    url: String,
    #[serde(default)]
    alias: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Downtime {
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    duration: Option<u64>,
}

impl Integration for Updown {
    vendor_methods!(VENDOR);

    /// The first `up` or `down` event's name, else the first event's,
    /// `check.` removed (so an SSL event sent along does not hide a
    /// check going down); a body that is not an array of events (or one
    /// event) is not Updown's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let events = match payload {
            Value::Array(events) => events.as_slice(),
            object => std::slice::from_ref(object),
        };
        let names: Vec<&str> = events
            .iter()
            .filter_map(|e| e.get("event").and_then(Value::as_str))
            .map(|name| name.strip_prefix("check.").unwrap_or(name))
            .collect();
        let supported = names.iter().find(|n| VENDOR.events.contains(n));
        supported
            .or(names.first())
            .map(|name| name.to_string())
            .ok_or_else(|| VENDOR.anomalous())
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let events: Vec<Event> = match payload {
            Value::Array(_) => parse(payload)?,
            object => vec![parse(object)?],
        };
        let messages: Vec<Message> = events.iter().filter_map(message).collect();
        if messages.is_empty() {
            return Ok(Formatted::Ignore(IgnoreReason::Unsupported));
        }
        Ok(Formatted::Messages(messages))
    }
}

/// An `up` or `down` event's message; `None` for the others (SSL and
/// performance events, which Zulip does not format).
fn message(e: &Event) -> Option<Message> {
    let body = match e.event.as_str() {
        "check.down" => {
            let error = match &e.downtime.error {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => "unknown".to_string(),
                Some(other) => other.to_string(),
            };
            let mut body = format!("Service is `down`. It returned a {error} error");
            if let Some(at) = &e.downtime.started_at {
                body.push_str(&format!(
                    " at {}",
                    at.replace('T', " ").replace('Z', " UTC")
                ));
            }
            body.push('.');
            body
        }
        "check.up" => {
            let mut body = "Service is `up`".to_string();
            if e.downtime.started_at.is_some() {
                body.push_str(" again");
                if let Some(after) = e.downtime.duration.and_then(duration_text) {
                    body.push_str(&format!(" after {after}"));
                }
            }
            body.push('.');
            body
        }
        _ => return None,
    };
    let check = &e.check;
    let name = check.alias.as_deref().filter(|a| !a.is_empty());
    let body = match name {
        Some(alias) => format!("{alias} ({}): {body}", check.url),
        None => body,
    };
    let key = check.token.as_deref().unwrap_or(&check.url);
    Some(Message {
        thread_key: format!("Updown check {key}"),
        topic: check.url.clone(),
        body_markdown: body,
    })
}

/// `1 day 2 hours 5 seconds`; `None` for zero.
fn duration_text(seconds: u64) -> Option<String> {
    let parts = [
        (seconds / 86_400, "day"),
        (seconds % 86_400 / 3600, "hour"),
        (seconds % 3600 / 60, "minute"),
        (seconds % 60, "second"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| {
            if *n == 1 {
                format!("1 {unit}")
            } else {
                format!("{n} {unit}s")
            }
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::duration_text;

    #[test]
    fn durations_read_like_zulips() {
        assert_eq!(duration_text(0), None);
        assert_eq!(duration_text(1).as_deref(), Some("1 second"));
        assert_eq!(
            duration_text(90_061).as_deref(),
            Some("1 day 1 hour 1 minute 1 second")
        );
        assert_eq!(duration_text(7_320).as_deref(), Some("2 hours 2 minutes"));
    }
}
