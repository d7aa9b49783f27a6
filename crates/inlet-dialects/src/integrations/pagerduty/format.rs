//! PagerDuty messages, in Zulip's wording, one thread per incident.

use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::payload::parse;
use crate::integrations::text::{linked, quote};
use crate::integrations::{Formatted, Formatting, IgnoreReason, Message};
use serde::Deserialize;
use serde_json::Value;

/// What every message about an incident says, whatever the version.
struct Incident<'a> {
    id: &'a str,
    label: String,
    url: Option<&'a str>,
}

impl Incident<'_> {
    fn new<'a>(
        id: &'a str,
        number: Option<u64>,
        title: Option<&str>,
        url: Option<&'a str>,
    ) -> Incident<'a> {
        let title = title.map(str::trim).filter(|t| !t.is_empty());
        let label = match (number, title) {
            (Some(n), Some(t)) => format!("#{n}: {t}"),
            (Some(n), None) => format!("#{n}"),
            (None, Some(t)) => t.to_string(),
            (None, None) => id.to_string(),
        };
        Incident { id, label, url }
    }

    fn link(&self) -> String {
        linked(&self.label, self.url)
    }

    /// One thread per incident, keyed by its id (every event carries it,
    /// a note's included); shown as `Incident #9: Disk full`.
    fn message(&self, body: String) -> Message {
        Message {
            thread_key: format!("PagerDuty incident {}", self.id),
            topic: format!("Incident {}", self.label),
            body_markdown: body,
        }
    }
}

