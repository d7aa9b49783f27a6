//! The answers senders expect, per dialect (http-api.md "Answers"), mapped
//! in one place. Slack senders parse a bare code as `text/plain`; the human
//! detail goes in `X-Inlet-Error-Detail` (and a JSON body when asked for).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use inlet_core::MessageId;
use inlet_dialects::{Dialect, ErrorCode, Rejection};

/// Seconds a sender should wait before retrying after a 503.
const RETRY_AFTER_SECS: &str = "2";

pub fn accepted(dialect: &Dialect, id: MessageId) -> HttpResponse {
    match dialect {
        Dialect::Slack => HttpResponse::Ok()
            .insert_header(("X-Request-Id", id.to_string()))
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
    }
}

pub fn rejected(
    dialect: &Dialect,
    rejection: &Rejection,
    id: MessageId,
    wants_json: bool,
) -> HttpResponse {
    let status =
        StatusCode::from_u16(rejection.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = HttpResponse::build(status);
    response.insert_header(("X-Request-Id", id.to_string()));
    if matches!(
        rejection.code,
        ErrorCode::ServiceUnavailable | ErrorCode::RateLimited
    ) {
        response.insert_header(("Retry-After", RETRY_AFTER_SECS));
    }
    match dialect {
        Dialect::Slack => {
            response.insert_header(("X-Inlet-Error-Detail", header_safe(&rejection.detail)));
            if wants_json {
                response.json(error_json(rejection))
            } else {
                response
                    .content_type("text/plain; charset=utf-8")
                    .body(rejection.code.as_str())
            }
        }
    }
}

fn error_json(rejection: &Rejection) -> serde_json::Value {
    serde_json::json!({"ok": false, "error": rejection.code.as_str(), "detail": rejection.detail})
}

/// A header value must be visible ASCII; keep it short too.
fn header_safe(detail: &str) -> String {
    detail
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_detail_is_visible_ascii() {
        assert_eq!(header_safe("field `é`\nnext"), "field `?`?next");
    }
}
