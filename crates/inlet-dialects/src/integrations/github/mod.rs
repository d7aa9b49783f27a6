//! GitHub (`/api/v1/external/github`): the event is the `X-GitHub-Event`
//! header refined by `action` into Zulip's event names (so users' existing
//! `only_events` lists keep working); `X-Hub-Signature-256` is verified
//! when the webhook has a secret; `X-GitHub-Delivery` is the idempotency key.

mod format;
mod payload;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::signature::verify_hmac_sha256;
use super::{Formatted, Integration};
use serde_json::Value;

pub struct GitHub;

const EVENT_HEADER: &str = "X-GitHub-Event";
const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Zulip's names where Zulip has the event; `workflow_run` is ours.
const EVENTS: &[&str] = &[
    "ping",
    "push_commits",
    "push_tags",
    "opened_pull_request",
    "closed_pull_request",
    "updated_pull_request",
    "pull_request_review_requested",
    "pull_request_ready_for_review",
    "pull_request_review",
    "issues",
    "issue_comment",
    "release",
    "create",
    "delete",
    "workflow_run",
    "check_run",
    "star",
    "fork",
];

impl Integration for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn display_name(&self) -> &'static str {
        "GitHub"
    }

    fn events(&self) -> &'static [&'static str] {
        EVENTS
    }

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let header = headers
            .get(EVENT_HEADER)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| IntegrationError::missing_header(EVENT_HEADER))?;
        let action = payload.get("action").and_then(Value::as_str);
        Ok(event_name(header, action, payload))
    }

    fn verify(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
    ) -> Result<(), IntegrationError> {
        let value = headers.get(SIGNATURE_HEADER);
        verify_hmac_sha256(SIGNATURE_HEADER, value, "sha256=", body, secret)
    }

    fn delivery_id(&self, headers: &Headers<'_>) -> Option<String> {
        headers.get("X-GitHub-Delivery").map(str::to_string)
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

/// The event name of a header and action. Undeclared names (answered as
/// unsupported) are `<header>:<action>`, as Zulip reports them.
fn event_name(header: &str, action: Option<&str>, payload: &Value) -> String {
    let named = match (header, action.unwrap_or("")) {
        ("ping", _) => "ping",
        ("push", _) => {
            let git_ref = payload.get("ref").and_then(Value::as_str).unwrap_or("");
            if git_ref.starts_with("refs/tags/") {
                "push_tags"
            } else {
                "push_commits"
            }
        }
        ("pull_request", "opened" | "reopened") => "opened_pull_request",
        ("pull_request", "closed") => "closed_pull_request",
        ("pull_request", "synchronize" | "edited") => "updated_pull_request",
        ("pull_request", "review_requested") => "pull_request_review_requested",
        ("pull_request", "ready_for_review") => "pull_request_ready_for_review",
        ("issues", a) if !is_issue_side_event(a) => "issues",
        (
            "pull_request_review"
            | "issue_comment"
            | "release"
            | "create"
            | "delete"
            | "workflow_run"
            | "check_run"
            | "star"
            | "fork",
            _,
        ) => header,
        _ => "",
    };
    match (named, action) {
        ("", Some(action)) => format!("{header}:{action}"),
        ("", None) => header.to_string(),
        (named, _) => named.to_string(),
    }
}

/// Issue actions Zulip gives events of their own, which we do not format.
fn is_issue_side_event(action: &str) -> bool {
    matches!(
        action,
        "labeled" | "unlabeled" | "milestoned" | "demilestoned" | "transferred"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_and_actions_map_to_zulips_names() {
        let p = json!({});
        assert_eq!(
            event_name("pull_request", Some("reopened"), &p),
            "opened_pull_request"
        );
        assert_eq!(
            event_name("pull_request", Some("labeled"), &p),
            "pull_request:labeled"
        );
        assert_eq!(event_name("issues", Some("labeled"), &p), "issues:labeled");
        assert_eq!(event_name("issues", Some("closed"), &p), "issues");
        assert_eq!(event_name("team", None, &p), "team");
        let tag = json!({"ref": "refs/tags/v1"});
        assert_eq!(event_name("push", None, &tag), "push_tags");
    }
}
