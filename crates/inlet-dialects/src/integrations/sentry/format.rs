//! Sentry messages, in Zulip's wording (research notes, section 2.6). The
//! topic is the issue's or event's title, so an issue's alerts and state
//! changes share a thread. Every body names that title, so a `topic`
//! override loses nothing.

use super::payload::*;
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::{configured_message, fence_for, quote, utc_from_unix};
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use crate::url::is_web_url;
use serde_json::Value;

pub fn format(event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
    match event {
        "installation" => installation(&parse(payload)?),
        "issue_created" | "issue_resolved" | "issue_assigned" | "issue_ignored" => {
            issue(&parse(payload)?)
        }
        "event_alert" => event_alert(&parse(payload)?),
        "error" => {
            let p: ErrorEvent = parse(payload)?;
            event_post(&p.data.error, p.data.error.web_url.as_deref(), None)
        }
        "metric_alert" => metric_alert(&parse(payload)?),
        "webhooks_plugin" => plugin(&parse(payload)?),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn installation(p: &InstallationEvent) -> Formatting {
    let body = configured_message("Sentry", p.actor.as_ref().map(|a| a.name.as_str()));
    Ok(Formatted::one("Sentry", "Sentry", body))
}

/// `[title](url)` when the URL is a web URL, else the title.
fn titled(title: &str, url: Option<&str>) -> String {
    match url.filter(|u| is_web_url(u)) {
        Some(url) => format!("[{title}]({url})"),
        None => title.to_string(),
    }
}

fn issue(p: &IssueEvent) -> Formatting {
    let i = &p.data.issue;
    let actor = p.actor.as_ref().map_or("Sentry", |a| a.name.as_str());
    let assignee = i.assigned_to.as_ref().map(|a| {
        if a.kind == "team" {
            format!("team {}", a.name)
        } else {
            a.name.clone()
        }
    });
    let title = format!("**{}**", titled(&i.title, i.web_url.as_deref()));
    let body = match p.action.as_str() {
        "created" => {
            let details = format!(
                "**level:** {}\n**timestamp:** {}\n**assignee:** {}",
                i.level.as_deref().unwrap_or("unknown"),
                i.last_seen
                    .as_deref()
                    .map_or("unknown".into(), readable_time),
                assignee.as_deref().unwrap_or("No one")
            );
            let link = titled(&i.title, i.web_url.as_deref());
            format!("**New issue created:** {link}{}", quote(&details))
        }
        "resolved" => format!("Issue {title} was marked as resolved by **{actor}**."),
        "assigned" => format!(
            "Issue {title} has now been assigned to **{}** by **{actor}**.",
            assignee.as_deref().unwrap_or("No one")
        ),
        _ => format!("Issue {title} was ignored by **{actor}**."),
    };
    Ok(Formatted::one(i.title.clone(), i.title.clone(), body))
}

/// The code block language Zulip picks for a platform.
fn language(platform: Option<&str>) -> &'static str {
    match platform.unwrap_or("") {
        "go" => "go",
        "java" => "java",
        "javascript" | "node" => "javascript",
        "python" => "python3",
        "ruby" => "ruby",
        _ => "",
    }
}

/// The frame in the file Sentry blames (else the innermost one), as
/// context lines around `---> <line>`.
fn traceback(e: &Event) -> Option<String> {
    let frames = &e
        .exception
        .as_ref()?
        .values
        .iter()
        .rev()
        .find_map(|v| v.stacktrace.as_ref())?
        .frames;
    let blamed = e.metadata.filename.as_deref();
    let frame = frames
        .iter()
        .rev()
        .find(|f| blamed.is_some() && f.filename.as_deref() == blamed)
        .or_else(|| frames.last())?;
    let context = frame.context_line.as_deref()?;
    let line = |prefix: &str, l: &str| format!("{prefix}{l}").trim_end().to_string();
    let mut lines: Vec<String> = frame
        .pre_context
        .iter()
        .flatten()
        .map(|l| line("     ", l))
        .collect();
    lines.push(line("---> ", context));
    lines.extend(
        frame
            .post_context
            .iter()
            .flatten()
            .map(|l| line("     ", l)),
    );
    let code = lines.join("\n");
    let code = code.trim_end();
    let fence = fence_for(code, '`');
    Some(format!(
        "Traceback:\n{fence}{}\n{code}\n{fence}",
        language(e.platform.as_deref())
    ))
}

fn event_alert(p: &EventAlert) -> Formatting {
    let e = &p.data.event;
    let rule = p.data.triggered_rule.as_deref().filter(|r| !r.is_empty());
    event_post(e, e.web_url.as_deref(), rule)
}

/// When the event happened: its `datetime`, else its Unix `timestamp`
/// (or the time Sentry received it) in UTC.
fn when(e: &Event) -> Option<String> {
    if let Some(dt) = &e.datetime {
        return Some(readable_time(dt));
    }
    Some(match e.timestamp.as_ref().or(e.received.as_ref())? {
        Value::String(ts) => ts.clone(),
        Value::Number(n) => n
            .as_f64()
            .and_then(|secs| utc_from_unix(secs.floor() as i64))
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    })
}

/// An ISO 8601 UTC time (`2020-04-29T11:23:45.978469Z`) as
/// `2020-04-29 11:23:45 UTC`, the form Unix times are shown in; anything
/// else as sent.
fn readable_time(iso: &str) -> String {
    let utc = iso.strip_suffix('Z').or_else(|| iso.strip_suffix("+00:00"));
    match utc
        .and_then(|t| t.split_once('T'))
        .and_then(|(date, time)| Some((date, time.get(..8)?)))
    {
        Some((date, hms)) if date.len() == 10 => format!("{date} {hms} UTC"),
        _ => iso.to_string(),
    }
}

/// An event (from an alert rule, the error resource or the webhooks
/// plugin): `**New exception:**` with the traceback of the blamed frame,
/// or `**New message event:**`, in the event's thread.
fn event_post(e: &Event, web_url: Option<&str>, rule: Option<&str>) -> Formatting {
    let mut details = format!("**level:** {}", e.level.as_deref().unwrap_or("unknown"));
    if let Some(when) = when(e) {
        details.push_str(&format!("\n**timestamp:** {when}"));
    }
    let trace = traceback(e);
    let kind = if e.exception.is_some() {
        if let Some(file) = &e.metadata.filename {
            details.push_str(&format!("\n**filename:** {file}"));
        }
        "New exception"
    } else {
        "New message event"
    };
    let mut body = format!(
        "**{kind}:** {}{}",
        titled(&e.title, web_url),
        quote(&details)
    );
    if let Some(rule) = rule {
        body.push_str(&format!("\n\nAlert rule: {rule}"));
    }
    if let Some(trace) = trace {
        body.push_str("\n\n");
        body.push_str(&trace);
    }
    Ok(Formatted::one(e.title.clone(), e.title.clone(), body))
}

fn metric_alert(p: &MetricAlertEvent) -> Formatting {
    let d = &p.data;
    let status = match p.action.as_str() {
        "critical" => ":alert: **Critical**",
        "warning" => ":warning: **Warning**",
        "resolved" => ":squared_ok: **Resolved**",
        _ => ":info: **Metric alert**",
    };
    let mut body = format!(
        "{status} {}",
        titled(&d.description_title, Some(&d.web_url))
    );
    if let Some(text) = d.description_text.as_deref().filter(|t| !t.is_empty()) {
        body.push_str(&format!("\n\n{text}"));
    }
    let topic = d.metric_alert.title.clone();
    Ok(Formatted::one(topic.clone(), topic, body))
}

/// The legacy webhooks plugin. With an `event` (current Sentry) the post
/// is the event's, linked to `<issue url>events/<event_id>/` as Zulip
/// does; without one, `New [issue](<url>) (level: ERROR):` and the
/// message, in the project's thread (Zulip's wording and topic).
fn plugin(p: &PluginEvent) -> Formatting {
    if let Some(event) = p.event.as_ref().filter(|e| e.get("event_id").is_some()) {
        let event: Event = parse(event)?;
        let web_url = match (&event.web_url, &p.url, &event.event_id) {
            (Some(url), _, _) => Some(url.clone()),
            (None, Some(issue), Some(id)) => Some(event_url(issue, id)),
            _ => p.url.clone(),
        };
        return event_post(&event, web_url.as_deref(), None);
    }
    let level = p.level.as_deref().unwrap_or("unknown").to_uppercase();
    let mut body = format!("New {} (level: {level})", titled("issue", p.url.as_deref()));
    match p.message.as_deref().map(quote).filter(|q| !q.is_empty()) {
        Some(message) => {
            body.push(':');
            body.push_str(&message);
        }
        None => body.push('.'),
    }
    let topic = p.project_name.clone();
    Ok(Formatted::one(topic.clone(), topic, body))
}

/// The event's page under the plugin's issue URL (its query dropped).
fn event_url(issue_url: &str, event_id: &str) -> String {
    let base = issue_url.split(['?', '#']).next().unwrap_or(issue_url);
    let slash = if base.ends_with('/') { "" } else { "/" };
    format!("{base}{slash}events/{event_id}/")
}
