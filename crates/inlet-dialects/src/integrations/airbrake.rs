//! Airbrake (`/api/v1/external/airbrake`, a project's webhook
//! integration): an error's occurrences post in the error group's
//! thread, in Zulip's words (`[ZeroDivisionError](<url>): "…" occurred.`)
//! with where, in which environment and how often. Airbrake does not
//! sign.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{code_span, linked};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Airbrake;

static VENDOR: Vendor = Vendor::new("airbrake", "Airbrake", &["error"]);

#[derive(Debug, Deserialize)]
struct Notification {
    error: Error,
    #[serde(default)]
    airbrake_error_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Error {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    error_class: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line_number: Option<Value>,
    project: Project,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    times_occurred: Option<Value>,
    #[serde(default)]
    last_occurred_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Project {
    name: String,
}

impl Integration for Airbrake {
    vendor_methods!(VENDOR);

    /// One kind of notification: a body without an `error` object is
    /// not Airbrake's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("error") {
            Some(Value::Object(_)) => Ok("error".to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let n: Notification = parse(payload)?;
        let e = &n.error;
        let class = e
            .error_class
            .as_deref()
            .filter(|c| !c.is_empty())
            .unwrap_or("Error");
        let message = e.error_message.as_deref().unwrap_or("");
        let mut body = format!(
            "{}: \"{message}\" occurred.",
            linked(class, n.airbrake_error_url.as_deref())
        );
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        if let Some(file) = e.file.as_deref().filter(|f| !f.is_empty()) {
            let line = e
                .line_number
                .as_ref()
                .map(|l| format!(":{}", text(l)))
                .unwrap_or_default();
            body.push_str(&format!(
                "\n* **Location**: {}",
                code_span(&format!("{file}{line}"))
            ));
        }
        if let Some(env) = e.environment.as_deref().filter(|v| !v.is_empty()) {
            body.push_str(&format!("\n* **Environment**: {env}"));
        }
        if let Some(times) = &e.times_occurred {
            let last = e
                .last_occurred_at
                .as_deref()
                .map(|l| format!(", last at {l}"))
                .unwrap_or_default();
            body.push_str(&format!("\n* **Occurrences**: {}{last}", text(times)));
        }
        let project = &e.project.name;
        let key = match &e.id {
            Some(id) => format!("Airbrake error {}", text(id)),
            None => format!("Airbrake error {project} {class} {message}"),
        };
        Ok(Formatted::one(key, format!("{project} / {class}"), body))
    }
}
