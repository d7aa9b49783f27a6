//! Linear (`/api/v1/external/linear`): the event is read from the body's
//! `type` as Zulip reads it (`issue`, `sub_issue` when the issue has a
//! parent, `comment`); `Linear-Signature` (HMAC-SHA256 hex of the body) is
//! verified when the webhook has a secret, with the body's
//! `webhookTimestamp` within a minute of arrival, as Linear advises;
//! `Linear-Delivery` is the idempotency key. An issue's creation, updates
//! and comments share its thread (keyed by the issue's id, so a retitle
//! keeps it); a sub-issue's go to its parent's thread, as in Zulip.
//! A project's creation, changes, removal and status updates
//! (`project`, `project_update`) share the project's thread, keyed by its
//! id.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::quote;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use crate::url::is_web_url;
use serde::Deserialize;
use serde_json::{Map, Value};

pub struct Linear;

const EVENTS: &[&str] = &["issue", "sub_issue", "comment", "project", "project_update"];

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
#[serde(rename_all = "camelCase")]
struct ProjectEvent {
    action: String,
    #[serde(default)]
    actor: Option<Named>,
    #[serde(default)]
    url: Option<String>,
    data: Project,
    /// The changed fields' previous values, on `update`.
    #[serde(default)]
    updated_from: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    id: String,
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<Named>,
    #[serde(default)]
    lead: Option<Named>,
    #[serde(default)]
    priority: Option<u64>,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    target_date: Option<String>,
    #[serde(default)]
    milestones: Vec<Named>,
}

