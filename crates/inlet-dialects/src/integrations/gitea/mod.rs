//! Gitea (`/api/v1/external/gitea`): the event is the `X-Gitea-Event`
//! header, as Zulip passes it to the event filter; `X-Gitea-Signature`
//! (HMAC-SHA256 hex of the body) is verified when the webhook has a
//! secret; `X-Gitea-Delivery` is the idempotency key. Messages use the
//! shared git wording and payload parts (`git/`).

mod format;
mod payload;

pub(super) use format::{Host, format_as};

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, event_names, vendor_methods};
use serde_json::Value;

pub struct Gitea;

/// The events Gitea kept from Gogs, which it was forked from: both lists
/// start with them, in this order.
pub(super) const FROM_GOGS: &[&str] = &[
    "push",
    "create",
    "delete",
    "pull_request",
    "issues",
    "issue_comment",
];

const EVENTS: &[&str] = event_names!(FROM_GOGS, &["pull_request_comment", "release"]);

static VENDOR: Vendor = Vendor::new("gitea", "Gitea", EVENTS)
    .headers("X-Gitea-Event", "X-Gitea-Delivery")
    .hmac("X-Gitea-Signature", "")
    .form_bodies_as_json();

impl Integration for Gitea {
    vendor_methods!(VENDOR, format: format::format);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        event_of(&VENDOR, headers, payload)
    }
}

/// The event header's value, for a payload that names its repository as
/// every Gitea (and Gogs) repository event does.
pub(super) fn event_of(
    vendor: &Vendor,
    headers: &Headers<'_>,
    payload: &Value,
) -> Result<String, IntegrationError> {
    let header = vendor.required_event(headers)?;
    if payload.get("repository").is_none_or(|r| !r.is_object()) {
        return Err(vendor.anomalous());
    }
    Ok(header.to_string())
}
