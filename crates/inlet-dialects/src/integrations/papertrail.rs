//! Papertrail (`/api/v1/external/papertrail`, a saved search's webhook
//! alert): the matching log events, the first four quoted, in the saved
//! search's thread. Papertrail posts its JSON as a form's `payload` field;
//! a JSON body is read too. Papertrail does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{linked, quote};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Papertrail;

static VENDOR: Vendor = Vendor::new("papertrail", "Papertrail", &["alert"]).form_payload_field();

/// How many events a message quotes, as Zulip's; a link to the search
/// stands for the rest.
const SHOWN_EVENTS: usize = 4;

#[derive(Debug, Deserialize)]
struct Alert {
    events: Vec<LogEvent>,
    saved_search: SavedSearch,
}

#[derive(Debug, Deserialize)]
struct SavedSearch {
    #[serde(default)]
    id: Option<Value>,
    name: String,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    html_search_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogEvent {
    #[serde(default)]
    display_received_at: Option<String>,
    #[serde(default)]
    received_at: Option<String>,
    #[serde(default)]
    source_name: Option<String>,
    #[serde(default)]
    program: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Integration for Papertrail {
    vendor_methods!(VENDOR);

    /// One kind of request: a body without `events` is not Papertrail's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("events") {
            Some(Value::Array(_)) => Ok("alert".to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let alert: Alert = parse(payload)?;
        let search = &alert.saved_search;
        let url = search.html_search_url.as_deref();
        let mut body = format!(
            "{} found **{}**:",
            linked(&format!("Search for \"{}\"", search.name), url),
            matches(alert.events.len())
        );
        let query = search.query.as_deref().unwrap_or(&search.name);
        for event in alert.events.iter().take(SHOWN_EVENTS) {
            let when = event
                .display_received_at
                .as_deref()
                .or(event.received_at.as_deref())
                .unwrap_or("unknown time");
            let source = event.source_name.as_deref().unwrap_or("unknown source");
            let program = event
                .program
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default();
            body.push_str(&format!(
                "\n\n{when} - {source}{program} - {query}:{}",
                quote(event.message.as_deref().unwrap_or(""))
            ));
        }
        if alert.events.len() > SHOWN_EVENTS {
            body.push_str(&format!("\n\n{}", linked("See more", url)));
        }
        let key = match &search.id {
            Some(Value::Number(id)) => format!("Papertrail search {id}"),
            Some(Value::String(id)) if !id.is_empty() => format!("Papertrail search {id}"),
            _ => format!("Papertrail search {}", search.name),
        };
        Ok(Formatted::one(key, search.name.clone(), body))
    }
}

/// `1 match`, `5 matches`.
fn matches(n: usize) -> String {
    if n == 1 {
        "1 match".to_string()
    } else {
        format!("{n} matches")
    }
}
