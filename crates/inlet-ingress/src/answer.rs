//! Every answer ingress gives (http-api.md "Answers"), in the shape of the
//! door the request came in by. Slack senders parse a bare code as
//! `text/plain` (the human detail goes in `X-Inlet-Error-Detail`, and in a
//! JSON body when asked for); talkSpirit and emakin senders get JSON;
//! integrations get Zulip's `{"result":…,"msg":…}`. Waiting senders get
//! one JSON shape at every door (decisions.md 11), with Zulip's `result`
//! and `msg` beside it for integrations.

use crate::outcome::{FirstPost, NotPosted, Outcome, Refused};
use crate::request::{header, wants_wait};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use inlet_core::MessageId;
use inlet_dialects::integrations::{success_answer, unsupported_answer};
use inlet_dialects::{DialectName, ErrorCode, Refusal};
use inlet_proto::v1::Verdict;
use serde_json::{Value, json};

mod message_api;

/// Seconds a sender should wait before retrying after a 503.
const RETRY_AFTER_SECS: u64 = 2;

/// The answers a door's senders expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Slack and Mattermost: `ok`, or the bare code, as `text/plain`.
    SlackText,
    /// talkSpirit and emakin: `{"ok":…}` JSON.
    Json,
    /// Zulip-style integrations: `{"result":…,"msg":…}` JSON.
    Zulip,
    /// Zulip's send-message API: Zulip's shapes, and the message's `id`.
    ZulipSend,
    /// Slack's `chat.postMessage`: `{"ok":true,"channel","ts","message"}`,
    /// or `{"ok":false,"error"}` with Slack's error names.
    SlackApi,
}

/// The answer to a request the pipeline went through.
pub(crate) fn outcome(
    shape: Shape,
    outcome: Outcome,
    id: MessageId,
    http: &HttpRequest,
    first: Option<&FirstPost>,
) -> HttpResponse {
    if matches!(shape, Shape::ZulipSend | Shape::SlackApi) {
        return message_api::outcome(shape, &outcome, id, first);
    }
    match outcome {
        Outcome::Accepted => accepted(shape, id),
        Outcome::Verdict(verdict) => waited(shape, id, &verdict),
        Outcome::Pending => pending(id),
        Outcome::Repeat {
            first,
            verdict: Some(verdict),
            waited: true,
        } => waited(shape, first, &verdict),
        Outcome::Repeat {
            first,
            waited: true,
            ..
        } => pending(first),
        Outcome::Repeat { first, .. } => accepted(shape, first),
        Outcome::NotPosted(not_posted) => nothing_posted(shape, &not_posted, id, wants_wait(http)),
    }
}

/// The answer to a refused request.
pub(crate) fn refused(
    shape: Shape,
    refused: &Refused,
    id: MessageId,
    http: &HttpRequest,
) -> HttpResponse {
    match (shape, refused) {
        (Shape::SlackApi, refused) => message_api::slack_refused(refused, id),
        (_, Refused::NoTranslator(name)) => {
            let name = match name {
                DialectName::Integration(name) => name.clone(),
                dialect => dialect.to_string(),
            };
            let detail = format!("no integration named {name:?}");
            zulip_error(StatusCode::NOT_FOUND, "no_such_integration", &detail, id)
        }
        (_, Refused::NoToken) => zulip_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "missing api_key or HTTP Basic password",
            id,
        ),
        (Shape::Zulip | Shape::ZulipSend, Refused::Counted(refusal)) => {
            let mut response =
                zulip_error(status_of(refusal), refusal.code(), refusal.detail(), id);
            if let Some(secs) = retry_after(refusal) {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(secs),
                );
            }
            response
        }
        (shape, Refused::Counted(refusal)) => rejected(shape, refusal, id, wants_json(http)),
    }
}

fn accepted(shape: Shape, id: MessageId) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Request-Id", id.to_string()));
    match shape {
        Shape::SlackText => response
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
        Shape::Json => response.json(json!({"ok": true, "id": id.to_string()})),
        Shape::Zulip | Shape::ZulipSend => response.json(success_answer()),
        Shape::SlackApi => response.json(json!({"ok": true})),
    }
}

/// The `Retry-After` of a refusal a sender should retry, in seconds.
fn retry_after(refusal: &Refusal) -> Option<u64> {
    match refusal {
        Refusal::Dialect(rejection) => match rejection.code {
            ErrorCode::ServiceUnavailable | ErrorCode::RateLimited => {
                Some(rejection.retry_after_secs.unwrap_or(RETRY_AFTER_SECS))
            }
            _ => None,
        },
        Refusal::Integration(_) => None,
    }
}

fn status_of(refusal: &Refusal) -> StatusCode {
    StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A refusal in the dialects' shapes.
fn rejected(shape: Shape, refusal: &Refusal, id: MessageId, wants_json: bool) -> HttpResponse {
    let mut response = HttpResponse::build(status_of(refusal));
    response.insert_header(("X-Request-Id", id.to_string()));
    if let Some(secs) = retry_after(refusal) {
        response.insert_header(("Retry-After", secs.to_string()));
    }
    let body = json!({"ok": false, "error": refusal.code(), "detail": refusal.detail()});
    if shape != Shape::SlackText {
        return response.json(body);
    }
    response.insert_header(("X-Inlet-Error-Detail", header_safe(refusal.detail())));
    if wants_json {
        response.json(body)
    } else {
        response
            .content_type("text/plain; charset=utf-8")
            .body(refusal.code())
    }
}

/// Zulip's error answer: `{"result":"error","msg":…,"code":…}`.
fn zulip_error(status: StatusCode, code: &str, msg: &str, id: MessageId) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(json!({"result": "error", "msg": msg, "code": code}))
}

/// Accepted with nothing to post: Zulip's answer (a success, or the
/// unsupported event's), and for a waiting sender the `wait=true` shape
/// with no posts and `not_posted` saying why (http-api.md "Answers").
fn nothing_posted(shape: Shape, not_posted: &NotPosted, id: MessageId, wait: bool) -> HttpResponse {
    let mut body = match (shape, not_posted.unsupported_by) {
        (Shape::Zulip, Some(display_name)) => unsupported_answer(display_name, &not_posted.event),
        (Shape::Zulip, None) => success_answer(),
        _ if !wait => return accepted(shape, id),
        _ => json!({}),
    };
    if wait {
        body["ok"] = true.into();
        body["id"] = id.to_string().into();
        body["posts"] = json!([]);
        body["not_posted"] = json!({
            "reason": not_posted.reason,
            "event": not_posted.event,
            "detail": not_posted.detail,
        });
    }
    HttpResponse::Ok()
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

/// A waiting sender's answer from the pipeline's verdict; integrations
/// get Zulip's `result` and `msg` beside it.
fn waited(shape: Shape, id: MessageId, verdict: &Verdict) -> HttpResponse {
    let (status, mut body) = verdict_body(id, verdict);
    if shape == Shape::Zulip {
        let result = if verdict.ok { "success" } else { "error" };
        body["result"] = result.into();
        body["msg"] = if verdict.ok {
            "".into()
        } else {
            verdict.detail.clone().into()
        };
    }
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

/// Whether a Slack sender asked for a JSON body.
fn wants_json(http: &HttpRequest) -> bool {
    header(http, "accept").is_some_and(|a| a.contains("application/json")) || wants_wait(http)
}

/// The status and JSON of a verdict (decisions.md 11).
fn verdict_body(id: MessageId, verdict: &Verdict) -> (StatusCode, Value) {
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
fn pending(id: MessageId) -> HttpResponse {
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
