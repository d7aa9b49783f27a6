//! SonarQube (`/api/v1/external/sonarqube`): one kind of notification, a
//! finished analysis with its quality gate (event `analysis`), posted in
//! the thread of the project's branch and worded as Zulip's (the failing
//! conditions listed). `X-Sonar-Webhook-HMAC-SHA256` (HMAC-SHA256 hex of
//! the body) is verified when the webhook has a secret.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct SonarQube;

const EVENTS: &[&str] = &["analysis"];

static VENDOR: Vendor = Vendor::new("sonarqube", "SonarQube", EVENTS)
    .hmac("X-Sonar-Webhook-HMAC-SHA256", "")
    .form_bodies_as_json();

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Analysis {
    project: Project,
    #[serde(default)]
    branch: Option<Branch>,
    quality_gate: QualityGate,
}

#[derive(Debug, Deserialize)]
struct Project {
    name: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Branch {
    /// Absent (or null) for the main branch of some SonarQube editions.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QualityGate {
    status: String,
    #[serde(default)]
    conditions: Vec<Condition>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Condition {
    #[serde(default)]
    metric: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    error_threshold: Option<Value>,
    #[serde(default)]
    value: Option<Value>,
}

impl Integration for SonarQube {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let is_analysis = payload.get("project").is_some() && payload.get("qualityGate").is_some();
        if is_analysis {
            Ok("analysis".to_string())
        } else {
            Err(VENDOR.anomalous())
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let a: Analysis = parse_without_nulls(payload)?;
        let gate = &a.quality_gate;
        let result = if gate.status.eq_ignore_ascii_case("ok") {
            "success"
        } else {
            "error"
        };
        let url = a
            .branch
            .as_ref()
            .and_then(|b| b.url.as_deref())
            .or(a.project.url.as_deref());
        let project = match url {
            Some(url) => format!("[{}]({url})", a.project.name),
            None => a.project.name.clone(),
        };
        let branch = a
            .branch
            .as_ref()
            .and_then(|b| b.name.as_deref())
            .filter(|n| !n.is_empty());
        let of_branch = branch
            .map(|b| format!(" of branch {b}"))
            .unwrap_or_default();
        let failing: Vec<String> = gate
            .conditions
            .iter()
            .filter(|c| {
                !matches!(
                    c.status.to_ascii_lowercase().as_str(),
                    "" | "ok" | "no_value"
                )
            })
            .map(condition_line)
            .collect();
        let mut body = format!("Project {project} analysis{of_branch} resulted in {result}");
        if failing.is_empty() {
            body.push('.');
        } else {
            body.push_str(&format!(":\n{}", failing.join("\n")));
        }
        let key = match branch {
            Some(branch) => format!("{} / {branch}", a.project.name),
            None => a.project.name.clone(),
        };
        Ok(Formatted::one(key.clone(), key, body))
    }
}

fn text(value: &Option<Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "no value".to_string(),
        Some(other) => other.to_string(),
    }
}

/// `* `new coverage`: **error** (value: 42.0, should be greater than or
/// equal to 80)`: the gate's operator said the way Zulip says it, the
/// threshold alone when Sonar names no operator.
fn condition_line(c: &Condition) -> String {
    let threshold = text(&c.error_threshold);
    let rule = match c.operator.as_deref() {
        Some("GREATER_THAN") => format!("should be less than or equal to {threshold}"),
        Some("LESS_THAN") => format!("should be greater than or equal to {threshold}"),
        Some("WORSE_THAN") => format!("should be better or equal to {threshold}"),
        _ => format!("threshold: {threshold}"),
    };
    format!(
        "* `{}`: **{}** (value: {}, {rule})",
        c.metric.replace('_', " "),
        c.status.to_ascii_lowercase(),
        text(&c.value),
    )
}
