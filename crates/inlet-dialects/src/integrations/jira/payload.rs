//! Jira webhook payloads, as much of each as the messages use
//! (developer.atlassian.com "Webhooks"). Every field read is typed, so a
//! missing or mistyped one is named in the refusal.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
pub struct IssueEvent {
    #[serde(default)]
    pub issue_event_type_name: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    pub issue: Issue,
    #[serde(default)]
    pub changelog: Option<Changelog>,
    /// Jira's v1 payloads send `"comment": ""` when there is none.
    #[serde(default, deserialize_with = "object_or_none")]
    pub comment: Option<Comment>,
    /// A workflow transition (v1 payloads with no `changelog`).
    #[serde(default, deserialize_with = "object_or_none")]
    pub transition: Option<Transition>,
}

#[derive(Debug, Deserialize)]
pub struct Transition {
    #[serde(default)]
    pub from_status: Option<String>,
    #[serde(default)]
    pub to_status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    #[serde(rename = "self")]
    pub self_url: String,
    pub key: String,
    pub fields: Fields,
}

#[derive(Debug, Deserialize)]
pub struct Fields {
    pub summary: String,
    #[serde(default)]
    pub priority: Option<Named>,
    #[serde(default)]
    pub assignee: Option<User>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Changelog {
    #[serde(default)]
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeItem {
    pub field: String,
    #[serde(default)]
    pub from_string: Option<String>,
    #[serde(default)]
    pub to_string: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Comment {
    pub author: User,
    pub body: String,
    /// `<base>/rest/api/2/issue/<issue id>/comment/<id>`.
    #[serde(default, rename = "self")]
    pub self_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CommentEvent {
    /// Some old Jira versions send comment events without the issue.
    #[serde(default)]
    pub issue: Option<Issue>,
    pub comment: Comment,
}

/// An object as `T`; anything else (`""`, `null`) as none.
fn object_or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        value @ Value::Object(_) => T::deserialize(value)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}
