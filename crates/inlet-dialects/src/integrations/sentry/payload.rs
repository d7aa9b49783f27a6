//! Sentry integration-platform webhook payloads, as much of each as the
//! messages use (docs.sentry.io "Integration Platform › Webhooks"). Every
//! field read is typed, so a missing or mistyped one is named.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Actor {
    pub name: String,
}

/// `installation` (created when the integration is installed).
#[derive(Debug, Deserialize)]
pub struct InstallationEvent {
    #[serde(default)]
    pub actor: Option<Actor>,
}

#[derive(Debug, Deserialize)]
pub struct IssueEvent {
    pub action: String,
    #[serde(default)]
    pub actor: Option<Actor>,
    pub data: IssueData,
}

#[derive(Debug, Deserialize)]
pub struct IssueData {
    pub issue: Issue,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    pub title: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub last_seen: Option<String>,
    #[serde(default)]
    pub assigned_to: Option<Assignee>,
    /// Snake case, unlike the rest of the issue.
    #[serde(default, rename = "web_url")]
    pub web_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Assignee {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct EventAlert {
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub event: Event,
    #[serde(default)]
    pub triggered_rule: Option<String>,
}

/// `error` (an error event, `action: created`): the event under `error`.
#[derive(Debug, Deserialize)]
pub struct ErrorEvent {
    pub data: ErrorData,
}

#[derive(Debug, Deserialize)]
pub struct ErrorData {
    pub error: Event,
}

/// An event as Sentry describes it, in alerts, errors and the webhooks
/// plugin (which has no `web_url`; the plugin's issue URL stands in).
#[derive(Debug, Deserialize)]
pub struct Event {
    pub title: String,
    #[serde(default)]
    pub web_url: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub datetime: Option<String>,
    #[serde(default)]
    pub timestamp: Option<Value>,
    #[serde(default)]
    pub received: Option<Value>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub exception: Option<Exceptions>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Exceptions {
    pub values: Vec<Exception>,
}

#[derive(Debug, Deserialize)]
pub struct Exception {
    #[serde(default)]
    pub stacktrace: Option<Stacktrace>,
}

#[derive(Debug, Deserialize)]
pub struct Stacktrace {
    pub frames: Vec<Frame>,
}

#[derive(Debug, Deserialize)]
pub struct Frame {
    #[serde(default)]
    pub filename: Option<String>,
    /// `null` in frames Sentry has no source for, as the post context is
    /// at the end of a file.
    #[serde(default)]
    pub pre_context: Option<Vec<String>>,
    #[serde(default)]
    pub context_line: Option<String>,
    #[serde(default)]
    pub post_context: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct MetricAlertEvent {
    pub action: String,
    pub data: MetricData,
}

#[derive(Debug, Deserialize)]
pub struct MetricData {
    pub description_title: String,
    #[serde(default)]
    pub description_text: Option<String>,
    pub web_url: String,
    pub metric_alert: MetricAlert,
}

#[derive(Debug, Deserialize)]
pub struct MetricAlert {
    pub title: String,
}

/// The legacy webhooks plugin's payload: no `data`, no resource header.
/// Current Sentry adds the `event` (read as an [`Event`] when it has an
/// `event_id`); older ones sent only the message.
#[derive(Debug, Deserialize)]
pub struct PluginEvent {
    pub project_name: String,
    #[serde(default)]
    pub event: Option<Value>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}
