//! Jira (`/api/v1/external/jira`): the event is the payload's
//! `webhookEvent` (a payload with a `transition` and no `webhookEvent` is
//! an issue update, as Zulip reads it); Jira does not sign. Descriptions
//! and comments are converted from Jira markup to markdown. Jira escapes
//! the webhook URL's parameters twice, so `stream` and `topic` are
//! decoded once more.

mod format;
mod markup;
mod payload;

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
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

static VENDOR: Vendor = Vendor::new("jira", "Jira", EVENTS).form_bodies_as_json();

impl Integration for Jira {
    vendor_methods!(VENDOR, format: format::format);

    fn unquotes_url_parameters(&self) -> bool {
        true
    }

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("webhookEvent").and_then(Value::as_str) {
            Some(event) if !event.is_empty() => Ok(event.to_string()),
            _ if payload.get("transition").is_some() => Ok("jira:issue_updated".to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }
}
