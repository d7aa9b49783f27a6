//! TeamCity (`/api/v1/external/teamcity`, the tcWebHooks plugin's JSON
//! format): one build notification under `build`, whose `buildResult`
//! (`success`, `failure`, `running`) is the event. A build's start and
//! result share the build's thread. tcWebHooks does not sign its
//! requests.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct TeamCity;

const EVENTS: &[&str] = &["success", "failure", "running"];

static VENDOR: Vendor = Vendor::new("teamcity", "TeamCity", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Notification {
    build: Build,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Build {
    build_full_name: String,
    build_status_url: String,
    /// A string in tcWebHooks' payloads; a number is taken too.
    build_number: Value,
    build_result: String,
    #[serde(default)]
    build_result_delta: Option<String>,
    #[serde(default)]
    build_status: Option<String>,
    #[serde(default)]
    branch_display_name: Option<String>,
    #[serde(default)]
    triggered_by: Option<String>,
    #[serde(default)]
    build_is_personal: Option<bool>,
    #[serde(default)]
    teamcity_properties: Vec<Property>,
}

#[derive(Debug, Deserialize)]
struct Property {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: Value,
}

impl Build {
    /// A developer's personal build (a remote run of uncommitted changes),
    /// which tcWebHooks marks with `buildIsPersonal` (recent versions) or
    /// the `env.BUILD_IS_PERSONAL` property.
    fn is_personal(&self) -> bool {
        self.build_is_personal == Some(true)
            || self
                .teamcity_properties
                .iter()
                .any(|p| p.name == "env.BUILD_IS_PERSONAL" && p.value.as_str() == Some("true"))
    }
}

impl Integration for TeamCity {
    vendor_methods!(VENDOR);

    /// The build's result; a payload without `build` (one of tcWebHooks'
    /// Slack or HipChat formats) is not the JSON format this reads.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let result = payload.get("build").and_then(|b| b.get("buildResult"));
        match result.and_then(Value::as_str) {
            Some(result) => Ok(result.to_string()),
            None => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let n: Notification = parse_without_nulls(payload)?;
        let b = &n.build;
        let status_text = b.build_status.as_deref().unwrap_or("unknown");
        let delta = b.build_result_delta.as_deref().unwrap_or("");
        let status = match (b.build_result.as_str(), delta) {
            ("success", "fixed") => "has been fixed! :thumbs_up:".to_string(),
            ("success", _) => "was successful! :thumbs_up:".to_string(),
            ("failure", "broken") => format!("is broken with status {status_text}! :thumbs_down:"),
            ("failure", _) => format!("is still broken with status {status_text}! :thumbs_down:"),
            _ => "has started.".to_string(),
        };
        let number = match &b.build_number {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let url = &b.build_status_url;
        // Zulip sends a personal build to its author alone; here it stays in
        // the build's thread, said to be personal.
        let personal = if b.is_personal() {
            "Personal build for "
        } else {
            ""
        };
        let mut body = format!(
            "{personal}{} build {number} {status} See [changes]({url}&tab=buildChangesDiv) and [build log]({url}).",
            b.build_full_name
        );
        if let Some(by) = b.triggered_by.as_deref().filter(|t| !t.is_empty()) {
            body.push_str(&format!("\nTriggered by {by}."));
        }
        let name = match b.branch_display_name.as_deref().filter(|b| !b.is_empty()) {
            Some(branch) => format!("{} ({branch})", b.build_full_name),
            None => b.build_full_name.clone(),
        };
        let key = format!("{name} / build {number}");
        Ok(Formatted::one(key.clone(), key, body))
    }
}
