//! GitLab (`/api/v1/external/gitlab`): the event is the `X-Gitlab-Event`
//! header, refined as Zulip does (`Merge Request Hook merge`, `Note Hook
//! Issue`) so users' existing `only_events` lists keep working;
//! `X-Gitlab-Token` must equal the webhook's secret when it has one;
//! `X-Gitlab-Event-UUID` is the idempotency key.

mod format;
mod payload;

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
use serde_json::Value;

pub struct GitLab;

static VENDOR: Vendor = Vendor::new("gitlab", "GitLab", EVENTS)
    .headers("X-Gitlab-Event", "X-Gitlab-Event-UUID")
    .token("X-Gitlab-Token")
    .form_bodies_as_json();

/// Zulip's names (its `EVENT_FUNCTION_MAPPER` keys) for what we format.
const EVENTS: &[&str] = &[
    "Test Hook",
    "Push Hook",
    "Tag Push Hook",
    "Merge Request Hook open",
    "Merge Request Hook close",
    "Merge Request Hook reopen",
    "Merge Request Hook merge",
    "Merge Request Hook update",
    "Merge Request Hook approved",
    "Merge Request Hook approval",
    "Merge Request Hook unapproval",
    "Merge Request Hook unapproved",
    "Issue Hook open",
    "Issue Hook close",
    "Issue Hook reopen",
    "Issue Hook update",
    "Confidential Issue Hook open",
    "Confidential Issue Hook close",
    "Confidential Issue Hook reopen",
    "Confidential Issue Hook update",
    "Note Hook MergeRequest",
    "Note Hook Issue",
    "Note Hook Commit",
    "Note Hook Snippet",
    "Note Hook DesignManagement::Design",
    "Confidential Note Hook Issue",
    "Confidential Note Hook DesignManagement::Design",
    "Wiki Page Hook create",
    "Wiki Page Hook update",
    "Wiki Page Hook delete",
    "Pipeline Hook",
    "Job Hook",
    "Build Hook",
    "Release Hook",
    "Deployment Hook",
    "Feature Flag Hook",
    "Resource Access Token Hook",
];

impl Integration for GitLab {
    vendor_methods!(VENDOR, format: format::format);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let header = VENDOR.required_event(headers)?;
        // Every GitLab hook body names its kind; the instance-wide events of
        // a system hook (`repository_update`, `project_create`…) only by
        // `event_name`.
        let named = |key: &str| payload.get(key).and_then(Value::as_str).is_some();
        if !named("object_kind") && !named("event_name") {
            return Err(VENDOR.anomalous());
        }
        Ok(event_name(header, payload))
    }
}

/// Zulip's refinement: issue and merge request hooks take the action
/// (default `open`), note hooks the noteable type.
fn event_name(header: &str, payload: &Value) -> String {
    let system = system_hook_name(header, payload);
    let header = system.as_deref().unwrap_or(header);
    let attribute = |name: &str| {
        payload
            .get("object_attributes")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
    };
    match header {
        "Issue Hook" | "Confidential Issue Hook" | "Merge Request Hook" | "Wiki Page Hook" => {
            format!("{header} {}", attribute("action").unwrap_or("open"))
        }
        "Note Hook" | "Confidential Note Hook" => {
            format!("{header} {}", attribute("noteable_type").unwrap_or(""))
        }
        _ => header.to_string(),
    }
}

/// A `System Hook` carries a project event of the instance: its
/// `event_name` (else `object_kind`) names it, `merge_request` meaning
/// `Merge Request Hook`, as Zulip reads it.
fn system_hook_name(header: &str, payload: &Value) -> Option<String> {
    if header != "System Hook" {
        return None;
    }
    let name = payload
        .get("event_name")
        .and_then(Value::as_str)
        .or_else(|| payload.get("object_kind").and_then(Value::as_str))?;
    let words: Vec<String> = name
        .split("__")
        .next()
        .unwrap_or(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect();
    Some(format!("{} Hook", words.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_are_refined_like_zulip() {
        let mr = json!({"object_attributes": {"action": "merge"}});
        assert_eq!(
            event_name("Merge Request Hook", &mr),
            "Merge Request Hook merge"
        );
        assert_eq!(event_name("Issue Hook", &json!({})), "Issue Hook open");
        let note = json!({"object_attributes": {"noteable_type": "Commit"}});
        assert_eq!(event_name("Note Hook", &note), "Note Hook Commit");
        assert_eq!(event_name("Push Hook", &json!({})), "Push Hook");
        let system =
            json!({"event_name": "merge_request", "object_attributes": {"action": "open"}});
        assert_eq!(
            event_name("System Hook", &system),
            "Merge Request Hook open"
        );
        let system = json!({"event_name": "repository_update"});
        assert_eq!(event_name("System Hook", &system), "Repository Update Hook");
    }
}
