//! The answers of the message APIs, in the shapes their clients parse:
//! Zulip's send-message (`{"result":"success","msg":"","id":…}`) and
//! Slack's `chat.postMessage` (`{"ok":true,"channel","ts","message"}`, or
//! `{"ok":false,"error"}` with Slack's error names, HTTP 200 unless the
//! client is to retry). Both describe the first post, known before it is
//! stored: its id derives from the message's.

use super::retry_after;
use crate::outcome::{FirstPost, Outcome, Refused};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use inlet_core::MessageId;
use inlet_core::ids::post_id;
use inlet_dialects::{ErrorCode, Refusal};
use inlet_proto::v1::Verdict;
use serde_json::{Value, json};
use uuid::Uuid;

/// The answer to an accepted request.
pub(super) fn outcome(
    shape: super::Shape,
    outcome: &Outcome,
    id: MessageId,
    first: Option<&FirstPost>,
) -> HttpResponse {
    // A waiting sender's verdict that the post was not made after all (a
    // channel archived in flight, a dead letter).
    let failed = match outcome {
        Outcome::Verdict(verdict)
        | Outcome::Repeat {
            verdict: Some(verdict),
            waited: true,
            ..
        } if !verdict.ok => Some(verdict),
        _ => None,
    };
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Request-Id", id.to_string()));
    match (shape, failed) {
        (super::Shape::SlackApi, Some(verdict)) => {
            let code = ErrorCode::parse(&verdict.error);
            slack_error(
                code.map_or("fatal_error", slack_error_name),
                &verdict.detail,
                id,
            )
        }
        (super::Shape::SlackApi, None) => response.json(slack_posted(first)),
        (_, Some(verdict)) => failed_zulip(verdict, id),
        (_, None) => response.json(zulip_sent(first)),
    }
}

/// Zulip's answer to a sent message. `id` is a number, as Zulip's clients
/// expect ([`zulip_id`]); the post's own id is beside it.
fn zulip_sent(first: Option<&FirstPost>) -> Value {
    let mut body = json!({"result": "success", "msg": ""});
    if let Some(first) = first {
        let post = post_id(first.message, 0);
        body["id"] = zulip_id(post).into();
        body["post_id"] = post.to_string().into();
    }
    body
}

fn failed_zulip(verdict: &Verdict, id: MessageId) -> HttpResponse {
    let status = ErrorCode::parse(&verdict.error)
        .and_then(|code| StatusCode::from_u16(code.http_status()).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(json!({"result": "error", "msg": verdict.detail, "code": verdict.error}))
}

/// Zulip's message id for a post: a number that JavaScript's doubles hold
/// exactly, ordered by the post's millisecond (its id's timestamp, times
/// 1024) and told apart within it by ten bits of the id's hashed part.
pub(crate) fn zulip_id(post: Uuid) -> u64 {
    let bytes = post.as_bytes();
    let millis = bytes[..6]
        .iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
    let low = (u64::from(bytes[14]) << 8 | u64::from(bytes[15])) & 0x3ff;
    millis * 1024 + low
}

/// Slack's answer to a posted message: `ts` is the post's id, which a
/// later `thread_ts` names to reply in its thread.
fn slack_posted(first: Option<&FirstPost>) -> Value {
    let Some(first) = first else {
        return json!({"ok": true});
    };
    let ts = post_id(first.message, 0).to_string();
    let mut message = json!({
        "type": "message",
        "subtype": "bot_message",
        "text": first.text,
        "username": first.username,
        "ts": ts,
    });
    if let Some(root) = &first.replies_to {
        message["thread_ts"] = root.clone().into();
    }
    json!({"ok": true, "channel": first.channel, "ts": ts, "message": message})
}

/// A refused `chat.postMessage`: Slack's error name, HTTP 200 as Slack
/// answers, except `429` and `503` with `Retry-After` so that clients
/// retry; the sentence a person can act on in `response_metadata`.
pub(super) fn slack_refused(refused: &Refused, id: MessageId) -> HttpResponse {
    let refusal = match refused {
        Refused::NoToken => {
            return slack_error(
                "not_authed",
                "send the webhook's token as `Authorization: Bearer <token>`",
                id,
            );
        }
        Refused::NoTranslator(_) => return slack_error("unknown_method", "", id),
        Refused::Counted(refusal) => refusal,
    };
    let name = match refusal {
        Refusal::Dialect(rejection) => slack_error_name(rejection.code),
        Refusal::Integration(_) => "invalid_arguments",
    };
    let mut response = slack_error(name, refusal.detail(), id);
    if let Some(secs) = retry_after(refusal) {
        *response.status_mut() =
            StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(secs),
        );
    }
    response
}

fn slack_error(name: &str, detail: &str, id: MessageId) -> HttpResponse {
    let mut body = json!({"ok": false, "error": name});
    if !detail.is_empty() {
        body["response_metadata"] = json!({"messages": [detail]});
    }
    HttpResponse::Ok()
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

/// Slack's name for each of our refusals.
fn slack_error_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidPayload | ErrorCode::AlreadyReported | ErrorCode::TemplateFailed => {
            "invalid_arguments"
        }
        ErrorCode::NoText => "no_text",
        ErrorCode::TooManyAttachments => "too_many_attachments",
        ErrorCode::UserNotFound => "user_not_found",
        ErrorCode::ActionProhibited => "restricted_action",
        ErrorCode::NoService => "invalid_auth",
        ErrorCode::ChannelNotFound => "channel_not_found",
        ErrorCode::ChannelIsArchived => "is_archived",
        ErrorCode::PayloadTooLarge => "msg_too_long",
        ErrorCode::UnsupportedMediaType => "invalid_post_type",
        ErrorCode::RateLimited => "ratelimited",
        ErrorCode::ServiceUnavailable => "service_unavailable",
        ErrorCode::RequestTimeout => "request_timeout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zulip_ids_are_exact_in_a_double_and_ordered_by_millisecond() {
        let earlier = post_id(MessageId::from(Uuid::now_v7()), 0);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = post_id(MessageId::from(Uuid::now_v7()), 0);
        assert!(zulip_id(later) > zulip_id(earlier));
        assert!(zulip_id(later) < 1 << 53);
        assert_eq!(zulip_id(later) >> 10, MessageId::from(later).unix_millis());
    }

    #[test]
    fn every_code_has_a_slack_name() {
        for code in ErrorCode::ALL {
            let name = slack_error_name(code);
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
        assert_eq!(
            slack_error_name(ErrorCode::ChannelNotFound),
            "channel_not_found"
        );
        assert_eq!(slack_error_name(ErrorCode::NoService), "invalid_auth");
    }
}