fn names(refs: &[Reference]) -> String {
    if refs.is_empty() {
        return "nobody".to_string();
    }
    refs.iter()
        .map(Reference::link)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn v3(p: &V3, data: &Value) -> Formatting {
    let e = &p.event;
    let agent = e.agent.as_ref().map(Reference::link);
    if e.event_type == "incident.annotated" {
        let note: V3Note = parse_data(data)?;
        let i = &note.incident;
        let (number, title) = split_summary(i.summary.as_deref());
        let incident = Incident::new(&i.id, number, title, i.html_url.as_deref());
        let who = agent.unwrap_or_else(|| "someone".to_string());
        let content = note.content.as_deref().unwrap_or("");
        let body = format!(
            "{who} added a note to incident {}.{}",
            incident.link(),
            quote(content)
        );
        return Ok(Formatted::Messages(vec![incident.message(body)]));
    }
    if ABOUT_INCIDENT.contains(&e.event_type.as_str()) {
        return about_incident(&e.event_type, agent, data);
    }
    let i: V3Incident = parse_data(data)?;
    let incident = Incident::new(&i.id, i.number, i.title.as_deref(), i.html_url.as_deref());
    let link = incident.link();
    let by = |verb: &str| match &agent {
        Some(a) => format!("Incident {link} {verb} by {a}."),
        None => format!("Incident {link} {verb}."),
    };
    let assignees = names(&i.assignees);
    let body = match e.event_type.as_str() {
        "incident.triggered" | "incident.unacknowledged" => {
            let action = e.event_type.trim_start_matches("incident.");
            let service = i
                .service
                .as_ref()
                .map_or_else(|| "PagerDuty".into(), Reference::link);
            format!("Incident {link} {action} by {service} (assigned to {assignees}).")
        }
        "incident.acknowledged" => by("acknowledged"),
        "incident.resolved" => {
            let reason = i.resolve_reason.as_ref().and_then(|r| {
                r.pointer("/incident/summary")
                    .or_else(|| r.get("summary"))
                    .and_then(Value::as_str)
            });
            match reason {
                Some(reason) => format!("{}\n\nReason: {reason}", by("resolved")),
                None => by("resolved"),
            }
        }
        "incident.reassigned" => format!("Incident {link} reassigned to {assignees}."),
        "incident.escalated" => format!("Incident {link} escalated to {assignees}."),
        "incident.delegated" => {
            let service = i
                .service
                .as_ref()
                .map_or_else(|| "another service".into(), Reference::link);
            format!("Incident {link} delegated to {service} (assigned to {assignees}).")
        }
        "incident.reopened" => by("reopened"),
        "incident.service_updated" => {
            let service = i
                .service
                .as_ref()
                .map_or_else(|| "another service".into(), Reference::link);
            match &agent {
                Some(a) => format!("Incident {link} moved to {service} by {a}."),
                None => format!("Incident {link} moved to {service}."),
            }
        }
        "incident.priority_updated" => {
            let priority = i
                .priority
                .as_ref()
                .map_or_else(|| "none".into(), Reference::link);
            format!("{} Priority: {priority}.", by("reprioritised"))
        }
        // Only declared events reach a formatter.
        _ => return Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    };
    Ok(Formatted::Messages(vec![incident.message(body)]))
}

/// The V3 events whose `data` refers to its incident (`data.incident`).
pub(super) const ABOUT_INCIDENT: &[&str] = &[
    "incident.responder.added",
    "incident.responder.replied",
    "incident.status_update_published",
    "incident.conference_bridge.updated",
    "incident.workflow.started",
    "incident.workflow.completed",
];

/// A responder request or reply, a status update, a conference bridge or
/// a workflow run, in the thread of the incident it is about.
fn about_incident(event_type: &str, agent: Option<String>, data: &Value) -> Formatting {
    let about: V3AboutIncident = parse_data(data)?;
    let i = &about.incident;
    let (number, title) = split_summary(i.summary.as_deref());
    let incident = Incident::new(&i.id, number, title, i.html_url.as_deref());
    let link = incident.link();
    let who = agent.unwrap_or_else(|| "someone".to_string());
    let message = quote(about.message.as_deref().unwrap_or(""));
    let body = match event_type {
        "incident.responder.added" => {
            let responder = about
                .user
                .as_ref()
                .or(about.escalation_policy.as_ref())
                .map_or_else(|| "a responder".into(), Reference::link);
            format!("{who} asked {responder} to help with incident {link}.{message}")
        }
        "incident.responder.replied" => {
            let responder = about.user.as_ref().map_or(who, Reference::link);
            let answer = match about.state.as_deref() {
                Some("accepted") => "accepted",
                Some("declined") => "declined",
                _ => "answered",
            };
            format!("{responder} {answer} the request to help with incident {link}.{message}")
        }
        "incident.status_update_published" => {
            format!("{who} published a status update on incident {link}.{message}")
        }
        "incident.conference_bridge.updated" => {
            let mut bridge: Vec<String> = about.conference_url.iter().cloned().collect();
            // Numbers are strings; anything else in the list is skipped.
            let numbers = about.conference_numbers.iter().flatten();
            bridge.extend(numbers.filter_map(Value::as_str).map(str::to_string));
            if bridge.is_empty() {
                format!("{who} removed the conference bridge of incident {link}.")
            } else {
                let bridge = bridge.join(", ");
                format!("{who} set the conference bridge of incident {link}: {bridge}.")
            }
        }
        _ => {
            // incident.workflow.started / incident.workflow.completed
            let workflow = about
                .incident_workflow
                .as_ref()
                .map_or_else(|| "A workflow".into(), |w| format!("Workflow {}", w.link()));
            let verb = if event_type.ends_with("started") {
                "started"
            } else {
                "completed"
            };
            let trigger = about
                .workflow_trigger
                .as_ref()
                .and_then(|t| t.summary.as_deref())
                .or(about.summary.as_deref())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map_or_else(String::new, |t| format!(" ({t})"));
            format!("{workflow} {verb} on incident {link}{trigger}.")
        }
    };
    Ok(Formatted::Messages(vec![incident.message(body)]))
}

/// `event.data` as `T`; a wrong field is named from the payload's root.
fn parse_data<'a, T: Deserialize<'a>>(data: &'a Value) -> Result<T, IntegrationError> {
    parse(data).map_err(|e| {
        IntegrationError::invalid(e.message.replacen("field `", "field `event.data.", 1))
    })
}

/// An incident reference's summary, `[#42] Disk full`, as its number and
/// title (the summary whole when it is not of that form).
fn split_summary(summary: Option<&str>) -> (Option<u64>, Option<&str>) {
    let Some(summary) = summary else {
        return (None, None);
    };
    let parsed = summary.strip_prefix("[#").and_then(|rest| {
        let (number, title) = rest.split_once("] ")?;
        Some((number.parse().ok()?, title))
    });
    match parsed {
        Some((number, title)) => (Some(number), Some(title)),
        None => (None, Some(summary)),
    }
}

/// A V1 or V2 message; `None` for a message of a type not formatted
/// (a payload may mix them).
pub fn legacy_message(message: &Value) -> Result<Option<Message>, IntegrationError> {
    if message.get("type").is_some() {
        let m: V1Message = parse(message)?;
        return Ok(v1(&m));
    }
    let m: V2Message = parse(message)?;
    Ok(v2(&m))
}

/// Zulip's past participles of the legacy event names.
fn action_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "incident.trigger" => "triggered",
        "incident.acknowledge" => "acknowledged",
        "incident.unacknowledge" => "unacknowledged",
        "incident.resolve" => "resolved",
        "incident.assign" => "assigned",
        "incident.escalate" => "escalated",
        "incident.delegate" => "delegated",
        _ => return None,
    })
}

