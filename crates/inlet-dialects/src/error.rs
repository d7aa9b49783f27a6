//! The machine-readable codes every dialect answers with, and their HTTP
//! statuses (http-api.md). One enum, mapped to HTTP in one place.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidPayload,
    NoText,
    TooManyAttachments,
    UserNotFound,
    ActionProhibited,
    NoService,
    ChannelNotFound,
    ChannelIsArchived,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    ServiceUnavailable,
    RequestTimeout,
    AlreadyReported,
    /// A webhook's template failed on this request (docs/templates.md).
    TemplateFailed,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidPayload,
        ErrorCode::NoText,
        ErrorCode::TooManyAttachments,
        ErrorCode::UserNotFound,
        ErrorCode::ActionProhibited,
        ErrorCode::NoService,
        ErrorCode::ChannelNotFound,
        ErrorCode::ChannelIsArchived,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::ServiceUnavailable,
        ErrorCode::RequestTimeout,
        ErrorCode::AlreadyReported,
        ErrorCode::TemplateFailed,
    ];

    /// The code as senders and metrics see it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidPayload => "invalid_payload",
            ErrorCode::NoText => "no_text",
            ErrorCode::TooManyAttachments => "too_many_attachments",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::ActionProhibited => "action_prohibited",
            ErrorCode::NoService => "no_service",
            ErrorCode::ChannelNotFound => "channel_not_found",
            ErrorCode::ChannelIsArchived => "channel_is_archived",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::AlreadyReported => "already_reported",
            ErrorCode::TemplateFailed => "template_error",
        }
    }

    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidPayload
            | ErrorCode::NoText
            | ErrorCode::TooManyAttachments
            | ErrorCode::UserNotFound => 400,
            ErrorCode::ActionProhibited => 403,
            ErrorCode::NoService | ErrorCode::ChannelNotFound => 404,
            ErrorCode::ChannelIsArchived => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::AlreadyReported => 409,
            ErrorCode::TemplateFailed => 422,
        }
    }

    /// Whether retrying the same message can ever succeed (used to decide
    /// between dead-lettering at once and retrying).
    pub fn is_permanent(self) -> bool {
        !matches!(
            self,
            ErrorCode::RateLimited | ErrorCode::ServiceUnavailable | ErrorCode::RequestTimeout
        )
    }

    pub fn parse(raw: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: the code, and a sentence a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct Rejection {
    pub code: ErrorCode,
    pub detail: String,
    /// When the sender may try again (`Retry-After`), for refusals that
    /// know it (a rate limit); others use the service's default.
    pub retry_after_secs: Option<u64>,
}

impl Rejection {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    /// Over a rate limit: retry after `secs` seconds.
    pub fn rate_limited(detail: impl Into<String>, secs: u64) -> Self {
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(ErrorCode::RateLimited, detail)
        }
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidPayload, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_lower_snake_case() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
            );
        }
    }

    #[test]
    fn statuses_match_the_http_api() {
        assert_eq!(ErrorCode::InvalidPayload.http_status(), 400);
        assert_eq!(ErrorCode::NoService.http_status(), 404);
        assert_eq!(ErrorCode::ChannelIsArchived.http_status(), 410);
        assert_eq!(ErrorCode::PayloadTooLarge.http_status(), 413);
        assert_eq!(ErrorCode::ServiceUnavailable.http_status(), 503);
        assert_eq!(ErrorCode::TemplateFailed.http_status(), 422);
    }
}
