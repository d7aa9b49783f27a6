//! Intercom (`/api/v1/external/intercom`): the event is the body's
//! `topic` (`conversation.admin.replied`, …), as Zulip passes it to the
//! event filter; `X-Hub-Signature` (`sha1=<hex>`, HMAC-SHA1 of the body
//! under the app's client secret) is verified when the webhook has a
//! secret. A contact's events (their conversations, replies, tags) share
//! the contact's thread, `User: <name>`, keyed by the contact's id.

use super::error::IntegrationError;
use super::html::text_of_html as strip_tags;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{configured_message, quote};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Intercom;

const EVENTS: &[&str] = &[
    "ping",
    "company.created",
    "contact.added_email",
    "contact.created",
    "contact.signed_up",
    "contact.tag.created",
    "contact.tag.deleted",
    "conversation.admin.assigned",
    "conversation.admin.closed",
    "conversation.admin.opened",
    "conversation.admin.snoozed",
    "conversation.admin.unsnoozed",
    "conversation.admin.replied",
    "conversation.admin.noted",
    "conversation.admin.single.created",
    "conversation.user.created",
    "conversation.user.replied",
    "event.created",
    "user.created",
    "user.deleted",
    "user.email.updated",
    "user.tag.created",
    "user.tag.deleted",
    "user.unsubscribed",
    "visitor.signed_up",
];

static VENDOR: Vendor =
    Vendor::new("intercom", "Intercom", EVENTS).hmac_sha1("X-Hub-Signature", "sha1=");

#[derive(Debug, Deserialize)]
struct Notification {
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    item: Value,
}

/// A user, lead or contact, as the threads and messages name it.
#[derive(Debug, Default, Deserialize)]
struct Contact {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    pseudonym: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    location_data: Option<Location>,
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    #[serde(default)]
    city_name: Option<String>,
    #[serde(default)]
    region_name: Option<String>,
    #[serde(default)]
    country_name: Option<String>,
}

impl Integration for Intercom {
    vendor_methods!(VENDOR);

    /// Every Intercom notification names its `topic`; the others carry
    /// their object in `data.item`.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("topic").and_then(Value::as_str) {
            Some(topic) if topic == "ping" || payload.pointer("/data/item").is_some() => {
                Ok(topic.to_string())
            }
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        if event == "ping" {
            let body = configured_message("Intercom", None);
            return Ok(Formatted::one("Intercom", "Intercom", body));
        }
        let item = parse::<Notification>(payload)?.data.item;
        let (key, topic, mut body) = message(event, &item)?;
        // With a `topic` override the contact's thread is gone: name them.
        if params.topic_overridden() && key != "Companies" && key != "Events" {
            body.push_str(&format!("\n\n*{topic}*"));
        }
        Ok(Formatted::one(key, topic, body))
    }
}

/// A field of `data.item` (or of the object at `path` in it), typed.
fn field<'a, T: Deserialize<'a>>(item: &'a Value, path: &str) -> Result<T, IntegrationError> {
    let value = item.pointer(path).unwrap_or(&Value::Null);
    parse::<T>(value).map_err(|e| {
        // Name the field from the payload's root, not from `path`.
        let at = format!("data.item{}", path.replace('/', "."));
        let message = match e.message.strip_prefix("field `.`: ") {
            Some(inner) => format!("field `{at}`: {inner}"),
            None => e.message.replacen("field `", &format!("field `{at}."), 1),
        };
        IntegrationError::invalid(message)
    })
}

fn text(item: &Value, path: &str) -> Result<String, IntegrationError> {
    field::<String>(item, path)
}

/// `(thread key, topic)` of a contact: `User: Jane Doe`.
fn contact_thread(c: &Contact) -> (String, String) {
    let kind = c.kind.as_deref().unwrap_or("contact");
    let mut label = kind.to_string();
    if let Some(first) = label.get(..1) {
        label = first.to_uppercase() + &label[1..];
    }
    let name = [&c.name, &c.pseudonym, &c.email]
        .into_iter()
        .flatten()
        .find(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| "(anonymous)".to_string());
    let topic = format!("{label}: {name}");
    let key = match &c.id {
        Some(id) => format!("{kind} {id}"),
        None => topic.clone(),
    };
    (key, topic)
}

fn location(c: &Contact) -> String {
    let l = c.location_data.as_ref();
    let part = |p: Option<&Option<String>>| p.and_then(|v| v.clone()).unwrap_or_default();
    format!(
        "{}, {}, {}",
        part(l.map(|l| &l.city_name)),
        part(l.map(|l| &l.region_name)),
        part(l.map(|l| &l.country_name))
    )
}

