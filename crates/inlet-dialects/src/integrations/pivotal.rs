//! Pivotal Tracker (`/api/v1/external/pivotal`): activity webhooks in
//! API v5 (JSON: the event is `<kind>_v5`) and, from older projects, API
//! v3 (XML: `<event_type>_v3`), as Zulip names them. A story's creation,
//! updates, moves and comments share its thread, `#<id>: <name>`.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::quote;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use crate::url::is_web_url;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub struct Pivotal;

const EVENTS: &[&str] = &[
    "story_update_v3",
    "note_create_v3",
    "story_create_v3",
    "story_move_activity_v5",
    "story_create_activity_v5",
    "story_update_activity_v5",
    "comment_create_activity_v5",
];

static VENDOR: Vendor = Vendor::new("pivotal", "Pivotal Tracker", EVENTS);

/// The key under which an XML (v3) activity is handed to `format`: not a
/// v5 field, so a JSON body is never mistaken for one.
const V3: &str = "inlet_pivotal_v3_activity";

#[derive(Debug, Deserialize)]
struct V3Activity {
    event_type: String,
    description: String,
    project_id: String,
    #[serde(default)]
    story: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct V5Activity {
    kind: String,
    project: Project,
    primary_resources: Vec<Resource>,
    #[serde(default)]
    performed_by: Option<Person>,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
struct Project {
    id: Value,
    name: String,
}

#[derive(Debug, Deserialize)]
struct Resource {
    id: Value,
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    story_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Person {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    original_values: Map<String, Value>,
    #[serde(default)]
    new_values: Map<String, Value>,
}

impl Integration for Pivotal {
    vendor_methods!(VENDOR);

    /// An XML body (v3) becomes `{V3: {event_type, description,
    /// project_id, story: {…}}}`.
    fn non_json_payload(
        &self,
        _content_type: Option<&str>,
        body: &[u8],
    ) -> Option<Result<Value, IntegrationError>> {
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        if !body.trim_ascii_start().starts_with(b"<") {
            return None;
        }
        Some(v3_payload(body))
    }

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        if let Some(activity) = payload.get(V3) {
            let kind = activity.get("event_type").and_then(Value::as_str);
            return kind
                .map(|k| format!("{k}_v3"))
                .ok_or_else(|| VENDOR.anomalous());
        }
        match payload.get("kind").and_then(Value::as_str) {
            Some(kind) if payload.get("primary_resources").is_some() => Ok(format!("{kind}_v5")),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        match payload.get(V3) {
            Some(activity) => v3(&parse(activity)?),
            None => v5(&parse(payload)?),
        }
    }
}

/// The XML activity's fields, as text.
fn v3_payload(body: &[u8]) -> Result<Value, IntegrationError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| IntegrationError::invalid("the XML body is not UTF-8"))?;
    let document = roxmltree::Document::parse(text)
        .map_err(|e| IntegrationError::invalid(format!("the body is not well-formed XML: {e}")))?;
    let root = document.root_element();
    if !root.has_tag_name("activity") {
        return Err(VENDOR.anomalous());
    }
    let child_text = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .map(|c| Value::from(c.text().unwrap_or("").trim()))
    };
    let mut activity = Map::new();
    for name in ["event_type", "description", "project_id", "author"] {
        if let Some(value) = child_text(root, name) {
            activity.insert(name.to_string(), value);
        }
    }
    let story = root
        .children()
        .find(|c| c.has_tag_name("stories"))
        .and_then(|s| s.children().find(|c| c.has_tag_name("story")));
    let mut fields = Map::new();
    if let Some(story) = story {
        for child in story.children().filter(roxmltree::Node::is_element) {
            let value = child.text().unwrap_or("").trim();
            fields.insert(child.tag_name().name().to_string(), Value::from(value));
        }
    }
    activity.insert("story".to_string(), Value::Object(fields));
    Ok(json!({ V3: activity }))
}

fn story_field<'a>(story: &'a Map<String, Value>, name: &str) -> &'a str {
    story.get(name).and_then(Value::as_str).unwrap_or("")
}

fn v3(a: &V3Activity) -> Formatting {
    let story_id = story_field(&a.story, "id");
    // The XML's URL is an API one: link the story's page instead.
    let url = format!(
        "https://www.pivotaltracker.com/s/projects/{}/stories/{story_id}",
        a.project_id
    );
    // The story's name, else the first quoted string of a story event's
    // description (a note's quotes its text, not the story's name).
    let quoted = match a.event_type.as_str() {
        "note_create" => None,
        _ => a.description.split('"').nth(1).filter(|n| !n.is_empty()),
    };
    let name = match story_field(&a.story, "name") {
        "" => quoted,
        name => Some(name),
    };
    let view = format!(" [(view)]({url}).");
    let body = match a.event_type.as_str() {
        "story_create" => {
            let estimate = match story_field(&a.story, "estimate") {
                "" => String::new(),
                points => format!(" worth {points} story points"),
            };
            format!(
                "{} ({} {}{estimate}):{}\n\n{}",
                a.description,
                story_field(&a.story, "current_state"),
                story_field(&a.story, "story_type"),
                quote(story_field(&a.story, "description")),
                view.trim_start()
            )
        }
        _ => format!("{}{view}", a.description),
    };
    Ok(thread(story_id, name, body))
}

