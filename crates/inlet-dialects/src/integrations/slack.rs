//! Slack (`/api/v1/external/slack`): the `slack` dialect reached through
//! the integration URL form, for senders configured with Zulip-style URLs
//! (`slack_incoming`). The body is a Slack payload, translated by
//! [`crate::slack`] exactly as on the dialect's own URL (JSON, form and
//! multipart bodies alike), so the posts are the same; the event is
//! `message`, and `stream` / `topic` apply as for any integration.
//!
//! The translation sees the request's directory, as the dialect does:
//! `<@username>` and `<#C123>` render the same on both URLs.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::{DialectPosts, Formatted, IgnoreReason, Integration, IntegrationRequest};
use crate::draft::RequestFacts;
use serde_json::Value;

pub struct Slack;

const EVENT: &str = "message";

impl Integration for Slack {
    fn name(&self) -> &'static str {
        "slack"
    }

    fn display_name(&self) -> &'static str {
        "Slack"
    }

    fn events(&self) -> &'static [&'static str] {
        &[EVENT]
    }

    fn event_of(&self, _: &Headers<'_>, _: &Value) -> Result<String, IntegrationError> {
        Ok(EVENT.to_string())
    }

    fn translate_request(&self, req: &IntegrationRequest<'_>) -> Option<DialectPosts> {
        let facts = RequestFacts {
            content_type: req.content_type,
            webhook: req.webhook,
            limits: req.limits,
            directory: req.directory,
        };
        Some(
            crate::slack::translate(&facts, req.body)
                .map(|t| (EVENT.to_string(), vec![t]))
                .map_err(IntegrationError::from),
        )
    }

    /// Never reached: [`Self::translate_request`] answers every request.
    fn format(&self, _: &str, _: &Value, _: &Params<'_>) -> Result<Formatted, IntegrationError> {
        Ok(Formatted::Ignore(IgnoreReason::Unsupported))
    }
}