fn message(event: &str, item: &Value) -> Result<(String, String, String), IntegrationError> {
    let contact_at = |path: &str| field::<Contact>(item, path);
    let (thread, body) = match event {
        "company.created" => {
            let body = format!(
                "New company **{}** created:\n* **User count**: {}\n* **Monthly spending**: {}",
                text(item, "/name")?,
                item.get("user_count")
                    .map_or("0".to_string(), Value::to_string),
                item.get("monthly_spend")
                    .map_or("0".to_string(), Value::to_string),
            );
            return Ok(("Companies".into(), "Companies".into(), body));
        }
        "event.created" => {
            let body = format!("New event **{}** created.", text(item, "/event_name")?);
            return Ok(("Events".into(), "Events".into(), body));
        }
        "contact.added_email" => {
            let c = contact_at("")?;
            let body = format!("New email {} added to contact.", text(item, "/email")?);
            (contact_thread(&c), body)
        }
        "contact.created" => {
            let c = contact_at("")?;
            let name = c.name.clone().or(c.pseudonym.clone()).unwrap_or_default();
            let body = format!(
                "New contact created:\n* **Name (or pseudonym)**: {name}\n* **Email**: {}\n* **Location**: {}",
                c.email.as_deref().unwrap_or(""),
                location(&c)
            );
            (contact_thread(&c), body)
        }
        "contact.signed_up" | "visitor.signed_up" => {
            let c = contact_at("")?;
            let body = format!(
                "Contact signed up:\n* **Email**: {}\n* **Location**: {}",
                c.email.as_deref().unwrap_or(""),
                location(&c)
            );
            (contact_thread(&c), body)
        }
        "contact.tag.created" | "contact.tag.deleted" | "user.tag.created" | "user.tag.deleted" => {
            let owner = if event.starts_with("contact") {
                "contact"
            } else {
                "user"
            };
            let c = contact_at(&format!("/{owner}"))?;
            let tag = text(item, "/tag/name")?;
            let body = match event {
                "contact.tag.created" => format!("Contact tagged with the `{tag}` tag."),
                "contact.tag.deleted" => format!("The tag `{tag}` was removed from the contact."),
                "user.tag.created" => format!("The tag `{tag}` was added to the user."),
                _ => format!("The tag `{tag}` was removed from the user."),
            };
            (contact_thread(&c), body)
        }
        "user.created" => {
            let c = contact_at("")?;
            let body = format!(
                "New user created:\n* **Name**: {}\n* **Email**: {}",
                c.name.as_deref().unwrap_or(""),
                c.email.as_deref().unwrap_or("")
            );
            (contact_thread(&c), body)
        }
        "user.deleted" => (contact_thread(&contact_at("")?), "User deleted.".into()),
        "user.email.updated" => {
            let body = format!("User's email was updated to {}.", text(item, "/email")?);
            (contact_thread(&contact_at("")?), body)
        }
        "user.unsubscribed" => (
            contact_thread(&contact_at("")?),
            "User unsubscribed from emails.".into(),
        ),
        conversation => return conversation_message(conversation, item),
    };
    let ((key, topic), body) = (thread, body);
    Ok((key, topic, body))
}

fn conversation_message(
    event: &str,
    item: &Value,
) -> Result<(String, String, String), IntegrationError> {
    let user = field::<Contact>(item, "/user")?;
    let (key, topic) = contact_thread(&user);
    let admin = || {
        item.pointer("/assignee/name")
            .and_then(Value::as_str)
            .unwrap_or("An admin")
            .to_string()
    };
    let user_name = user.name.clone().unwrap_or_else(|| "The user".to_string());
    let part = || -> Result<String, IntegrationError> {
        let body = text(item, "/conversation_parts/conversation_parts/0/body")?;
        Ok(strip_tags(&body))
    };
    let opening = || -> Result<String, IntegrationError> {
        Ok(strip_tags(&text(item, "/conversation_message/body")?))
    };
    let body = match event {
        "conversation.admin.assigned" => {
            format!(
                "{} assigned to conversation.",
                text(item, "/assignee/name")?
            )
        }
        "conversation.admin.closed" => format!("{} closed the conversation.", admin()),
        "conversation.admin.opened" => format!("{} opened the conversation.", admin()),
        "conversation.admin.snoozed" => format!("{} snoozed the conversation.", admin()),
        "conversation.admin.unsnoozed" => format!("{} unsnoozed the conversation.", admin()),
        "conversation.admin.replied" => {
            format!(
                "{} replied to the conversation:{}",
                admin(),
                quote(&part()?)
            )
        }
        "conversation.admin.noted" => format!(
            "{} added a note to the conversation:{}",
            admin(),
            quote(&part()?)
        ),
        "conversation.admin.single.created" => format!(
            "{} initiated a conversation:{}",
            admin(),
            quote(&opening()?)
        ),
        "conversation.user.created" => format!(
            "{user_name} initiated a conversation:{}",
            quote(&opening()?)
        ),
        _ => format!(
            "{user_name} replied to the conversation:{}",
            quote(&part()?)
        ),
    };
    Ok((key, topic, body))
}