/// `#<id>: <name>` (`#<id>` when the name is not known), keyed by the
/// story's id.
fn thread(story_id: &str, name: Option<&str>, body: String) -> Formatted {
    let topic = match name {
        Some(name) => format!("#{story_id}: {name}"),
        None => format!("#{story_id}"),
    };
    if story_id.is_empty() {
        return Formatted::one(topic.clone(), topic, body);
    }
    Formatted::one(format!("story {story_id}"), topic, body)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn v5(a: &V5Activity) -> Formatting {
    let Some(story) = a.primary_resources.first() else {
        return Err(IntegrationError::invalid(
            "field `primary_resources` is empty: no story to report on",
        ));
    };
    let by = a.performed_by.as_ref().map_or("", |p| p.name.as_str());
    let story_link = match story.url.as_deref().filter(|u| is_web_url(u)) {
        Some(url) => format!("[{}]({url})", story.name),
        None => format!("**{}**", story.name),
    };
    let info = format!(
        "[{}](https://www.pivotaltracker.com/s/projects/{}): {story_link}",
        a.project.name,
        text_of(&a.project.id)
    );
    let mut body = String::new();
    match a.kind.as_str() {
        "story_update_activity" => {
            body.push_str(&format!("{by} updated {info}:"));
            for c in &a.changes {
                body.push_str(&update_lines(c));
                if let Some(text) = comment_text(c) {
                    body.push_str(&format!("\n* Comment added:{}\n", quote(text)));
                }
            }
        }
        "comment_create_activity" => {
            let texts: Vec<&str> = a.changes.iter().filter_map(comment_text).collect();
            body.push_str(&format!("{by} added a comment to {info}:"));
            for text in texts {
                body.push_str(&quote(text));
            }
        }
        "story_create_activity" => {
            let kind = story.story_type.as_deref().unwrap_or("story");
            body.push_str(&format!("{by} created {kind}: {info}"));
            for c in &a.changes {
                if let Some(state) = c.new_values.get("current_state") {
                    body.push_str(&format!("\n* State is **{}**", text_of(state)));
                }
                if let Some(description) = c.new_values.get("description").and_then(Value::as_str) {
                    body.push_str(&format!("\n* Description is{}", quote(description)));
                }
            }
        }
        _ => {
            body.push_str(&format!("{by} moved {info}"));
            for c in &a.changes {
                if let (Some(old), Some(new)) = (
                    c.original_values.get("current_state"),
                    c.new_values.get("current_state"),
                ) {
                    body.push_str(&format!(
                        " from **{}** to **{}**.",
                        text_of(old),
                        text_of(new)
                    ));
                }
            }
        }
    }
    Ok(thread(
        &text_of(&story.id),
        Some(&story.name),
        body.trim_end().to_string(),
    ))
}

/// The text of a comment the change adds.
fn comment_text(c: &Change) -> Option<&str> {
    if c.kind.as_deref() != Some("comment") {
        return None;
    }
    c.new_values.get("text").and_then(Value::as_str)
}

/// The state, estimate and type changes of an update, one bullet each.
fn update_lines(c: &Change) -> String {
    let (old, new) = (&c.original_values, &c.new_values);
    let mut lines = String::new();
    if let (Some(o), Some(n)) = (old.get("current_state"), new.get("current_state")) {
        lines.push_str(&format!(
            "\n* state changed from **{}** to **{}**",
            text_of(o),
            text_of(n)
        ));
    }
    if let (Some(o), Some(n)) = (old.get("estimate"), new.get("estimate")) {
        let from = match o {
            Value::Null => "is now".to_string(),
            o => format!("changed from {} to", text_of(o)),
        };
        let points = if n.is_null() {
            "0".to_string()
        } else {
            text_of(n)
        };
        lines.push_str(&format!("\n* estimate {from} **{points} points**"));
    }
    if let (Some(o), Some(n)) = (old.get("story_type"), new.get("story_type")) {
        lines.push_str(&format!(
            "\n* type changed from **{}** to **{}**",
            text_of(o),
            text_of(n)
        ));
    }
    lines
}
