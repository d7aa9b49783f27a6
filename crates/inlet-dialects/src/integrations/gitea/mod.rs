//! Gitea (`/api/v1/external/gitea`): the event is the `X-Gitea-Event`
//! header, as Zulip passes it to the event filter; `X-Gitea-Signature`
//! (HMAC-SHA256 hex of the body) is verified when the webhook has a
//! secret; `X-Gitea-Delivery` is the idempotency key. Messages use the
//! shared git wording (`git.rs`).

mod format;
mod payload;

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::signature::verify_hmac_sha256;
use super::{Formatted, Integration};
use serde_json::Value;

pub struct Gitea;

const EVENT_HEADER: &str = "X-Gitea-Event";
const SIGNATURE_HEADER: &str = "X-Gitea-Signature";

const EVENTS: &[&str] = &[
    "push",
    "create",
    "pull_request",
    "issues",
    "issue_comment",
    "release",
];

impl Integration for Gitea {
    fn name(&self) -> &'static str {
        "gitea"
    }

    fn display_name(&self) -> &'static str {
        "Gitea"
    }

    fn events(&self) -> &'static [&'static str] {
        EVENTS
    }

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let header = headers
            .get(EVENT_HEADER)
            .filter(|h| !h.is_empty())
            .ok_or_else(|| IntegrationError::missing_header(EVENT_HEADER))?;
        // Every Gitea repository event names its repository.
        if payload.get("repository").is_none_or(|r| !r.is_object()) {
            return Err(IntegrationError::anomalous(self.display_name()));
        }
        Ok(header.to_string())
    }

    fn verify(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
    ) -> Result<(), IntegrationError> {
        let value = headers.get(SIGNATURE_HEADER);
        verify_hmac_sha256(SIGNATURE_HEADER, value, "", body, secret)
    }

    fn delivery_id(&self, headers: &Headers<'_>) -> Option<String> {
        headers.get("X-Gitea-Delivery").map(str::to_string)
    }

    fn headers(&self) -> &'static [&'static str] {
        &[EVENT_HEADER, "X-Gitea-Delivery"]
    }

    fn json_in_form_body(&self) -> bool {
        true
    }

    fn format(
        &self,
        event: &str,
        payload: &Value,
        params: &Params<'_>,
    ) -> Result<Formatted, IntegrationError> {
        format::format(event, payload, params)
    }
}
