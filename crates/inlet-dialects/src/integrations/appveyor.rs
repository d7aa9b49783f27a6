//! AppVeyor (`/api/v1/external/appveyor`): a build's notification, its
//! `eventName` (`build_success`, `build_failure`) the event and its facts
//! under `eventData`, worded as Zulip's. AppVeyor does not sign its
//! requests. Each build has its thread (`<project> / build <version>`).

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::text::first_line;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct AppVeyor;

const EVENTS: &[&str] = &["build_success", "build_failure"];

static VENDOR: Vendor = Vendor::new("appveyor", "AppVeyor", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventData {
    project_name: String,
    build_version: String,
    status: String,
    #[serde(default)]
    build_url: Option<String>,
    #[serde(default)]
    commit_id: Option<String>,
    #[serde(default)]
    commit_message: Option<String>,
    #[serde(default)]
    commit_url: Option<String>,
    #[serde(default)]
    committer_name: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    started: Option<String>,
    #[serde(default)]
    finished: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    event_data: EventData,
}

impl Integration for AppVeyor {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let has_data = payload.get("eventData").is_some_and(Value::is_object);
        match payload.get("eventName").and_then(Value::as_str) {
            Some(name) if has_data => Ok(name.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let n: Notification = parse_without_nulls(payload)?;
        let d = &n.event_data;
        let build = format!("Build {} {} {}", d.project_name, d.build_version, d.status);
        let mut lines = vec![match d.build_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => format!("[{build}]({url}):"),
            None => format!("{build}:"),
        }];
        if let Some(id) = d.commit_id.as_deref() {
            let message = first_line(d.commit_message.as_deref().unwrap_or(""));
            let commit = match d.commit_url.as_deref() {
                Some(url) => format!("[{id}: {message}]({url})"),
                None => format!("{id}: {message}"),
            };
            let by = d
                .committer_name
                .as_deref()
                .map(|c| format!(" by {c}"))
                .unwrap_or_default();
            lines.push(format!("* **Commit**: {commit}{by}"));
        }
        if let Some(branch) = d.branch.as_deref() {
            lines.push(format!("* **Branch**: {branch}"));
        }
        for (label, value) in [("Started", &d.started), ("Finished", &d.finished)] {
            if let Some(value) = value.as_deref() {
                lines.push(format!("* **{label}**: {}", timestamp(value)));
            }
        }
        let key = format!("{} / build {}", d.project_name, d.build_version);
        Ok(Formatted::one(key.clone(), key, lines.join("\n")))
    }
}

/// AppVeyor's `5/3/2024 9:41 AM` (UTC) as `2024-05-03 09:41 UTC`; any other
/// text as it is.
fn timestamp(text: &str) -> String {
    parse_us_time(text).unwrap_or_else(|| text.to_string())
}

fn parse_us_time(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let (date, time, half) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let mut date = date.split('/').map(|n| n.parse::<u32>().ok());
    let (month, day, year) = (date.next()??, date.next()??, date.next()??);
    let (hour, minute) = time.split_once(':')?;
    let (hour, minute) = (hour.parse::<u32>().ok()?, minute.parse::<u32>().ok()?);
    let hour = match (half, hour) {
        ("AM", 12) => 0,
        ("AM", h) if h < 12 => h,
        ("PM", 12) => 12,
        ("PM", h) if h < 12 => h + 12,
        _ => return None,
    };
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && minute < 60;
    valid.then(|| format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appveyor_times_are_read_as_utc() {
        assert_eq!(timestamp("5/3/2024 9:41 AM"), "2024-05-03 09:41 UTC");
        assert_eq!(timestamp("12/31/2023 12:05 PM"), "2023-12-31 12:05 UTC");
        assert_eq!(timestamp("1/1/2024 12:00 AM"), "2024-01-01 00:00 UTC");
        assert_eq!(timestamp("yesterday"), "yesterday");
        assert_eq!(timestamp("13/1/2024 1:00 PM"), "13/1/2024 1:00 PM");
    }
}
