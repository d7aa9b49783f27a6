//! Splunk (`/api/v1/external/splunk`, an alert's webhook action): one
//! message per triggered alert, in the saved search's thread, so a
//! search's alerts read together. Every field is optional, as Zulip reads
//! them; a body with none of Splunk's is refused. Splunk does not sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{code_span, linked};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Splunk;

static VENDOR: Vendor = Vendor::new("splunk", "Splunk", &["alert"]).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Alert {
    #[serde(default)]
    search_name: Option<String>,
    #[serde(default)]
    results_link: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    app: Option<String>,
    #[serde(default)]
    result: Option<SearchResult>,
}

#[derive(Debug, Default, Deserialize)]
struct SearchResult {
    #[serde(default)]
    host: Option<Value>,
    #[serde(default)]
    source: Option<Value>,
    #[serde(default, rename = "_raw")]
    raw: Option<Value>,
}

impl Integration for Splunk {
    vendor_methods!(VENDOR);

    /// Splunk sends one kind of request; a body with none of its fields
    /// is not Splunk's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let known = ["search_name", "results_link", "result", "sid"];
        if known.iter().any(|k| payload.get(k).is_some()) {
            Ok("alert".to_string())
        } else {
            Err(VENDOR.anomalous())
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let alert: Alert = parse(payload)?;
        let search = alert
            .search_name
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("Missing search_name");
        let result = alert.result.unwrap_or_default();
        // Splunk's result fields are strings, or lists for multivalue ones.
        let field = |value: &Option<Value>, missing: &str| match value {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            Some(other) => other.to_string(),
            None => missing.to_string(),
        };
        let mut body = format!(
            "Splunk alert from saved search:\n* **Search**: {}\n* **Host**: {}\n* **Source**: {}\n* **Raw**: {}",
            linked(search, alert.results_link.as_deref()),
            field(&result.host, "Missing host"),
            code_span(&field(&result.source, "Missing source")),
            // One line: a multi-line event would end the code span's list item.
            code_span(&one_line(&field(&result.raw, "Missing _raw"))),
        );
        if let Some(owner) = alert.owner.as_deref().filter(|o| !o.is_empty()) {
            let app = alert
                .app
                .as_deref()
                .map(|a| format!(" (app `{a}`)"))
                .unwrap_or_default();
            body.push_str(&format!("\n* **Owner**: {owner}{app}"));
        }
        Ok(Formatted::one(
            format!("Splunk search {search}"),
            search,
            body,
        ))
    }
}

/// The lines of `text` joined by spaces.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join(" ")
}
