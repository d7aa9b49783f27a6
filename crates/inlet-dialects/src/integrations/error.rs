//! What an integration endpoint answers: its error codes (Zulip's
//! upper-case ones where Zulip has one, ours otherwise, decisions.md 15),
//! their HTTP statuses, and the JSON bodies in Zulip's shape.

use crate::error::{ErrorCode, Rejection};
use serde_json::{Value, json};
use std::fmt;

/// The codes an integration request can be refused with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntegrationCode {
    /// No integration of that name (404).
    NoSuchIntegration,
    /// The vendor's event header is missing (400).
    MissingHttpEventHeader,
    /// The payload is not the vendor's (400).
    AnomalousWebhookPayload,
    /// Not JSON, not an object, too deep, or a required field is missing
    /// or mistyped (400; the message names the field).
    InvalidPayload,
    /// The webhook has a signing secret and the signature is missing or
    /// wrong (401).
    InvalidSignature,
    /// A bad charset, or a form body on a JSON-only integration (415).
    UnsupportedMediaType,
    /// A dialect reached through the integration URL (`slack`) had nothing
    /// to post (400, the dialect's `no_text`).
    NoText,
    /// Too many Slack attachments (400, the dialect's code).
    TooManyAttachments,
    /// The posts the payload makes would be too large to carry (413).
    PayloadTooLarge,
}

impl IntegrationCode {
    /// The code as senders and metrics see it.
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationCode::NoSuchIntegration => "no_such_integration",
            IntegrationCode::MissingHttpEventHeader => "MISSING_HTTP_EVENT_HEADER",
            IntegrationCode::AnomalousWebhookPayload => "ANOMALOUS_WEBHOOK_PAYLOAD",
            IntegrationCode::InvalidPayload => "invalid_payload",
            IntegrationCode::InvalidSignature => "invalid_signature",
            IntegrationCode::UnsupportedMediaType => "unsupported_media_type",
            IntegrationCode::NoText => "no_text",
            IntegrationCode::TooManyAttachments => "too_many_attachments",
            IntegrationCode::PayloadTooLarge => "payload_too_large",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            IntegrationCode::NoSuchIntegration => 404,
            IntegrationCode::MissingHttpEventHeader
            | IntegrationCode::AnomalousWebhookPayload
            | IntegrationCode::InvalidPayload
            | IntegrationCode::NoText
            | IntegrationCode::TooManyAttachments => 400,
            IntegrationCode::InvalidSignature => 401,
            IntegrationCode::UnsupportedMediaType => 415,
            IntegrationCode::PayloadTooLarge => 413,
        }
    }

    /// The metric label `reason` (always our lower-case spelling).
    pub fn metric_reason(self) -> &'static str {
        match self {
            IntegrationCode::MissingHttpEventHeader => "missing_http_event_header",
            IntegrationCode::AnomalousWebhookPayload => "anomalous_webhook_payload",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for IntegrationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused integration request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IntegrationError {
    pub code: IntegrationCode,
    pub status: u16,
    pub message: String,
}

impl IntegrationError {
    pub fn new(code: IntegrationCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status: code.http_status(),
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(IntegrationCode::InvalidPayload, message)
    }

    pub fn no_such_integration(name: &str) -> Self {
        Self::new(
            IntegrationCode::NoSuchIntegration,
            format!("No such integration: '{name}'"),
        )
    }

    /// Zulip's wording: "Missing the HTTP event header 'X-GitHub-Event'".
    pub fn missing_header(header: &str) -> Self {
        Self::new(
            IntegrationCode::MissingHttpEventHeader,
            format!("Missing the HTTP event header '{header}'"),
        )
    }

    /// Zulip's wording: "Unable to parse request: Did GitHub generate this event?".
    pub fn anomalous(display_name: &str) -> Self {
        Self::new(
            IntegrationCode::AnomalousWebhookPayload,
            format!("Unable to parse request: Did {display_name} generate this event?"),
        )
    }

    pub fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(IntegrationCode::InvalidSignature, message)
    }

    /// Zulip's error body: `{"result":"error","msg":…,"code":…}`.
    pub fn answer(&self) -> Value {
        json!({"result": "error", "msg": self.message, "code": self.code.as_str()})
    }
}

/// The body-reading refusals of the shared helpers, in this vocabulary.
impl From<Rejection> for IntegrationError {
    fn from(r: Rejection) -> Self {
        let code = match r.code {
            ErrorCode::UnsupportedMediaType => IntegrationCode::UnsupportedMediaType,
            ErrorCode::NoText => IntegrationCode::NoText,
            ErrorCode::TooManyAttachments => IntegrationCode::TooManyAttachments,
            ErrorCode::PayloadTooLarge => IntegrationCode::PayloadTooLarge,
            _ => IntegrationCode::InvalidPayload,
        };
        Self::new(code, r.detail)
    }
}

/// The answer to a posted, filtered or ignored event: `{"result":"success","msg":""}`.
pub fn success_answer() -> Value {
    json!({"result": "success", "msg": ""})
}

/// The answer to an event the integration does not support: still a
/// success (vendors disable endpoints that answer 4xx), with Zulip's
/// message and code.
pub fn unsupported_answer(display_name: &str, event: &str) -> Value {
    json!({
        "result": "success",
        "msg": unsupported_message(display_name, event),
        "webhook_name": display_name,
        "event_type": event,
        "code": "UNSUPPORTED_WEBHOOK_EVENT_TYPE",
    })
}

/// "The '<event>' event isn't currently supported by the <Name> webhook; ignoring".
pub fn unsupported_message(display_name: &str, event: &str) -> String {
    format!("The '{event}' event isn't currently supported by the {display_name} webhook; ignoring")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_http_api() {
        let cases = [
            (IntegrationCode::NoSuchIntegration, 404),
            (IntegrationCode::MissingHttpEventHeader, 400),
            (IntegrationCode::AnomalousWebhookPayload, 400),
            (IntegrationCode::InvalidPayload, 400),
            (IntegrationCode::InvalidSignature, 401),
            (IntegrationCode::UnsupportedMediaType, 415),
            (IntegrationCode::NoText, 400),
            (IntegrationCode::TooManyAttachments, 400),
        ];
        for (code, status) in cases {
            assert_eq!(IntegrationError::new(code, "x").status, status);
        }
    }

    #[test]
    fn error_answer_has_zulips_shape() {
        let e = IntegrationError::missing_header("X-GitHub-Event");
        assert_eq!(
            e.answer(),
            json!({"result":"error","msg":"Missing the HTTP event header 'X-GitHub-Event'","code":"MISSING_HTTP_EVENT_HEADER"})
        );
    }

    #[test]
    fn unsupported_answer_is_a_success_with_a_code() {
        let a = unsupported_answer("GitHub", "team:created");
        assert_eq!(a["result"], "success");
        assert_eq!(a["code"], "UNSUPPORTED_WEBHOOK_EVENT_TYPE");
        assert_eq!(
            a["msg"],
            "The 'team:created' event isn't currently supported by the GitHub webhook; ignoring"
        );
    }
}