/// The legacy messages in Zulip's templates.
fn legacy_body(
    kind: &str,
    link: &str,
    service: String,
    assignee: String,
    resolver: Option<String>,
    trigger: &str,
) -> Option<String> {
    let action = action_of(kind)?;
    let line = match kind {
        "incident.trigger" | "incident.unacknowledge" => {
            format!("Incident {link} {action} by {service} (assigned to {assignee}).")
        }
        "incident.resolve" => match resolver {
            Some(agent) => format!("Incident {link} resolved by {agent}."),
            None => format!("Incident {link} resolved."),
        },
        "incident.assign" => format!("Incident {link} assigned to {assignee}."),
        _ => format!("Incident {link} {action} by {assignee}."),
    };
    Some(format!("{line}{}", quote(trigger)))
}

fn v1(m: &V1Message) -> Option<Message> {
    let i = &m.data.incident;
    let incident = Incident::new(&i.id, Some(i.incident_number), None, i.html_url.as_deref());
    let service = i.service.as_ref().map_or_else(
        || "PagerDuty".to_string(),
        |s| {
            linked(
                s.name.as_deref().unwrap_or("a service"),
                s.html_url.as_deref(),
            )
        },
    );
    let assignee = i
        .assigned_to_user
        .as_ref()
        .map_or_else(|| "nobody".into(), V1User::link);
    let resolver = i.resolved_by_user.as_ref().map(V1User::link);
    let trigger: Vec<&str> = i
        .trigger_summary_data
        .iter()
        .flat_map(|s| [s.subject.as_deref(), s.description.as_deref()])
        .flatten()
        .filter(|t| !t.is_empty())
        .collect();
    let body = legacy_body(
        &m.kind,
        &incident.link(),
        service,
        assignee,
        resolver,
        &trigger.join("\n"),
    )?;
    Some(incident.message(body))
}

fn v2(m: &V2Message) -> Option<Message> {
    let i = &m.incident;
    let incident = Incident::new(
        &i.id,
        Some(i.incident_number),
        i.title.as_deref(),
        i.html_url.as_deref(),
    );
    let service = i
        .service
        .as_ref()
        .map_or_else(|| "PagerDuty".into(), Reference::link);
    let assignee = match i.assignments.first() {
        Some(a) => a.assignee.link(),
        None => "nobody".to_string(),
    };
    let resolver = i.last_status_change_by.as_ref().map(Reference::link);
    let trigger = i.description.as_deref().unwrap_or("");
    let body = legacy_body(
        &m.event,
        &incident.link(),
        service,
        assignee,
        resolver,
        trigger,
    )?;
    Some(incident.message(body))
}
