//! Travis CI (`/api/v1/external/travis`): Travis posts a form whose
//! `payload` field is the build as JSON (a JSON body is read too). The
//! event is the build's `type` (`push`, `pull_request`, `cron`, `api`);
//! pull request builds are left out unless `ignore_pull_requests=false`,
//! as in Zulip. Travis signs with its own RSA key (`Signature`), which a
//! shared secret cannot check: there is no signature scheme here. A
//! build's start (`Pending`) and its result share the build's thread.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Travis;

const EVENTS: &[&str] = &["push", "pull_request", "cron", "api"];

static VENDOR: Vendor = Vendor::new("travis", "Travis", EVENTS)
    .form_payload_field()
    .form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Build {
    /// A string in Travis' payloads ("42"), a number in some proxies'.
    number: Value,
    status_message: String,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    compare_url: Option<String>,
    build_url: String,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    repository: Option<Repository>,
}

#[derive(Debug, Deserialize)]
struct Repository {
    name: String,
}

impl Integration for Travis {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let is_build =
            payload.get("status_message").is_some() && payload.get("build_url").is_some();
        match payload.get("type").and_then(Value::as_str) {
            Some(kind) if is_build => Ok(kind.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        let ignore_pull_requests = params
            .get("ignore_pull_requests")
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        if event == "pull_request" && ignore_pull_requests {
            return Ok(Formatted::Ignore(IgnoreReason::Filtered));
        }
        let build: Build = parse_without_nulls(payload)?;
        let status = build.status_message.as_str();
        let emoji = match status {
            "Passed" | "Fixed" => ":thumbs_up:".to_string(),
            "Failed" | "Broken" | "Still Failing" | "Errored" | "Canceled" => {
                ":thumbs_down:".to_string()
            }
            "Pending" => ":counterclockwise:".to_string(),
            other => format!("(No emoji specified for status '{other}'.)"),
        };
        let number = match &build.number {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let changes = match build.compare_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => format!("[changes]({url}), "),
            None => String::new(),
        };
        let body = format!(
            "Author: {}\nBuild status: {status} {emoji}\nDetails: {changes}[build log]({})",
            build.author_name.as_deref().unwrap_or("(unknown)"),
            build.build_url
        );
        let repo = build
            .repository
            .as_ref()
            .map_or("builds", |r| r.name.as_str());
        let key = format!("{repo} / build #{number}");
        let mut topic = key.clone();
        if let Some(branch) = build.branch.as_deref().filter(|b| !b.is_empty()) {
            topic.push_str(&format!(" ({branch})"));
        }
        Ok(Formatted::one(key, topic, body))
    }
}
