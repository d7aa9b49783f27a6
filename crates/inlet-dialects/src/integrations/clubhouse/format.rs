//! Shortcut messages, in Zulip's wording (`State of the story [Fix
//! login](…) was changed from **To Do** to **Done**.`). Each primary
//! action posts one message in its story's (or epic's) thread.

use super::payload::*;
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::quote;
use crate::integrations::{Formatted, Formatting, IgnoreReason, Message};
use crate::url::is_web_url;
use serde_json::Value;

pub fn format(_event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
    let p: Payload = parse(payload)?;
    let webhook = Webhook {
        has_primary: p.primary_id.is_some(),
    };
    let primary: Vec<&Action> = match &p.primary_id {
        Some(id) => p.actions.iter().filter(|a| same_id(&a.id, id)).collect(),
        None => p.actions.iter().collect(),
    };
    let mut messages = Vec::new();
    for action in primary {
        if let Some(linked) = github_messages(&p, action) {
            messages.extend(linked);
            continue;
        }
        let event = event_of(&webhook, action);
        let body = if event == "story_update_batch" {
            batch_body(&p, action)
        } else {
            body(&p, action, &event)
        };
        let Some(body) = body else {
            continue;
        };
        let Some((key, topic)) = thread(&p, action) else {
            continue;
        };
        messages.push(Message {
            thread_key: key,
            topic,
            body_markdown: body,
        });
    }
    if messages.is_empty() {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    Ok(Formatted::Messages(messages))
}

/// A GitHub pull request opened or commented on, or a branch created,
/// for each story it is linked to (a message in each story's thread), with
/// the story's move to another workflow state that the link caused.
fn github_messages(p: &Payload, link: &Action) -> Option<Vec<Message>> {
    let url = link.url.as_deref().filter(|u| is_web_url(u));
    let what = match (link.entity_type.as_str(), link.action.as_str()) {
        ("pull-request", verb @ ("create" | "comment")) => {
            let number = link.number.as_ref().map(id_text).unwrap_or_default();
            let pr = match url {
                Some(url) => format!("[#{number}]({url})"),
                None => format!("#{number}"),
            };
            if verb == "create" {
                format!("New GitHub PR {pr} opened for")
            } else {
                format!("Existing GitHub PR {pr} associated with")
            }
        }
        ("branch", "create") => {
            let name = link.name.as_deref().unwrap_or("(unnamed)");
            let branch = match url {
                Some(url) => format!("[{name}]({url})"),
                None => format!("`{name}`"),
            };
            format!("New GitHub branch {branch} associated with")
        }
        _ => return None,
    };
    let stories = p.actions.iter().filter(|a| a.entity_type == "story");
    let messages = stories
        .filter_map(|story| {
            let name = story.name.as_deref()?;
            let mut body = format!(
                "{what} story {}",
                named("story", name, story.app_url.as_deref())
            );
            if story.changes.contains_key("workflow_state_id") {
                let old = reference_name(p, change(story, "workflow_state_id", "old"));
                let new = reference_name(p, change(story, "workflow_state_id", "new"));
                body.push_str(&format!(" ({old} -> {new})"));
            }
            body.push('.');
            let (thread_key, topic) = thread(p, story)?;
            Some(Message {
                thread_key,
                topic,
                body_markdown: body,
            })
        })
        .collect();
    Some(messages)
}

/// The story's (or epic's) thread: `story <id>` / `epic <id>`, shown as
/// its name.
fn thread(p: &Payload, action: &Action) -> Option<(String, String)> {
    let entity = if action.entity_type.starts_with("epic") {
        "epic"
    } else {
        "story"
    };
    if action.entity_type == entity {
        let name = action.name.clone()?;
        return Some((format!("{entity} {}", id_text(&action.id)), name));
    }
    let story_id = action.story_id.as_ref();
    if let Some(owner) = p
        .actions
        .iter()
        .find(|a| a.entity_type == entity && story_id.is_none_or(|id| same_id(&a.id, id)))
    {
        return Some((
            format!("{entity} {}", id_text(&owner.id)),
            owner.name.clone()?,
        ));
    }
    let reference = p
        .references
        .iter()
        .find(|r| r.entity_type == entity && story_id.is_none_or(|id| same_id(&r.id, id)))?;
    Some((
        format!("{entity} {}", id_text(&reference.id)),
        reference.name.clone()?,
    ))
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn reference<'p>(p: &'p Payload, id: Option<&Value>) -> Option<&'p Reference> {
    let id = id?;
    p.references.iter().find(|r| same_id(&r.id, id))
}

fn reference_name(p: &Payload, id: Option<&Value>) -> String {
    reference(p, id)
        .and_then(|r| r.name.clone())
        .unwrap_or_else(|| "(unknown)".to_string())
}

/// `[name](app_url)` for a story, `**name**` for an epic (Zulip's).
fn named(entity: &str, name: &str, url: Option<&str>) -> String {
    match url.filter(|u| is_web_url(u) && entity == "story") {
        Some(url) => format!("[{name}]({url})"),
        None => format!("**{name}**"),
    }
}

