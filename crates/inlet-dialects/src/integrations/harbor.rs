//! Harbor (`/api/v1/external/harbor`, a project's webhook policy): the
//! event is the payload's `type`; pushed artifacts and finished scans are
//! posted in the image repository's thread. Harbor sends the policy's
//! "Auth Header" as `Authorization`, checked against the webhook's secret
//! (constant time) when it has one.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct Harbor;

const EVENTS: &[&str] = &["PUSH_ARTIFACT", "SCANNING_COMPLETED", "SCANNING_FAILED"];

static VENDOR: Vendor = Vendor::new("harbor", "Harbor", EVENTS)
    .token("Authorization")
    .form_bodies_as_json();

/// The vulnerability report Harbor's scanners write.
const REPORT: &str = "application/vnd.security.vulnerability.report; version=1.1";

/// Harbor's severities, most severe first.
const SEVERITIES: &[&str] = &["Critical", "High", "Medium", "Low", "Negligible", "Unknown"];

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    operator: Option<String>,
    event_data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    #[serde(default)]
    resources: Vec<Resource>,
    repository: Repository,
}

#[derive(Debug, Deserialize)]
struct Resource {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    resource_url: Option<String>,
    #[serde(default)]
    scan_overview: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct Repository {
    repo_full_name: String,
}

impl Integration for Harbor {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let has_data = payload.get("event_data").is_some_and(Value::is_object);
        match payload.get("type").and_then(Value::as_str) {
            Some(kind) if has_data => Ok(kind.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let e: Event = parse_without_nulls(payload)?;
        let repo = &e.event_data.repository.repo_full_name;
        let resource = e.event_data.resources.first();
        // `<repo>:<tag>`, or `<repo>@<digest>` for an untagged artifact.
        let image = match resource.map(|r| (r.tag.as_deref(), r.digest.as_deref())) {
            Some((Some(tag), _)) => format!("`{repo}:{tag}`"),
            Some((None, Some(digest))) => format!("`{repo}@{digest}`"),
            _ => format!("`{repo}`"),
        };
        let body = match event {
            "PUSH_ARTIFACT" => {
                let operator = e.operator.as_deref().unwrap_or("(unknown)");
                let mut line = format!("**{operator}** pushed image {image}");
                if let Some(url) = resource.and_then(|r| r.resource_url.as_deref()) {
                    line.push_str(&format!(" (`{url}`)"));
                }
                line
            }
            "SCANNING_FAILED" => format!("Image scan failed for {image}."),
            _ => scan_completed(&image, resource),
        };
        Ok(Formatted::one(repo.clone(), repo.clone(), body))
    }
}

/// Zulip's scan summary: a bullet per severity with its count.
fn scan_completed(image: &str, resource: Option<&Resource>) -> String {
    let report = resource
        .and_then(|r| r.scan_overview.as_ref())
        .and_then(|o| o.get(REPORT));
    let Some(report) = report else {
        return format!("Image scan completed for {image}; Harbor sent no vulnerability report.");
    };
    let counts = report
        .pointer("/summary/summary")
        .and_then(Value::as_object);
    let mut counts: Vec<(&String, &Value)> = counts.into_iter().flatten().collect();
    // Most severe first; names Harbor does not rank after them, by name.
    counts.sort_by_key(|(severity, _)| {
        let rank = SEVERITIES.iter().position(|s| s == severity);
        (rank.unwrap_or(SEVERITIES.len()), severity.as_str())
    });
    let lines: Vec<String> = counts
        .into_iter()
        .map(|(severity, count)| format!("* {severity}: **{count}**"))
        .collect();
    let results = if lines.is_empty() {
        "None".to_string()
    } else {
        lines.join("\n")
    };
    format!("Image scan completed for {image}. Vulnerabilities by severity:\n\n{results}")
}
