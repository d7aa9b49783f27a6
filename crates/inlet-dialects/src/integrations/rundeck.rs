//! Rundeck (`/api/v1/external/rundeck`, a job's webhook notification in
//! JSON): the event is the notification's `trigger` (`start`, `success`,
//! `failure`, `avgduration`, `retryablefailure`); an execution's start and
//! end share its thread. Rundeck does not sign its notifications.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Rundeck;

const EVENTS: &[&str] = &[
    "start",
    "success",
    "failure",
    "avgduration",
    "retryablefailure",
];

static VENDOR: Vendor = Vendor::new("rundeck", "Rundeck", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Notification {
    execution: Execution,
}

#[derive(Debug, Deserialize)]
struct Execution {
    id: Value,
    #[serde(default)]
    href: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    user: Option<String>,
    job: Job,
}

#[derive(Debug, Deserialize)]
struct Job {
    name: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    permalink: Option<String>,
}

impl Integration for Rundeck {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let has_execution = payload.get("execution").is_some_and(Value::is_object);
        match payload.get("trigger").and_then(Value::as_str) {
            Some(trigger) if has_execution => Ok(trigger.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let n: Notification = parse_without_nulls(payload)?;
        let e = &n.execution;
        let what = match event {
            "start" => "has **started**",
            "success" => "has **succeeded**",
            "failure" => "has **failed**",
            "retryablefailure" => "has **failed** and will be retried",
            _ => "is running **longer than its average duration**",
        };
        let id = match &e.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let link = |text: String, url: Option<&str>| match url.filter(|u| !u.is_empty()) {
            Some(url) => format!("[{text}]({url})"),
            None => text,
        };
        // Zulip's: the job (its page), the execution (its page) and the
        // project, since a long job name can push them out of the topic.
        let job = link(e.job.name.clone(), e.job.permalink.as_deref());
        let execution = link(format!("#{id}"), e.href.as_deref());
        let project = e
            .project
            .as_deref()
            .map(|p| format!(" for {p}"))
            .unwrap_or_default();
        let mut body = format!("{job} execution {execution}{project} {what}.");
        if let Some(user) = e.user.as_deref().filter(|u| !u.is_empty()) {
            body.push_str(&format!(" Run by {user}."));
        }
        let group = e.job.group.as_deref().filter(|g| !g.is_empty());
        let name = match group {
            Some(group) => format!("{group}/{}", e.job.name),
            None => e.job.name.clone(),
        };
        let key = match e.project.as_deref() {
            Some(project) => format!("{project} / {name} #{id}"),
            None => format!("{name} #{id}"),
        };
        Ok(Formatted::one(key.clone(), key, body))
    }
}
