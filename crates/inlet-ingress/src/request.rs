//! What every step reads of the HTTP request the same way: a header, the
//! `wait` flag, the time it came in; and the refusal of an outage.

use actix_web::HttpRequest;
use inlet_dialects::{ErrorCode, Rejection};
use std::time::{SystemTime, UNIX_EPOCH};

/// A refusal for something we could not reach (`503` with `Retry-After`).
pub(crate) fn unavailable(detail: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::ServiceUnavailable, detail)
}

pub(crate) fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub(crate) fn wants_wait(req: &HttpRequest) -> bool {
    req.query_string()
        .split('&')
        .any(|p| p == "wait=true" || p == "wait=1")
}

pub(crate) fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}
