//! The answers senders expect, per dialect (http-api.md "Answers"), mapped
//! in one place. Slack senders parse a bare code as `text/plain` (the human
//! detail goes in `X-Inlet-Error-Detail`, and in a JSON body when asked
//! for); talkSpirit and emakin senders get JSON. Waiting senders get one
//! JSON shape in every dialect (decisions.md 11).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use inlet_core::MessageId;
use inlet_dialects::{Dialect, ErrorCode, Rejection};
use inlet_proto::v1::Verdict;
use serde_json::{Value, json};

/// Seconds a sender should wait before retrying after a 503.
const RETRY_AFTER_SECS: u64 = 2;

pub fn accepted(dialect: &Dialect, id: MessageId) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Request-Id", id.to_string()));
    match dialect {
        Dialect::Slack => response
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
        Dialect::Talkspirit | Dialect::Emakin => {
            response.json(json!({"ok": true, "id": id.to_string()}))
        }
    }
}

/// The `Retry-After` of a refusal a sender should retry, in seconds.
pub fn retry_after(rejection: &Rejection) -> Option<u64> {
    match rejection.code {
        ErrorCode::ServiceUnavailable | ErrorCode::RateLimited => {
            Some(rejection.retry_after_secs.unwrap_or(RETRY_AFTER_SECS))
        }
        _ => None,
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
    if let Some(secs) = retry_after(rejection) {
        response.insert_header(("Retry-After", secs.to_string()));
    }
    let body = json!({"ok": false, "error": rejection.code.as_str(), "detail": rejection.detail});
    match dialect {
        Dialect::Slack if !wants_json => {
            response.insert_header(("X-Inlet-Error-Detail", header_safe(&rejection.detail)));
            response
                .content_type("text/plain; charset=utf-8")
                .body(rejection.code.as_str())
        }
        Dialect::Slack => {
            response.insert_header(("X-Inlet-Error-Detail", header_safe(&rejection.detail)));
            response.json(body)
        }
        Dialect::Talkspirit | Dialect::Emakin => response.json(body),
    }
}

/// A waiting sender's answer from the pipeline's verdict.
pub fn verdict(id: MessageId, verdict: &Verdict) -> HttpResponse {
    let (status, body) = verdict_body(id, verdict);
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

/// The status and JSON of a verdict (decisions.md 11).
pub fn verdict_body(id: MessageId, verdict: &Verdict) -> (StatusCode, Value) {
    if !verdict.ok {
        // A code senders know keeps its status (a channel archived in
        // flight is 410); any other is a dead letter of the pipeline's own
        // (decisions.md 39): 500, with the dead letter's id.
        let status = ErrorCode::parse(&verdict.error)
            .and_then(|code| StatusCode::from_u16(code.http_status()).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({"ok": false, "id": id.to_string(), "error": verdict.error, "detail": verdict.detail});
        if !verdict.dead_letter_id.is_empty() {
            body["dead_letter_id"] = verdict.dead_letter_id.clone().into();
        }
        return (status, body);
    }
    let posts: Value = serde_json::from_str(&verdict.posts_json).unwrap_or_else(|_| json!([]));
    let mut body = json!({"ok": true, "id": id.to_string(), "posts": posts});
    if !verdict.case_id.is_empty() {
        body["case_id"] = verdict.case_id.clone().into();
    }
    if !verdict.post_id.is_empty() {
        body["post_id"] = verdict.post_id.clone().into();
    }
    if !verdict.unresolved_references.is_empty() {
        body["unresolved_references"] = verdict.unresolved_references.clone().into();
    }
    (StatusCode::OK, body)
}

/// Confirmed, but the verdict did not come in time: the message is safe and
/// will be processed.
pub fn pending(id: MessageId) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header(("X-Request-Id", id.to_string()))
        .json(json!({"ok": true, "id": id.to_string(), "pending": true}))
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
