//! GitHub (`/api/v1/external/github`): the event is the `X-GitHub-Event`
//! header refined by `action` into Zulip's event names (so users' existing
//! `only_events` lists keep working); `X-Hub-Signature-256` is verified
//! when the webhook has a secret; `X-GitHub-Delivery` is the idempotency key.

mod discussion;
mod format;
mod payload;
mod sponsors;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::vendor::{Vendor, event_names, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration, TextRequest};
use payload::PushEvent;
use serde_json::Value;

pub struct GitHub;

static VENDOR: Vendor = Vendor::new("github", "GitHub", EVENTS)
    // Zulip's URL for a GitHub Sponsors listing's webhook.
    .aliases(&["githubsponsors"])
    .headers("X-GitHub-Event", "X-GitHub-Delivery")
    .hmac("X-Hub-Signature-256", "sha256=");

/// Zulip's names where Zulip has the event; `workflow_run` is ours.
const REPOSITORY_EVENTS: &[&str] = &[
    "ping",
    "push_commits",
    "push_tags",
    "opened_pull_request",
    "closed_pull_request",
    "updated_pull_request",
    "pull_request_review_requested",
    "pull_request_ready_for_review",
    "assigned_or_unassigned_pull_request",
    "locked_or_unlocked_pull_request",
    "pull_request_auto_merge",
    "pull_request_review",
    "pull_request_review_comment",
    "issues",
    "issue_labeled_or_unlabeled",
    "issue_milestoned_or_demilestoned",
    "issues_transferred",
    "issues_opened_via_transfer",
    "issue_comment",
    "commit_comment",
    "release",
    "create",
    "delete",
    "workflow_run",
    "check_run",
    "status",
    "deployment",
    "deployment_status",
    "discussion",
    "discussion_comment",
    "gollum",
    "star",
    "watch",
    "fork",
    "public",
    "repository",
    "page_build",
    "team",
    "team_add",
    "member",
    "membership",
];

/// Every event name: the repository's and organisation's, then GitHub
/// Sponsors' (`sponsorship`), named by action.
const EVENTS: &[&str] = event_names!(REPOSITORY_EVENTS, sponsors::ACTIONS);

impl Integration for GitHub {
    vendor_methods!(VENDOR);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let header = VENDOR.required_event(headers)?;
        let action = payload.get("action").and_then(Value::as_str);
        Ok(event_name(header, action, payload))
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        let repo = payload.get("repository").map(|r| RepoOptions {
            full_name: r.get("full_name").and_then(Value::as_str),
            html_url: r.get("html_url").and_then(Value::as_str),
            private: r.get("private").and_then(Value::as_bool).unwrap_or(false),
        });
        with_repository_options(params, repo, || format::format(event, payload, params))
    }

    /// Pushes, GitHub's commonest and largest deliveries, are read
    /// straight from the text; other events take the general route.
    fn format_text(&self, request: &TextRequest<'_>) -> Option<(String, Formatted)> {
        let push: PushEvent<'_> = VENDOR.typed_event(request, "push")?;
        let params = request.params;
        let event = push_event(&push.git_ref);
        let repo = RepoOptions {
            full_name: Some(&push.repository.full_name),
            html_url: Some(&push.repository.html_url),
            private: push.repository.private,
        };
        let formatted =
            with_repository_options(params, Some(repo), || format::push(event, &push, params))
                .ok()?;
        Some((event.to_string(), formatted))
    }
}

/// What the repository options need of an event's repository.
struct RepoOptions<'a> {
    full_name: Option<&'a str>,
    html_url: Option<&'a str>,
    private: bool,
}

/// Applies `ignore_private_repositories` (a private repository's events
/// are not posted; a missing `private` reads as public, as GitHub always
/// sends it) and `include_repository_name` (each message starts with the
/// repository, for channels that several repositories post to).
fn with_repository_options(
    params: &Params<'_>,
    repo: Option<RepoOptions<'_>>,
    format: impl FnOnce() -> Formatting,
) -> Formatting {
    let ignore_private = flag(params, "ignore_private_repositories")?;
    let include_name = flag(params, "include_repository_name")?;
    if ignore_private && repo.as_ref().is_some_and(|r| r.private) {
        return Ok(Formatted::Ignore(IgnoreReason::Filtered));
    }
    let mut formatted = format()?;
    let name = repo.as_ref().and_then(|r| r.full_name);
    if let (true, Some(name), Formatted::Messages(messages)) = (include_name, name, &mut formatted)
    {
        let prefix = match repo.as_ref().and_then(|r| r.html_url) {
            Some(url) => format!("[{name}]({url}): "),
            None => format!("{name}: "),
        };
        for message in messages {
            message.body_markdown.insert_str(0, &prefix);
        }
    }
    Ok(formatted)
}

