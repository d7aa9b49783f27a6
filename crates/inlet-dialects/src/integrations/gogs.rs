//! Gogs (`/api/v1/external/gogs`): Gitea was forked from Gogs and kept its
//! webhook payloads, so Gogs events are read and worded by the Gitea
//! integration's code (`gitea/`), with Gogs' headers: the event is
//! `X-Gogs-Event`, `X-Gogs-Signature` (HMAC-SHA256 hex of the body) is
//! verified when the webhook has a secret, `X-Gogs-Delivery` is the
//! idempotency key. Only the addresses of created branches and tags differ.

use super::Formatting;
use super::Integration;
use super::error::IntegrationError;
use super::gitea::{self, Host};
use super::params::{Headers, Params};
use super::vendor::{Vendor, event_names, vendor_methods};
use serde_json::Value;

pub struct Gogs;

/// Zulip's Gogs events.
const EVENTS: &[&str] = event_names!(gitea::FROM_GOGS, &["release"]);

static VENDOR: Vendor = Vendor::new("gogs", "Gogs", EVENTS)
    .headers("X-Gogs-Event", "X-Gogs-Delivery")
    .hmac("X-Gogs-Signature", "")
    .form_bodies_as_json();

impl Integration for Gogs {
    vendor_methods!(VENDOR);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        gitea::event_of(&VENDOR, headers, payload)
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        gitea::format_as(Host::Gogs, event, payload, params)
    }
}