#[derive(Debug, Deserialize)]
struct ProjectUpdateEvent {
    action: String,
    #[serde(default)]
    actor: Option<Named>,
    #[serde(default)]
    url: Option<String>,
    data: ProjectUpdate,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectUpdate {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    health: Option<String>,
    #[serde(default)]
    diff_markdown: Option<String>,
    #[serde(default)]
    user: Option<Named>,
    #[serde(default)]
    project_id: Option<String>,
    project: UpdatedProject,
}

#[derive(Debug, Deserialize)]
struct UpdatedProject {
    #[serde(default)]
    id: Option<String>,
    name: String,
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
    /// `data`; other entities (cycles, labels, reactions) are named
    /// `<Type>:<action>` and answered as unsupported.
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
            "Project" => "project".into(),
            "ProjectUpdate" => "project_update".into(),
            other => {
                let action = payload.get("action").and_then(Value::as_str);
                format!("{other}:{}", action.unwrap_or("???"))
            }
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        match event {
            "comment" => Ok(comment(&parse(payload)?)),
            "project" => Ok(project(&parse(payload)?)),
            "project_update" => Ok(project_update(&parse(payload)?)),
            _ => Ok(issue(&parse(payload)?, event == "sub_issue")),
        }
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
        let head = format!(
            "{kind} {} was {action}{by}{in_team}",
            linked(&label, e.url.as_deref())
        );
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
        described(head, i.description.as_deref(), &facts)
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

/// Linear's project priorities; 0 is "No priority" and is not shown.
fn priority_label(priority: u64) -> Option<&'static str> {
    match priority {
        1 => Some("Urgent"),
        2 => Some("High"),
        3 => Some("Medium"),
        4 => Some("Low"),
        _ => None,
    }
}

fn health_label(health: &str) -> &str {
    match health {
        "onTrack" => "On Track",
        "atRisk" => "At Risk",
        "offTrack" => "Off Track",
        other => other,
    }
}

fn project(e: &ProjectEvent) -> Formatted {
    let p = &e.data;
    let actor = e.actor.as_ref().map_or("Someone", |a| a.name.as_str());
    let url = e.url.as_deref().or(p.url.as_deref());
    let body = match e.action.as_str() {
        "remove" => format!("{actor} removed project **{}**.", p.name),
        "create" => project_created(actor, p, url),
        _ => {
            let changes = e
                .updated_from
                .as_ref()
                .map(|from| project_changes(p, from))
                .unwrap_or_default();
            // Linear also sends an update when a status update is posted
            // (`lastUpdateId`) and for fields nobody reads (sort order,
            // health, cleared values): nothing to tell.
            let after_status_update = e
                .updated_from
                .as_ref()
                .is_some_and(|from| from.contains_key("lastUpdateId"));
            if changes.is_empty() || after_status_update {
                return Formatted::Ignore(IgnoreReason::NotWanted);
            }
            let mut sentence = changes.join(", ");
            if let Some(first) = sentence.get(..1) {
                sentence = first.to_uppercase() + &sentence[1..];
            }
            format!(
                "{actor} updated project {}:\n{sentence}.",
                linked(&p.name, url)
            )
        }
    };
    Formatted::one(&p.id, &p.name, body)
}

fn project_created(actor: &str, p: &Project, url: Option<&str>) -> String {
    let head = format!("{actor} created project {}", linked(&p.name, url));
    let mut facts = Vec::new();
    if let Some(status) = &p.status {
        facts.push(format!("Status: {}", status.name));
    }
    if let Some(lead) = &p.lead {
        facts.push(format!("Lead: {}", lead.name));
    }
    if let Some(priority) = p.priority.and_then(priority_label) {
        facts.push(format!("Priority: {priority}"));
    }
    if let Some(start) = p.start_date.as_deref() {
        facts.push(format!("Start date: {start}"));
    }
    if let Some(target) = p.target_date.as_deref() {
        facts.push(format!("Target date: {target}"));
    }
    let milestones: Vec<&str> = p.milestones.iter().map(|m| m.name.as_str()).collect();
    match milestones.len() {
        0 => {}
        1 => facts.push(format!("Milestone: {}", milestones[0])),
        _ => facts.push(format!("Milestones: {}", milestones.join(", "))),
    }
    described(head, p.description.as_deref(), &facts)
}

/// `head`, then the quoted description after a colon (or a full stop),
/// then the facts, comma-separated: how an issue or a project is told.
fn described(head: String, description: Option<&str>, facts: &[String]) -> String {
    let mut body = head;
    match description.map(quote).filter(|q| !q.is_empty()) {
        Some(description) => {
            body.push(':');
            body.push_str(&description);
            body.push_str("\n\n");
        }
        None => body.push_str(".\n"),
    }
    if facts.is_empty() {
        body.trim_end().to_string()
    } else {
        format!("{body}{}.", facts.join(", "))
    }
}

/// What an update changed, in Zulip's order, from the fields named in
/// `updatedFrom`; a field cleared (lead, priority, date removed) is not
/// told, as in Zulip.
fn project_changes(p: &Project, from: &Map<String, Value>) -> Vec<String> {
    let mut changes = Vec::new();
    if from.contains_key("name") {
        changes.push(format!("renamed to {}", p.name));
    }
    if let Some(status) = p.status.as_ref().filter(|_| from.contains_key("statusId")) {
        changes.push(format!("project status is now {}", status.name));
    }
    if let Some(lead) = p.lead.as_ref().filter(|_| from.contains_key("leadId")) {
        changes.push(format!("{} is now the project lead", lead.name));
    }
    let priority = p.priority.and_then(priority_label);
    if let Some(priority) = priority.filter(|_| from.contains_key("priority")) {
        changes.push(format!("priority is now set to {priority}"));
    }
    for (key, label, new) in [
        ("startDate", "start date", &p.start_date),
        ("targetDate", "target date", &p.target_date),
    ] {
        let (Some(old), Some(new)) = (from.get(key), new.as_deref()) else {
            continue;
        };
        match old.as_str() {
            None => changes.push(format!("{label} is set to {new}")),
            // ISO dates (`2025-03-14`) order as strings.
            Some(old) if new < old => changes.push(format!("{label} is preponed to {new}")),
            Some(_) => changes.push(format!("{label} is postponed to {new}")),
        }
    }
    if from.contains_key("content") {
        changes.push("description is updated".to_string());
    }
    changes
}

fn project_update(e: &ProjectUpdateEvent) -> Formatted {
    let u = &e.data;
    let user = u
        .user
        .as_ref()
        .or(e.actor.as_ref())
        .map_or("Someone", |n| n.name.as_str());
    let project = &u.project.name;
    let body = if e.action == "remove" {
        format!("{user} removed a status update on **{project}**.")
    } else {
        let action = if e.action == "create" {
            "posted"
        } else {
            "edited"
        };
        let link = match e.url.as_deref().filter(|u| is_web_url(u)) {
            Some(url) => format!("[{action}]({url})"),
            None => action.to_string(),
        };
        let health = u
            .health
            .as_deref()
            .map(|h| format!(" (health: {})", health_label(h)))
            .unwrap_or_default();
        let text = u.body.as_deref().map(quote).unwrap_or_default();
        let mut body = format!("{user} {link} a status update on **{project}**{health}:{text}");
        if let Some(diff) = u
            .diff_markdown
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            body.push_str("\n\n");
            body.push_str(diff);
        }
        body
    };
    let key = u
        .project_id
        .as_deref()
        .or(u.project.id.as_deref())
        .unwrap_or(project);
    Formatted::one(key, project, body)
}