/// A boolean URL option: `true` or `false` (Zulip reads them as JSON), absent
/// is false. Anything else is refused rather than guessed, since a mistyped
/// `ignore_private_repositories` would otherwise post private events.
fn flag(params: &Params<'_>, name: &str) -> Result<bool, IntegrationError> {
    match params.get(name) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(IntegrationError::invalid(format!(
            "`{name}` must be true or false, not {other:?}"
        ))),
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
        ("pull_request", "assigned" | "unassigned") => "assigned_or_unassigned_pull_request",
        ("pull_request", "locked" | "unlocked") => "locked_or_unlocked_pull_request",
        ("pull_request", "auto_merge_enabled" | "auto_merge_disabled") => "pull_request_auto_merge",
        ("issues", "labeled" | "unlabeled") => "issue_labeled_or_unlabeled",
        ("issues", "milestoned" | "demilestoned") => "issue_milestoned_or_demilestoned",
        ("issues", "transferred") => "issues_transferred",
        // The issue a transfer creates arrives as "opened" in its new
        // repository; it is not a new issue.
        ("issues", "opened")
            if payload
                .pointer("/changes/old_issue")
                .is_some_and(|v| !v.is_null()) =>
        {
            "issues_opened_via_transfer"
        }
        ("issues", _) => "issues",
        ("sponsorship", action) if sponsors::ACTIONS.contains(&action) => action,
        (
            "pull_request_review"
            | "pull_request_review_comment"
            | "issue_comment"
            | "commit_comment"
            | "release"
            | "create"
            | "delete"
            | "workflow_run"
            | "check_run"
            | "status"
            | "deployment"
            | "deployment_status"
            | "discussion"
            | "discussion_comment"
            | "gollum"
            | "star"
            | "watch"
            | "fork"
            | "public"
            | "repository"
            | "page_build"
            | "team"
            | "team_add"
            | "member"
            | "membership",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::text_route_tests::{GeneralAnswer, compare_push_routes};
    use serde_json::json;

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

    #[test]
    fn pushes_read_from_the_text_format_as_through_the_json_value() {
        let queries: [&[(&str, &str)]; 6] = [
            &[],
            &[("topic", "elsewhere")],
            &[("branches", "main, dev")],
            &[("branches", "dev")],
            &[("ignore_private_repositories", "true")],
            &[("include_repository_name", "true")],
        ];
        // Only refusals, and merge-queue pushes without the fields a posted
        // push needs, are left to the general route here.
        let left = |general: &GeneralAnswer| {
            assert!(
                matches!(general, Err(_) | Ok((_, Formatted::Ignore(_)))),
                "{general:?}"
            );
        };
        let event = ("x-github-event", "push");
        let (read_from_text, bodies) =
            compare_push_routes(&GitHub, 10, ESCAPED_PUSH, event, &queries, left);
        // All but the refused fixtures and the merge-queue push without a
        // sender are read from the text.
        assert!(read_from_text >= 6 * (bodies - 3), "{read_from_text}");
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
        assert_eq!(
            event_name("issues", Some("labeled"), &p),
            "issue_labeled_or_unlabeled"
        );
        assert_eq!(event_name("issues", Some("closed"), &p), "issues");
        assert_eq!(event_name("issues", Some("opened"), &p), "issues");
        let moved = json!({"changes": {"old_issue": {"number": 1}}});
        assert_eq!(
            event_name("issues", Some("opened"), &moved),
            "issues_opened_via_transfer"
        );
        assert_eq!(event_name("team", None, &p), "team");
        assert_eq!(event_name("sponsorship", Some("created"), &p), "created");
        assert_eq!(
            event_name("sponsorship", Some("renewed"), &p),
            "sponsorship:renewed"
        );
        let tag = json!({"ref": "refs/tags/v1"});
        assert_eq!(event_name("push", None, &tag), "push_tags");
    }
}
