//! Bitbucket Cloud (`/api/v1/external/bitbucket2`): the event is read
//! from the payload as Zulip reads it (`push`, `fork`, `issue`, …), and
//! from the `X-Event-Key` header for pull requests and repository updates;
//! `X-Hub-Signature` (`sha256=<hex>` HMAC-SHA256 of the body) is verified
//! when the webhook has a secret; `X-Request-UUID` is the idempotency key.
//! Messages use the shared git wording (`git/`).

mod format;
mod payload;

use super::Formatted;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
use super::{Integration, TextRequest};
use serde_json::Value;

pub struct Bitbucket2;

/// Zulip's event names.
const EVENTS: &[&str] = &[
    "push",
    "fork",
    "commit_comment",
    "change_commit_status",
    "issue_created",
    "issue_updated",
    "issue_commented",
    "pull_request_created",
    "pull_request_updated",
    "pull_request_approved",
    "pull_request_unapproved",
    "pull_request_fulfilled",
    "pull_request_rejected",
    "pull_request_comment_created",
    "pull_request_comment_updated",
    "pull_request_comment_deleted",
    "repo:updated",
];

static VENDOR: Vendor = Vendor::new("bitbucket2", "Bitbucket", EVENTS)
    .headers("X-Event-Key", "X-Request-UUID")
    .hmac("X-Hub-Signature", "sha256=")
    .form_bodies_as_json();

impl Integration for Bitbucket2 {
    vendor_methods!(VENDOR, format: format::format);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        // Every Bitbucket repository event names its repository.
        if payload.get("repository").is_none_or(|r| !r.is_object()) {
            return Err(VENDOR.anomalous());
        }
        let has = |key: &str| payload.get(key).is_some();
        let event = if has("push") {
            "push".to_string()
        } else if has("fork") {
            "fork".to_string()
        } else if has("comment") && has("commit") {
            "commit_comment".to_string()
        } else if has("commit_status") {
            "change_commit_status".to_string()
        } else if has("issue") {
            if has("changes") {
                "issue_updated".to_string()
            } else if has("comment") {
                "issue_commented".to_string()
            } else {
                "issue_created".to_string()
            }
        } else if has("pullrequest") {
            let key = VENDOR.required_event(headers)?;
            match key.strip_prefix("pullrequest:") {
                Some(action) => format!("pull_request_{action}"),
                None => key.to_string(),
            }
        } else {
            VENDOR.required_event(headers)?.to_string()
        };
        Ok(event)
    }

    /// Pushes, Bitbucket's commonest deliveries, are read straight from the
    /// text (their many small `links` objects make the JSON tree costly);
    /// a push that does not read that way (a `null` where a value is
    /// expected, say) and every other event take the general route.
    fn format_text(&self, request: &TextRequest<'_>) -> Option<(String, Formatted)> {
        let push: payload::PushEvent = VENDOR.typed_event(request, "repo:push")?;
        let formatted = format::push(&push, request.params).ok()?;
        Some(("push".to_string(), formatted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::text_route_tests::compare_push_routes;

    /// A push with the `null`s Bitbucket sends for what it leaves out.
    const PUSH_WITH_NULLS: &str = r#"{
        "actor": {"display_name": "Ada", "nickname": null},
        "repository": {"name": "r", "full_name": "o/r", "links": {"html": {"href": "https://bitbucket.org/o/r"}}},
        "push": {"changes": [{"new": {"type": "branch", "name": "main", "target": {"hash": "0123456789abcdef"}},
                              "old": null, "created": true, "forced": false, "truncated": false,
                              "commits": [], "links": null}]}
    }"#;

    #[test]
    fn pushes_read_from_the_text_format_as_through_the_json_value() {
        let queries: [&[(&str, &str)]; 3] =
            [&[], &[("branches", "main, dev")], &[("topic", "elsewhere")]];
        // Left to the general route: refusals, and pushes with a `null`
        // where the typed read expects a value.
        let event = ("x-event-key", "repo:push");
        let (read_from_text, bodies) =
            compare_push_routes(&Bitbucket2, 8, PUSH_WITH_NULLS, event, &queries, |_| {});
        assert!(read_from_text >= 3 * (bodies - 3), "{read_from_text}");
    }
}