fn entity_of(action: &Action) -> &str {
    if action.entity_type.starts_with("epic") {
        "epic"
    } else {
        "story"
    }
}

fn change<'a>(action: &'a Action, key: &str, side: &str) -> Option<&'a Value> {
    action.changes.get(key)?.get(side).filter(|v| !v.is_null())
}

fn change_text(action: &Action, key: &str, side: &str) -> String {
    change(action, key, side)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn body(p: &Payload, a: &Action, event: &str) -> Option<String> {
    let entity = entity_of(a);
    let name = a.name.as_deref().unwrap_or("(unnamed)");
    let this = named(entity, name, a.app_url.as_deref());
    Some(match event {
        "story_create" => match &a.epic_id {
            Some(epic) if !epic.is_null() => format!(
                "New story {this} was created and added to the epic **{}**.",
                reference_name(p, Some(epic))
            ),
            _ => format!(
                "New story {this} of type **{}** was created.",
                a.story_type.as_deref().unwrap_or("feature")
            ),
        },
        "epic_create" => match a.state.as_deref() {
            Some(state) => format!("New epic **{name}** ({state}) was created."),
            None => format!("New epic **{name}** was created."),
        },
        "story_delete" | "epic_delete" => format!("The {entity} **{name}** was deleted."),
        "story-comment_create" | "epic-comment_create" => {
            let owner = p.actions.iter().find(|o| o.entity_type == entity);
            let on = match owner {
                Some(o) => named(
                    entity,
                    o.name.as_deref().unwrap_or("(unnamed)"),
                    o.app_url.as_deref(),
                ),
                None => match p.references.iter().find(|r| r.entity_type == entity) {
                    Some(r) => named(
                        entity,
                        r.name.as_deref().unwrap_or("(unnamed)"),
                        r.app_url.as_deref(),
                    ),
                    None => format!("(unknown {entity})"),
                },
            };
            let text = a.text.as_deref().map(quote).unwrap_or_default();
            format!("New comment added to the {entity} {on}:{text}")
        }
        "story_update_description" | "epic_update_description" => {
            let (old, new) = (
                change_text(a, "description", "old"),
                change_text(a, "description", "new"),
            );
            match (old.trim().is_empty(), new.trim().is_empty()) {
                (false, false) => format!(
                    "Description for the {entity} {this} was changed from:{}\n\nto{}",
                    quote(&old),
                    quote(&new)
                ),
                (true, false) => {
                    format!(
                        "New description added to the {entity} {this}:{}",
                        quote(&new)
                    )
                }
                _ => format!("Description for the {entity} {this} was removed."),
            }
        }
        "epic_update_state" => format!(
            "State of the epic {this} was changed from **{}** to **{}**.",
            change_text(a, "state", "old"),
            change_text(a, "state", "new")
        ),
        "story_update_state" => format!(
            "State of the story {this} was changed from **{}** to **{}**.",
            reference_name(p, change(a, "workflow_state_id", "old")),
            reference_name(p, change(a, "workflow_state_id", "new"))
        ),
        "story_update_name" | "epic_update_name" => format!(
            "The name of the {entity} {this} was changed from **{}** to **{}**.",
            change_text(a, "name", "old"),
            change_text(a, "name", "new")
        ),
        "story_update_archived" | "epic_update_archived" => {
            let archived = change(a, "archived", "new").and_then(Value::as_bool) == Some(true);
            let operation = if archived { "archived" } else { "unarchived" };
            format!("The {entity} {this} was {operation}.")
        }
        "story-task_create" | "story-task_delete" => {
            let operation = if event == "story-task_create" {
                "added to"
            } else {
                "removed from"
            };
            format!(
                "Task **{}** was {operation} the story {}.",
                a.description.as_deref().unwrap_or(""),
                story_of_task(p, a)
            )
        }
        "story-task_update_complete" => {
            if change(a, "complete", "new").and_then(Value::as_bool) != Some(true) {
                return None;
            }
            format!(
                "Task **{}** ({}) was completed. :tada:",
                a.description.as_deref().unwrap_or(""),
                story_of_task(p, a)
            )
        }
        "story_update_epic" => epic_move(p, a, &this),
        "story_update_estimate" => {
            let estimate = match change(a, "estimate", "new") {
                Some(points) => format!("{points} points"),
                None => "*Unestimated*".to_string(),
            };
            format!("The estimate for the story {this} was set to {estimate}.")
        }
        "story_update_attachment" => {
            let added = change(a, "file_ids", "adds")?.as_array()?.first()?;
            let file = reference(p, Some(added))?;
            format!(
                "A {} attachment `{}` was added to the story {this}.",
                file.entity_type,
                file.name.as_deref().unwrap_or("")
            )
        }
        "story_update_label" => {
            let labels = added_labels(p, a)?;
            let (noun, verb) = if labels.len() == 1 {
                ("label", "was")
            } else {
                ("labels", "were")
            };
            format!(
                "The {noun} {} {verb} added to the story {this}.",
                labels.join(", ")
            )
        }
        "story_update_project" => format!(
            "The story {this} was moved from the **{}** project to **{}**.",
            reference_name(p, change(a, "project_id", "old")),
            reference_name(p, change(a, "project_id", "new"))
        ),
        "story_update_type" => format!(
            "The type of the story {this} was changed from **{}** to **{}**.",
            change_text(a, "story_type", "old"),
            change_text(a, "story_type", "new")
        ),
        "story_update_owner" => format!("New owner added to the story {this}."),
        _ => return None,
    })
}

/// The task's story, linked: from the actions, else the references.
/// The labels an update added, `**name**` each, named by the label
/// actions of the webhook or its references.
fn added_labels(p: &Payload, a: &Action) -> Option<Vec<String>> {
    let added = change(a, "label_ids", "adds")?.as_array()?;
    let labels: Vec<String> = added
        .iter()
        .map(|id| {
            let from_actions = p
                .actions
                .iter()
                .find(|l| same_id(&l.id, id))
                .and_then(|l| l.name.clone());
            let name = from_actions.or_else(|| reference(p, Some(id))?.name.clone());
            format!("**{}**", name.unwrap_or_default())
        })
        .collect();
    (!labels.is_empty()).then_some(labels)
}

/// The changes a batch update (several stories at once) is worded for,
/// as Zulip words them; others (owners, followers, deadlines, removed
/// labels) are not posted.
const BATCH_CHANGES: [&str; 5] = [
    "epic_id",
    "project_id",
    "story_type",
    "label_ids",
    "workflow_state_id",
];

/// One story of a batch update: a single change worded as when the story
/// alone is updated; several in one sentence (`was moved from Epic **a**
/// to **b**, Project **c** to **d**, and changed from type **e** to
/// **f**, and added with the new label **g** (To do -> Done).`).
fn batch_body(p: &Payload, a: &Action) -> Option<String> {
    let changed: Vec<&str> = BATCH_CHANGES
        .into_iter()
        .filter(|key| match *key {
            "label_ids" => added_labels(p, a).is_some(),
            key => a.changes.contains_key(key),
        })
        .collect();
    if let [only] = changed.as_slice() {
        let mut single = a.clone();
        single.changes.retain(|key, _| key == only);
        let event = event_of(&Webhook { has_primary: true }, &single);
        return body(p, &single, &event);
    }
    if changed.is_empty() {
        return None;
    }
    let from_to = |key: &str| {
        (
            reference_name(p, change(a, key, "old")),
            reference_name(p, change(a, key, "new")),
        )
    };
    let mut moves = Vec::new();
    for (key, label) in [("epic_id", "Epic"), ("project_id", "Project")] {
        if changed.contains(&key) {
            let (old, new) = from_to(key);
            moves.push(format!("{label} **{old}** to **{new}**"));
        }
    }
    let mut clauses = Vec::new();
    if !moves.is_empty() {
        clauses.push(format!("moved from {}", moves.join(", ")));
    }
    if changed.contains(&"story_type") {
        clauses.push(format!(
            "changed from type **{}** to **{}**",
            change_text(a, "story_type", "old"),
            change_text(a, "story_type", "new")
        ));
    }
    if let Some(labels) = added_labels(p, a) {
        let noun = if labels.len() == 1 { "label" } else { "labels" };
        clauses.push(format!("added with the new {noun} {}", labels.join(", ")));
    }
    let this = named("story", a.name.as_deref()?, a.app_url.as_deref());
    let mut text = format!("The story {this} was {}", clauses.join(", and "));
    if changed.contains(&"workflow_state_id") {
        let (old, new) = from_to("workflow_state_id");
        text.push_str(&format!(" ({old} -> {new})"));
    }
    text.push('.');
    Some(text)
}

fn story_of_task(p: &Payload, task: &Action) -> String {
    let id = task.story_id.as_ref();
    let matches = |entity: &str, candidate: &Value| {
        entity == "story" && id.is_none_or(|id| same_id(candidate, id))
    };
    if let Some(s) = p.actions.iter().find(|s| matches(&s.entity_type, &s.id)) {
        return named(
            "story",
            s.name.as_deref().unwrap_or(""),
            s.app_url.as_deref(),
        );
    }
    match p.references.iter().find(|r| matches(&r.entity_type, &r.id)) {
        Some(r) => named(
            "story",
            r.name.as_deref().unwrap_or(""),
            r.app_url.as_deref(),
        ),
        None => "(unknown story)".to_string(),
    }
}

fn epic_move(p: &Payload, a: &Action, this: &str) -> String {
    let old = change(a, "epic_id", "old");
    let new = change(a, "epic_id", "new");
    let epic = |id| format!("**{}**", reference_name(p, id));
    match (old, new) {
        (Some(_), Some(_)) => format!(
            "The story {this} was moved from {} to {}.",
            epic(old),
            epic(new)
        ),
        (None, Some(_)) => format!("The story {this} was added to the epic {}.", epic(new)),
        _ => format!("The story {this} was removed from the epic {}.", epic(old)),
    }
}
