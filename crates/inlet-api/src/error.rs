//! The API's one error type, mapped to HTTP in one place: 4xx bodies are
//! precise, 5xx bodies say nothing internal (the cause goes to the log).

use crate::stream_slots::Refused;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use inlet_store::StoreError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// Every error answer of the API.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable: `unauthenticated`, `forbidden` (the token may not
    /// do that), `action_prohibited` (a rule of the directory refuses it),
    /// `bad_request`, `invalid_template` (with `field`, `line` and
    /// `column`), `not_found`, `conflict`, `request_timeout`,
    /// `payload_too_large`, `too_many_streams`, `service_unavailable` or
    /// `internal_error`.
    error: &'static str,
    /// What is wrong, for a person.
    detail: String,
    /// The input field at fault, when the error is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    /// For `invalid_template`: the line of the template at fault (from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// For `invalid_template`: the column (in characters, from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// What a refused live stream is told to wait (`Retry-After`, seconds):
/// slots come back as other streams end, which no one can foresee; this
/// keeps clients from asking again at once.
pub const STREAMS_RETRY_AFTER_SECS: u32 = 10;

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    Forbidden,
    /// The request is understood and allowed to this token, but a rule of
    /// the directory refuses it (the code ingress answers for the same rule).
    Prohibited(String),
    BadRequest(String),
    /// One input field breaks its rule; the answer names the field.
    InvalidField {
        field: &'static str,
        reason: String,
    },
    /// A template that does not compile (docs/templates.md): its field,
    /// line and column.
    Template(inlet_templates::TemplateError),
    NotFound(String),
    Conflict(String),
    /// A live stream past `api.max_streams_per_token` or `api.max_streams_total`.
    TooManyStreams(Refused),
    /// The body did not arrive within `api.body_timeout_ms`.
    RequestTimeout(String),
    /// The body is larger than `api.max_body_bytes`.
    PayloadTooLarge(String),
    Unavailable(String),
    Internal(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthenticated => f.write_str("a bearer token is required"),
            ApiError::Forbidden => f.write_str("this token may not do that"),
            ApiError::TooManyStreams(Refused::PerToken(cap)) => write!(
                f,
                "this token has {cap} live streams open, the most allowed; close one or retry later"
            ),
            ApiError::TooManyStreams(Refused::Total(cap)) => write!(
                f,
                "the server has {cap} live streams open, the most it allows; retry later"
            ),
            ApiError::Prohibited(d)
            | ApiError::BadRequest(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::RequestTimeout(d)
            | ApiError::PayloadTooLarge(d) => f.write_str(d),
            ApiError::InvalidField { field, reason } => write!(f, "{field}: {reason}"),
            ApiError::Template(error) => write!(f, "{error}"),
            ApiError::Unavailable(_) => f.write_str("a dependency is unavailable; retry later"),
            ApiError::Internal(_) => f.write_str("internal error"),
        }
    }
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::Prohibited(_) => "action_prohibited",
            ApiError::BadRequest(_) | ApiError::InvalidField { .. } => "bad_request",
            ApiError::Template(_) => "invalid_template",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManyStreams(_) => "too_many_streams",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Prohibited(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) | ApiError::InvalidField { .. } | ApiError::Template(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyStreams(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) | ApiError::Unavailable(cause) = self {
            tracing::error!(%cause, "api request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthenticated => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::TooManyStreams(_) => {
                response.insert_header(("Retry-After", STREAMS_RETRY_AFTER_SECS.to_string()));
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: self.code(),
            detail: self.to_string(),
            field: match self {
                ApiError::InvalidField { field, .. } => Some(field),
                ApiError::Template(error) => Some(template_field(error.field)),
                _ => None,
            },
            line: match self {
                ApiError::Template(error) => error.line,
                _ => None,
            },
            column: match self {
                ApiError::Template(error) => error.column,
                _ => None,
            },
        })
    }
}

/// The API's name of a template field (`template.message`).
pub fn template_field(field: inlet_templates::Field) -> &'static str {
    use inlet_templates::Field;
    match field {
        Field::Message => "template.message",
        Field::Topic => "template.topic",
        Field::Username => "template.username",
        Field::IconUrl => "template.icon_url",
        Field::CaseId => "template.case_id",
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            StoreError::Invalid(detail) => ApiError::BadRequest(detail),
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause.to_string()),
            StoreError::Other(cause) => ApiError::Internal(cause.to_string()),
        }
    }
}

impl From<deadpool_postgres_error::PoolError> for ApiError {
    fn from(error: deadpool_postgres_error::PoolError) -> Self {
        ApiError::Unavailable(error.to_string())
    }
}

/// Re-exported so handlers can `?` a pool checkout.
mod deadpool_postgres_error {
    pub use inlet_store::pool::PoolError;
}

pub fn json_error(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid JSON body: {error}")).into()
}

pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query: {error}")).into()
}

pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid path: {error}")).into()
}
