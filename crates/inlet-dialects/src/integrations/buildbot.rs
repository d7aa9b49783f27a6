//! Buildbot (`/api/v1/external/buildbot`, Buildbot's `ZulipStatusPush`
//! reporter): the event is the payload's `event`, `new` when a build
//! starts and `finished` when it ends; both go to the build's thread.
//! The reporter does not sign its requests.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Buildbot;

const EVENTS: &[&str] = &["new", "finished"];

static VENDOR: Vendor = Vendor::new("buildbot", "Buildbot", EVENTS).form_bodies_as_json();

/// Buildbot's result codes, in order (docs.buildbot.net "Build Result Codes").
const RESULTS: &[&str] = &[
    "success",
    "warnings",
    "failure",
    "skipped",
    "exception",
    "retry",
    "cancelled",
];

#[derive(Debug, Deserialize)]
struct Build {
    buildid: u64,
    buildername: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    results: Option<u64>,
}

impl Integration for Buildbot {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let is_build = payload.get("buildid").is_some();
        match payload.get("event").and_then(Value::as_str) {
            Some(event) if is_build => Ok(event.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let b: Build = parse_without_nulls(payload)?;
        let build = match b.url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => format!("[#{}]({url})", b.buildid),
            None => format!("#{}", b.buildid),
        };
        let body = if event == "new" {
            format!("Build {build} for **{}** started.", b.buildername)
        } else {
            let status = match b.results {
                Some(code) => usize::try_from(code)
                    .ok()
                    .and_then(|i| RESULTS.get(i))
                    .map_or_else(|| format!("unknown ({code})"), |r| r.to_string()),
                None => "unknown".to_string(),
            };
            format!(
                "Build {build} (result: {status}) for **{}** finished.",
                b.buildername
            )
        };
        let project = b.project.as_deref().filter(|p| !p.is_empty());
        let key = format!("{} / build #{}", project.unwrap_or("general"), b.buildid);
        let topic = format!("{key} {}", b.buildername);
        Ok(Formatted::one(key, topic, body))
    }
}
