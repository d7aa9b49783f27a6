//! Jira messages, in Zulip's wording (research notes, section 2.7). The
//! thread key is the issue key (`BUG-7`), stable across renames; the topic
//! is `<KEY>: <summary>`.

use super::markup::to_markdown;
use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::quote;
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde_json::Value;

pub fn format(event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
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

fn one(issue: &Issue, body: String) -> Formatting {
    let topic = format!("{}: {}", issue.key, issue.fields.summary);
    Ok(Formatted::one(issue.key.clone(), topic, body))
}

fn user_name(user: Option<&User>) -> &str {
    user.map_or("Someone", |u| u.display_name.as_str())
}

fn created(p: &IssueEvent) -> Formatting {
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

fn updated(p: &IssueEvent) -> Formatting {
    let link = issue_link(&p.issue);
    let assigned = p
        .issue
        .fields
        .assignee
        .as_ref()
        .map(|a| format!(" (assigned to **{}**)", a.display_name))
        .unwrap_or_default();
    // v1 payloads name no sub-event: a comment means one was made (Zulip).
    let sub_event = match p.issue_event_type_name.as_deref().filter(|s| !s.is_empty()) {
        Some(sub_event) => sub_event,
        None if p.comment.is_some() => "issue_commented",
        None => "",
    };
    if sub_event.contains("comment") {
        let verb = match sub_event {
            "issue_comment_edited" => "edited a comment on",
            "issue_comment_deleted" => "deleted a comment from",
            _ => "commented on",
        };
        // A deleted comment may come without the comment.
        let author = match &p.comment {
            Some(c) => c.author.display_name.as_str(),
            None => user_name(p.user.as_ref()),
        };
        let text = p
            .comment
            .as_ref()
            .map(|c| quote(&to_markdown(&c.body)))
            .unwrap_or_default();
        let body = if text.is_empty() {
            format!("{author} {verb} {link}{assigned}.")
        } else {
            format!("{author} {verb} {link}{assigned}:{text}")
        };
        return one(&p.issue, body);
    }
    let mut changes: Vec<String> = p
        .changelog
        .iter()
        .flat_map(|c| &c.items)
        .map(|item| {
            change(
                &item.field,
                item.from_string.as_deref(),
                item.to_string.as_deref(),
            )
        })
        .collect();
    // A v1 transition carries no changelog: the status change is its own.
    if let (true, Some(t)) = (changes.is_empty(), &p.transition) {
        changes.push(change(
            "status",
            t.from_status.as_deref(),
            t.to_status.as_deref(),
        ));
    }
    let user = user_name(p.user.as_ref());
    let body = if changes.is_empty() {
        format!("{user} updated {link}{assigned}.")
    } else {
        format!("{user} updated {link}{assigned}:\n\n{}", changes.join("\n"))
    };
    one(&p.issue, body)
}

/// `* Changed <field> from **<from>** to **<to>**`; no "from" when the
/// field was empty (Zulip's wording).
fn change(field: &str, from: Option<&str>, to: Option<&str>) -> String {
    let from = from
        .filter(|f| !f.is_empty())
        .map(|f| format!(" from **{f}**"))
        .unwrap_or_default();
    format!("* Changed {field}{from} to **{}**", to.unwrap_or("None"))
}

fn deleted(p: &IssueEvent) -> Formatting {
    let body = format!(
        "{} deleted {}.",
        user_name(p.user.as_ref()),
        issue_link(&p.issue)
    );
    one(&p.issue, body)
}

fn comment(event: &str, p: &CommentEvent) -> Formatting {
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
    let Some(issue) = &p.issue else {
        return without_issue(verb, p, &text);
    };
    let body = format!(
        "{} {verb} {}:{}",
        p.comment.author.display_name,
        issue_link(issue),
        quote(&text)
    );
    one(issue, body)
}

/// A comment event from an old Jira that sends no `issue`: only the
/// issue's internal id is known, from the comment's REST URL
/// (`…/issue/<id>/comment/<n>`), and is the thread key (Zulip's fallback).
fn without_issue(verb: &str, p: &CommentEvent, text: &str) -> Formatting {
    let self_url = p.comment.self_url.as_deref().unwrap_or("");
    let id = self_url
        .rsplit('/')
        .nth(2)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| IntegrationError::invalid("field `issue` is required"))?;
    let body = format!(
        "{} {verb} issue {id}:{}",
        p.comment.author.display_name,
        quote(text)
    );
    let topic = format!("{id}: Upgrade Jira to get the issue title here.");
    Ok(Formatted::one(id.to_string(), topic, body))
}
