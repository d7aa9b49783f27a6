//! Jira messages, in Zulip's wording (research notes, section 2.7). The
//! thread key is the issue key (`BUG-7`), stable across renames; the topic
//! is `<KEY>: <summary>`.

use super::markup::to_markdown;
use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::quote;
use crate::integrations::{Formatted, IgnoreReason};
use serde_json::Value;

pub fn format(
    event: &str,
    payload: &Value,
    _params: &Params<'_>,
) -> Result<Formatted, IntegrationError> {
    match event {
        "jira:issue_created" => created(&parse(payload)?),
        "jira:issue_updated" => updated(&parse(payload)?),
        "jira:issue_deleted" => deleted(&parse(payload)?),
        "comment_created" | "comment_updated" | "comment_deleted" => {
            comment(event, &parse(payload)?)
        }
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

/// `[<KEY>: <summary>](<base>/browse/<KEY>)`, the base taken from the
/// issue's REST `self` URL. The summary is always shown, so a `topic`
/// override loses nothing.
fn issue_link(issue: &Issue) -> String {
    let base = issue
        .self_url
        .split("/rest/api/")
        .next()
        .unwrap_or(&issue.self_url);
    format!(
        "[{}: {}]({base}/browse/{})",
        issue.key, issue.fields.summary, issue.key
    )
}

fn one(issue: &Issue, body: String) -> Result<Formatted, IntegrationError> {
    let topic = format!("{}: {}", issue.key, issue.fields.summary);
    Ok(Formatted::one(issue.key.clone(), topic, body))
}

fn user_name(user: Option<&User>) -> &str {
    user.map_or("Someone", |u| u.display_name.as_str())
}

fn created(p: &IssueEvent) -> Result<Formatted, IntegrationError> {
    let f = &p.issue.fields;
    let mut body = format!(
        "{} created {}:\n\n* **Priority**: {}\n* **Assignee**: {}",
        user_name(p.user.as_ref()),
        issue_link(&p.issue),
        f.priority.as_ref().map_or("None", |n| n.name.as_str()),
        f.assignee
            .as_ref()
            .map_or("no one", |a| a.display_name.as_str())
    );
    if let Some(description) = f.description.as_deref() {
        body.push_str(&quote(&to_markdown(description)));
    }
    one(&p.issue, body)
}

fn updated(p: &IssueEvent) -> Result<Formatted, IntegrationError> {
    let link = issue_link(&p.issue);
    let assigned = p
        .issue
        .fields
        .assignee
        .as_ref()
        .map(|a| format!(" (assigned to **{}**)", a.display_name))
        .unwrap_or_default();
    let sub_event = p.issue_event_type_name.as_deref().unwrap_or("");
    if let (Some(c), true) = (&p.comment, sub_event.contains("comment")) {
        let verb = match sub_event {
            "issue_comment_edited" => "edited a comment on",
            "issue_comment_deleted" => "deleted a comment from",
            _ => "commented on",
        };
        let body = format!(
            "{} {verb} {link}{assigned}:{}",
            c.author.display_name,
            quote(&to_markdown(&c.body))
        );
        return one(&p.issue, body);
    }
    let changes: Vec<String> = p
        .changelog
        .iter()
        .flat_map(|c| &c.items)
        .map(|item| {
            format!(
                "* Changed {} from **{}** to **{}**",
                item.field,
                item.from_string.as_deref().unwrap_or("None"),
                item.to_string.as_deref().unwrap_or("None")
            )
        })
        .collect();
    let user = user_name(p.user.as_ref());
    let body = if changes.is_empty() {
        format!("{user} updated {link}{assigned}.")
    } else {
        format!("{user} updated {link}{assigned}:\n\n{}", changes.join("\n"))
    };
    one(&p.issue, body)
}

fn deleted(p: &IssueEvent) -> Result<Formatted, IntegrationError> {
    let body = format!(
        "{} deleted {}.",
        user_name(p.user.as_ref()),
        issue_link(&p.issue)
    );
    one(&p.issue, body)
}

fn comment(event: &str, p: &CommentEvent) -> Result<Formatted, IntegrationError> {
    let verb = match event {
        "comment_updated" => "updated their comment on",
        "comment_deleted" => "deleted their comment on",
        _ => "commented on",
    };
    let text = to_markdown(&p.comment.body);
    // A deleted comment is shown struck through (Zulip).
    let text = if event == "comment_deleted" {
        text.lines()
            .map(|l| {
                if l.trim().is_empty() {
                    String::new()
                } else {
                    format!("~~{l}~~")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        text
    };
    let body = format!(
        "{} {verb} {}:{}",
        p.comment.author.display_name,
        issue_link(&p.issue),
        quote(&text)
    );
    one(&p.issue, body)
}
