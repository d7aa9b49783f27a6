//! Linear (`/api/v1/external/linear`): the event is read from the body's
//! `type` as Zulip reads it (`issue`, `sub_issue` when the issue has a
//! parent, `comment`); `Linear-Signature` (HMAC-SHA256 hex of the body) is
//! verified when the webhook has a secret, with the body's
//! `webhookTimestamp` within a minute of arrival, as Linear advises;
//! `Linear-Delivery` is the idempotency key. An issue's creation, updates
//! and comments share its thread (keyed by the issue's id, so a retitle
//! keeps it); a sub-issue's go to its parent's thread, as in Zulip.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::quote;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use crate::url::is_web_url;
use serde::Deserialize;
use serde_json::Value;

pub struct Linear;

const EVENTS: &[&str] = &["issue", "sub_issue", "comment"];

/// How far `webhookTimestamp` may be from the arrival time: Linear's
/// advice is a minute.
const TOLERANCE_SECS: u64 = 60;

static VENDOR: Vendor = Vendor::new("linear", "Linear", EVENTS)
    .headers("Linear-Event", "Linear-Delivery")
    .hmac_with_body_timestamp_ms("Linear-Signature", "webhookTimestamp", TOLERANCE_SECS);

#[derive(Debug, Deserialize)]
struct IssueEvent {
    action: String,
    #[serde(default)]
    actor: Option<Named>,
    #[serde(default)]
    url: Option<String>,
    data: Issue,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    id: String,
    number: u64,
    title: String,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    priority_label: Option<String>,
    #[serde(default)]
    assignee: Option<Named>,
    #[serde(default)]
    state: Option<Named>,
    #[serde(default)]
    team: Option<Team>,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Team {
    #[serde(default)]
    key: Option<String>,
    name: String,
}

#[derive(Debug, Deserialize)]
struct CommentEvent {
    action: String,
    #[serde(default)]
    url: Option<String>,
    data: Comment,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Comment {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    issue_id: Option<String>,
    #[serde(default)]
    issue: Option<CommentedIssue>,
    #[serde(default)]
    user: Option<Named>,
}

#[derive(Debug, Deserialize)]
struct CommentedIssue {
    #[serde(default)]
    id: Option<String>,
    title: String,
}

impl Integration for Linear {
    vendor_methods!(VENDOR);

    /// Every Linear webhook names its entity in `type` and carries it in
    /// `data`; other entities (projects, cycles, labels, reactions) are
    /// named `<Type>:<action>` and answered as unsupported.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let kind = payload.get("type").and_then(Value::as_str);
        let data = payload.get("data").filter(|d| d.is_object());
        let (Some(kind), Some(data)) = (kind, data) else {
            return Err(VENDOR.anomalous());
        };
        Ok(match kind {
            "Issue" if data.get("parentId").is_some_and(|p| !p.is_null()) => "sub_issue".into(),
            "Issue" => "issue".into(),
            "Comment" => "comment".into(),
            other => {
                let action = payload.get("action").and_then(Value::as_str);
                format!("{other}:{}", action.unwrap_or("???"))
            }
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        if event == "comment" {
            return Ok(comment(&parse(payload)?));
        }
        Ok(issue(&parse(payload)?, event == "sub_issue"))
    }
}

fn linked(text: &str, url: Option<&str>) -> String {
    match url.filter(|u| is_web_url(u)) {
        Some(url) => format!("[{text}]({url})"),
        None => format!("**{text}**"),
    }
}

fn issue(e: &IssueEvent, sub: bool) -> Formatted {
    let i = &e.data;
    let kind = if sub { "Sub-Issue" } else { "Issue" };
    let team = i.team.as_ref().map(|t| t.name.as_str());
    let in_team = team.map(|t| format!(" in team {t}")).unwrap_or_default();
    let by = e
        .actor
        .as_ref()
        .map(|a| format!(" by **{}**", a.name))
        .unwrap_or_default();
    let label = format!("#{} {}", i.number, i.title);
    let body = if e.action == "remove" {
        let from = team.map(|t| format!(" from team {t}")).unwrap_or_default();
        format!("{kind} **{label}** has been removed{from}{by}.")
    } else {
        let action = if e.action == "create" {
            "created"
        } else {
            "updated"
        };
        let mut body = format!(
            "{kind} {} was {action}{by}{in_team}",
            linked(&label, e.url.as_deref())
        );
        match i
            .description
            .as_deref()
            .map(quote)
            .filter(|q| !q.is_empty())
        {
            Some(description) => {
                body.push(':');
                body.push_str(&description);
                body.push_str("\n\n");
            }
            None => body.push_str(".\n"),
        }
        let mut facts = Vec::new();
        if let Some(priority) = i.priority_label.as_deref().filter(|p| *p != "No priority") {
            facts.push(format!("Priority: {priority}"));
        }
        if let Some(assignee) = &i.assignee {
            facts.push(format!("Assignee: {}", assignee.name));
        }
        if let Some(state) = &i.state {
            facts.push(format!("Status: {}", state.name));
        }
        if facts.is_empty() {
            body.trim_end().to_string()
        } else {
            format!("{body}{}.", facts.join(", "))
        }
    };
    let identifier = i.identifier.clone().or_else(|| {
        let key = i.team.as_ref()?.key.as_ref()?;
        Some(format!("{key}-{}", i.number))
    });
    let topic = match identifier {
        Some(id) => format!("{id} {}", i.title),
        None => format!("#{} {}", i.number, i.title),
    };
    // A sub-issue threads under its parent, as Zulip's topic does.
    let key = if sub { i.parent_id.as_deref() } else { None };
    Formatted::one(key.unwrap_or(&i.id), topic, body)
}

fn comment(e: &CommentEvent) -> Formatted {
    let c = &e.data;
    let user = c.user.as_ref().map_or("Someone", |u| u.name.as_str());
    let title = c.issue.as_ref().map(|i| i.title.as_str());
    let body = if e.action == "remove" {
        format!("{user} has removed a comment.")
    } else {
        let action = if e.action == "create" {
            "commented"
        } else {
            "updated comment"
        };
        let link = match e.url.as_deref().filter(|u| is_web_url(u)) {
            Some(url) => format!("[{action}]({url})"),
            None => action.to_string(),
        };
        let on = title
            .map(|t| format!(" on issue **{t}**"))
            .unwrap_or_default();
        let text = c.body.as_deref().map(quote).unwrap_or_default();
        format!("{user} {link}{on}:{text}")
    };
    let issue_id = c
        .issue_id
        .as_deref()
        .or_else(|| c.issue.as_ref()?.id.as_deref());
    let key = issue_id.unwrap_or("Linear comments");
    Formatted::one(key, title.unwrap_or("Linear comments"), body)
}
