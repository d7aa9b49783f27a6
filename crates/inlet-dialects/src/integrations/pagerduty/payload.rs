//! PagerDuty's V3 and legacy (V1, V2) webhook payloads, as much of each
//! as the messages use; everything but the incident's id is optional.

use crate::integrations::text::linked;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct Reference {
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

impl Reference {
    pub fn link(&self) -> String {
        linked(
            self.summary.as_deref().unwrap_or("someone"),
            self.html_url.as_deref(),
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct V3 {
    pub event: V3Event,
}

#[derive(Debug, Deserialize)]
pub struct V3Event {
    pub event_type: String,
    #[serde(default)]
    pub agent: Option<Reference>,
}

#[derive(Debug, Deserialize)]
pub struct V3Incident {
    pub id: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub number: Option<u64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub service: Option<Reference>,
    #[serde(default)]
    pub assignees: Vec<Reference>,
    #[serde(default)]
    pub priority: Option<Reference>,
    #[serde(default)]
    pub resolve_reason: Option<Value>,
}

/// `incident.annotated`: a note on an incident named by reference.
#[derive(Debug, Deserialize)]
pub struct V3Note {
    pub incident: V3IncidentRef,
    #[serde(default)]
    pub content: Option<String>,
}

/// The V3 events whose `data` names its incident by reference rather
/// than being the incident: a responder request or reply
/// (`incident_responder`), a status update, a conference bridge, a
/// workflow run. Each reads the fields it needs; all are optional.
#[derive(Debug, Deserialize)]
pub struct V3AboutIncident {
    pub incident: V3IncidentRef,
    #[serde(default)]
    pub user: Option<Reference>,
    #[serde(default)]
    pub escalation_policy: Option<Reference>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub conference_url: Option<String>,
    #[serde(default)]
    pub conference_numbers: Option<Vec<Value>>,
    #[serde(default)]
    pub incident_workflow: Option<Reference>,
    #[serde(default)]
    pub workflow_trigger: Option<Reference>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct V3IncidentRef {
    pub id: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Legacy {
    pub messages: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub struct V1Message {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: V1Data,
}

#[derive(Debug, Deserialize)]
pub struct V1Data {
    pub incident: V1Incident,
}

#[derive(Debug, Deserialize)]
pub struct V1Incident {
    pub id: String,
    pub incident_number: u64,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub service: Option<V1Service>,
    #[serde(default)]
    pub assigned_to_user: Option<V1User>,
    #[serde(default)]
    pub resolved_by_user: Option<V1User>,
    #[serde(default)]
    pub trigger_summary_data: Option<V1Summary>,
}

#[derive(Debug, Deserialize)]
pub struct V1Service {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct V1User {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

impl V1User {
    /// Zulip shows the email's local part.
    pub fn link(&self) -> String {
        let name = self
            .email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .filter(|n| !n.is_empty())
            .or(self.name.as_deref())
            .unwrap_or("someone");
        linked(name, self.html_url.as_deref())
    }
}

#[derive(Debug, Deserialize)]
pub struct V1Summary {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct V2Message {
    pub event: String,
    pub incident: V2Incident,
}

#[derive(Debug, Deserialize)]
pub struct V2Incident {
    pub id: String,
    pub incident_number: u64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub service: Option<Reference>,
    #[serde(default)]
    pub assignments: Vec<V2Assignment>,
    #[serde(default)]
    pub last_status_change_by: Option<Reference>,
}

#[derive(Debug, Deserialize)]
pub struct V2Assignment {
    pub assignee: Reference,
}
