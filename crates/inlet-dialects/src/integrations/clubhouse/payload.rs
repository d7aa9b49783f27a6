//! Shortcut webhook payloads (developer.shortcut.com "Webhooks"): the
//! actions and the references they point to, and how an action's event
//! is named (Zulip's names).

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Deserialize)]
pub struct Payload {
    #[serde(default)]
    pub primary_id: Option<Value>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub references: Vec<Reference>,
}

/// What the event name depends on besides the action.
pub struct Webhook {
    pub has_primary: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Action {
    /// An integer, or a string for some entities.
    pub id: Value,
    pub entity_type: String,
    pub action: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app_url: Option<String>,
    #[serde(default)]
    pub changes: Map<String, Value>,
    #[serde(default)]
    pub epic_id: Option<Value>,
    #[serde(default)]
    pub story_id: Option<Value>,
    #[serde(default)]
    pub story_type: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A GitHub pull request's number (`pull-request` actions).
    #[serde(default)]
    pub number: Option<Value>,
    /// A GitHub pull request's or branch's address.
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Reference {
    pub id: Value,
    pub entity_type: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub app_url: Option<String>,
}

/// Ids are integers or strings: compared as text.
pub fn same_id(a: &Value, b: &Value) -> bool {
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
    !a.is_null() && text(a) == text(b)
}

/// `<entity>_<action>`, refined by the first change Zulip looks at.
pub fn event_of(webhook: &Webhook, action: &Action) -> String {
    let event = format!("{}_{}", action.entity_type, action.action);
    if event == "story_update" && !webhook.has_primary {
        return "story_update_batch".to_string();
    }
    let refinements = [
        ("description", "description"),
        ("state", "state"),
        ("workflow_state_id", "state"),
        ("name", "name"),
        ("archived", "archived"),
        ("complete", "complete"),
        ("epic_id", "epic"),
        ("estimate", "estimate"),
        ("file_ids", "attachment"),
        ("label_ids", "label"),
        ("project_id", "project"),
        ("story_type", "type"),
        ("owner_ids", "owner"),
    ];
    match refinements
        .iter()
        .find(|(change, _)| action.changes.contains_key(*change))
    {
        Some((_, suffix)) => format!("{event}_{suffix}"),
        None => event,
    }
}
