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
use crate::body::JsonText;
use payload::PushEvent;
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

    fn headers(&self) -> &'static [&'static str] {
        &[EVENT_HEADER, "X-GitHub-Delivery"]
    }

    fn format(
        &self,
        event: &str,
        payload: &Value,
        params: &Params<'_>,
    ) -> Result<Formatted, IntegrationError> {
        format::format(event, payload, params)
    }

    /// Pushes, GitHub's commonest and largest deliveries, are read
    /// straight from the text; other events take the general route.
    fn format_text(
        &self,
        headers: &Headers<'_>,
        json: &JsonText<'_>,
        params: &Params<'_>,
    ) -> Option<(String, Formatted)> {
        if headers.get(EVENT_HEADER)? != "push" {
            return None;
        }
        let push: PushEvent<'_> = json.typed()?;
        let event = push_event(&push.git_ref);
        let formatted = format::push(event, &push, params).ok()?;
        Some((event.to_string(), formatted))
    }
}

/// A push of a tag or of a branch.
fn push_event(git_ref: &str) -> &'static str {
    if git_ref.starts_with("refs/tags/") {
        "push_tags"
    } else {
        "push_commits"
    }
}

/// The event name of a header and action. Undeclared names (answered as
/// unsupported) are `<header>:<action>`, as Zulip reports them.
fn event_name(header: &str, action: Option<&str>, payload: &Value) -> String {
    let named = match (header, action.unwrap_or("")) {
        ("ping", _) => "ping",
        ("push", _) => push_event(payload.get("ref").and_then(Value::as_str).unwrap_or("")),
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
    use crate::body::json_text_strict;
    use serde_json::json;
    use std::path::Path;

    /// A push whose strings have escapes, so that serde copies them.
    const ESCAPED_PUSH: &str = r#"{
        "ref": "refs\/heads\/main",
        "compare": "https:\/\/github.com\/o\/r\/compare\/a...b",
        "forced": true,
        "commits": [
            {"id": "0123456789abcdef", "url": "https:\/\/github.com\/o\/r\/commit\/0123456789abcdef",
             "message": "Say \"hi\" to Ren\u00e9\r\n\r\nbody", "author": {"name": "Ren\u00e9", "username": null}},
            {"id": "fedcba98", "url": "u", "message": "", "author": {"name": "x", "username": "octo\u0063at"}}
        ],
        "repository": {"name": "r", "full_name": "o\/r", "html_url": "https:\/\/github.com\/o\/r"},
        "sender": {"login": "octocat"}
    }"#;

    /// What the general route makes of a request: the event, then its
    /// messages.
    fn general_route(
        headers: &Headers<'_>,
        json: &JsonText<'_>,
        params: &Params<'_>,
    ) -> Result<(String, Formatted), IntegrationError> {
        let payload = Value::Object(json.object()?);
        let event = GitHub.event_of(headers, &payload)?;
        let formatted = GitHub.format(&event, &payload, params)?;
        Ok((event, formatted))
    }

    #[test]
    fn pushes_read_from_the_text_format_as_through_the_json_value() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/integrations/github");
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_str().unwrap();
                name.starts_with("push__") && name.matches('.').count() == 1
            })
            .map(|path| std::fs::read(path).unwrap())
            .collect();
        assert!(bodies.len() >= 10, "the push fixtures are missing");
        bodies.push(ESCAPED_PUSH.as_bytes().to_vec());
        let header = [("x-github-event".to_string(), "push".to_string())];
        let headers = Headers::new(&header);
        let queries: [&[(&str, &str)]; 4] = [
            &[],
            &[("topic", "elsewhere")],
            &[("branches", "main, dev")],
            &[("branches", "dev")],
        ];
        let mut read_from_text = 0;
        for body in &bodies {
            let json = json_text_strict(Some("application/json"), body, 64).unwrap();
            for query in queries {
                let query: Vec<(String, String)> = query
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let params = Params::new(&query, body).unwrap();
                let general = general_route(&headers, &json, &params);
                match GitHub.format_text(&headers, &json, &params) {
                    Some(found) => {
                        read_from_text += 1;
                        assert_eq!(Ok(found), general);
                    }
                    // Only refusals are left to the general route here.
                    None => assert!(general.is_err(), "{general:?}"),
                }
            }
        }
        assert!(read_from_text >= 4 * (bodies.len() - 2), "{read_from_text}");
    }

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
