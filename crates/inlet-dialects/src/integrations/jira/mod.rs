//! Jira (`/api/v1/external/jira`): the event is the payload's
//! `webhookEvent` (a payload with a `transition` and no `webhookEvent` is
//! an issue update, as Zulip reads it); Jira does not sign. Descriptions
//! and comments are converted from Jira markup to markdown.

mod format;
mod markup;
mod payload;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::{Formatted, Integration};
use serde_json::Value;

pub struct Jira;

/// Zulip's names (Jira's own).
const EVENTS: &[&str] = &[
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
];

impl Integration for Jira {
    fn name(&self) -> &'static str {
        "jira"
    }

    fn display_name(&self) -> &'static str {
        "Jira"
    }

    fn events(&self) -> &'static [&'static str] {
        EVENTS
    }

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("webhookEvent").and_then(Value::as_str) {
            Some(event) if !event.is_empty() => Ok(event.to_string()),
            _ if payload.get("transition").is_some() => Ok("jira:issue_updated".to_string()),
            _ => Err(IntegrationError::anomalous(self.display_name())),
        }
    }

    fn json_in_form_body(&self) -> bool {
        true
    }

    fn format(
        &self,
        event: &str,
        payload: &Value,
        params: &Params<'_>,
    ) -> Result<Formatted, IntegrationError> {
        format::format(event, payload, params)
    }
}
