//! Shortcut, formerly Clubhouse (`/api/v1/external/clubhouse`, also
//! `/api/v1/external/shortcut`): a webhook carries `actions`, the one
//! named by `primary_id` being what happened (a batch update of several
//! stories has no `primary_id`: each action is one). The event name is
//! Zulip's: `<entity>_<action>`, refined by what an update changed
//! (`story_update_state`, `epic_update_name`, …). A story's (or epic's)
//! events share its thread, keyed by its id so a rename keeps it.

mod format;
mod payload;

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
use payload::{Action, Webhook};
use serde_json::Value;

pub struct Clubhouse;

/// Zulip's events.
const EVENTS: &[&str] = &[
    "story_create",
    "story_delete",
    "story_update_archived",
    "story_update_description",
    "story_update_state",
    "story_update_name",
    "story_update_epic",
    "story_update_estimate",
    "story_update_attachment",
    "story_update_label",
    "story_update_project",
    "story_update_type",
    "story_update_owner",
    "story_update_batch",
    "story-comment_create",
    "story-task_create",
    "story-task_delete",
    "story-task_update_complete",
    "epic_create",
    "epic_delete",
    "epic_update_archived",
    "epic_update_description",
    "epic_update_state",
    "epic_update_name",
    "epic-comment_create",
    "pull-request_create",
    "pull-request_comment",
    "branch_create",
];

static VENDOR: Vendor = Vendor::new("clubhouse", "Shortcut", EVENTS)
    .aliases(&["shortcut"])
    .hmac("Payload-Signature", "")
    .null_bodies_ignored();

impl Integration for Clubhouse {
    vendor_methods!(VENDOR, format: format::format);

    /// Every Shortcut webhook lists its `actions`; the event is the
    /// primary action's, or `story_update_batch` for several stories.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let Some(actions) = payload.get("actions").and_then(Value::as_array) else {
            return Err(VENDOR.anomalous());
        };
        let primary = match payload.get("primary_id") {
            Some(id) => actions.iter().find(|a| a.get("id") == Some(id)),
            None => actions.first(),
        };
        let action: Action = match primary {
            Some(action) => {
                serde_json::from_value(action.clone()).map_err(|_| VENDOR.anomalous())?
            }
            None => return Err(VENDOR.anomalous()),
        };
        let webhook = Webhook {
            has_primary: payload.get("primary_id").is_some(),
        };
        Ok(payload::event_of(&webhook, &action))
    }
}
