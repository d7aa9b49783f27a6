//! Every webhook's delivery log: its recent requests as ingress answered
//! them (from Redis, `inlet_redis::delivery_log`), each with its final
//! outcome once known (from PostgreSQL: its posts, its dead letter, its
//! rejection; `inlet_store::repo::deliveries`), a dry run of a kept body
//! through the translator, and the source addresses that named unknown
//! tokens (which no webhook's log can hold).

use super::Managing;
use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_dialects::{DialectName, EmptyDirectory, Outcome, TranslationRequest, Translator};
use inlet_directory::{DialectLimits, DialectView};
use inlet_redis::delivery_log::{self, Logged};
use inlet_store::repo::deliveries::{Fate, MadePost, fates};
use inlet_store::repo::webhooks;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Most entries answered per page.
const MAX_PAGE: usize = 200;
const DEFAULT_PAGE: usize = 50;

/// Every outcome an entry can have.
const OUTCOMES: [&str; 9] = [
    "posted",
    "in_flight",
    "dead_lettered",
    "rejected",
    "filtered",
    "unsupported",
    "not_wanted",
    "empty",
    "repeat",
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only this outcome: posted, in_flight, dead_lettered, rejected,
    /// filtered, unsupported, not_wanted, empty or repeat.
    outcome: Option<String>,
    /// Only the failures: rejected and dead_lettered.
    #[serde(default)]
    failed: bool,
    /// At most this many (1 to 200; 50 by default).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<usize>,
    /// The `next` of the previous page.
    before: Option<String>,
}

/// One request and what became of it.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    /// The request's id (`X-Request-Id`; the message id when accepted).
    request_id: String,
    at: chrono::DateTime<chrono::Utc>,
    /// `slack`, `talkspirit`, `emakin`, `integration/<name>`,
    /// `zulip-send` or `slack-post-message`.
    translator: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    event: String,
    /// The HTTP status answered.
    status: u16,
    /// posted, in_flight, dead_lettered, rejected, filtered, unsupported,
    /// not_wanted, empty, or repeat (an `Idempotency-Key` seen before).
    outcome: String,
    /// The error code: the one answered, or the one a rejection after the
    /// answer carried.
    #[serde(skip_serializing_if = "String::is_empty")]
    code: String,
    /// The sentence the sender got, or why nothing was posted, or the
    /// dead letter's reason in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
    body_bytes: u64,
    /// Time to answer, in milliseconds.
    latency_ms: f64,
    #[serde(skip_serializing_if = "String::is_empty")]
    channel_id: String,
    /// The posts made, for `posted`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    posts: Vec<MadePost>,
    /// The dead letter, for `dead_lettered`.
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_letter_id: Option<Uuid>,
    /// The body, when the webhook keeps bodies (`keep_bodies`).
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    content_type: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    body_truncated: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    deliveries: Vec<Delivery>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// A webhook's recent requests, newest first, each with its outcome.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "management",
    params(("id" = Uuid, Path), DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 503, description = "Redis or PostgreSQL is unavailable")),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let webhook = webhooks::get(&**client, *id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::InvalidField {
            field: "limit",
            reason: format!("must be 1 to {MAX_PAGE}"),
        });
    }
    if let Some(outcome) = query.outcome.as_deref()
        && !OUTCOMES.contains(&outcome)
    {
        return Err(ApiError::InvalidField {
            field: "outcome",
            reason: format!("must be one of {}", OUTCOMES.join(", ")),
        });
    }
    if let Some(before) = query.before.as_deref()
        && !is_stream_id(before)
    {
        return Err(ApiError::InvalidField {
            field: "before",
            reason: "must be the `next` of a page".into(),
        });
    }
    let wanted = |outcome: &str| match (&query.outcome, query.failed) {
        (Some(only), _) => outcome == only,
        (None, true) => outcome == "rejected" || outcome == "dead_lettered",
        (None, false) => true,
    };
    let settings = &state.settings;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut deliveries = Vec::new();
    let mut before = query.before.clone();
    let mut next = None;
    // Read in chunks until the page is full or the log ends; a filter may
    // skip many entries, but the log holds at most `max_entries`.
    loop {
        let chunk = delivery_log::read(
            &state.redis,
            &settings.redis,
            &settings.delivery_log,
            &webhook.id,
            before.as_deref(),
            MAX_PAGE,
            now_ms,
        )
        .await
        .map_err(|e| ApiError::Unavailable(format!("redis: {e}")))?;
        let ended = chunk.len() < MAX_PAGE;
        let judged = judge(&client, &chunk).await?;
        for (logged, delivery) in chunk.iter().zip(judged) {
            before = Some(logged.stream_id.clone());
            if !wanted(&delivery.outcome) {
                continue;
            }
            deliveries.push(delivery);
            if deliveries.len() == limit {
                next = Some(logged.stream_id.clone());
                break;
            }
        }
        if next.is_some() || ended {
            break;
        }
    }
    Ok(HttpResponse::Ok().json(DeliveryPage { deliveries, next }))
}

/// The entries with their outcomes: an accepted request's from PostgreSQL.
async fn judge(
    client: &inlet_store::pool::Client,
    chunk: &[Logged],
) -> Result<Vec<Delivery>, ApiError> {
    let accepted: Vec<Uuid> = chunk
        .iter()
        .filter(|l| l.request.outcome == "accepted")
        .filter_map(|l| l.request.request_id.parse().ok())
        .collect();
    let mut known: HashMap<Uuid, Fate> = fates(&***client, &accepted).await?;
    Ok(chunk
        .iter()
        .map(|logged| {
            let fate = logged
                .request
                .request_id
                .parse()
                .ok()
                .and_then(|id| known.remove(&id));
            delivery(logged, fate)
        })
        .collect())
}

fn delivery(logged: &Logged, fate: Option<Fate>) -> Delivery {
    let r = logged.request.clone();
    let mut d = Delivery {
        request_id: r.request_id,
        at: chrono::DateTime::from_timestamp_millis(r.at_ms).unwrap_or_default(),
        translator: r.translator,
        event: r.event,
        status: r.status,
        outcome: r.outcome,
        code: r.code,
        detail: r.detail,
        body_bytes: r.body_bytes,
        latency_ms: r.latency_us as f64 / 1000.0,
        channel_id: r.channel_id,
        posts: Vec::new(),
        dead_letter_id: None,
        body: r.body,
        content_type: r.content_type,
        body_truncated: r.body_truncated,
    };
    if d.outcome != "accepted" {
        return d;
    }
    match fate {
        None => d.outcome = "in_flight".into(),
        Some(Fate::Posted { posts }) => {
            d.outcome = "posted".into();
            d.posts = posts;
        }
        Some(Fate::DeadLettered {
            dead_letter_id,
            reason,
            detail,
            ..
        }) => {
            d.outcome = "dead_lettered".into();
            d.code = reason;
            d.detail = detail;
            d.dead_letter_id = Some(dead_letter_id);
        }
        Some(Fate::Rejected { code, detail }) => {
            d.outcome = "rejected".into();
            d.code = code;
            d.detail = detail;
        }
    }
    d
}

/// A Redis stream id: `<milliseconds>-<sequence>`.
fn is_stream_id(raw: &str) -> bool {
    match raw.split_once('-') {
        Some((ms, seq)) => {
            !ms.is_empty()
                && !seq.is_empty()
                && ms.len() <= 20
                && seq.len() <= 20
                && ms.bytes().all(|b| b.is_ascii_digit())
                && seq.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// What a kept request would make now, posted nowhere.
#[derive(Serialize, ToSchema)]
pub struct DryRun {
    /// `posts`, `ignored` or `refused`.
    result: &'static str,
    /// The posts it would make (their text, author and props).
    #[schema(value_type = Vec<Object>)]
    posts: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

/// Runs a logged request's kept body through its translator again with
/// the webhook's settings now, and answers the posts it would make;
/// nothing is posted. Names render without the team's directory, and a
/// signature is not checked again.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{request_id}/dry-run", tag = "management",
    params(("id" = Uuid, Path), ("request_id" = String, Path)),
    responses((status = 200, body = DryRun), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "no such webhook, or no such request in its log"),
        (status = 409, description = "the request's body was not kept (`keep_bodies`) or was cut"),
        (status = 503)),
    security(("bearer" = [])))]
pub async fn dry_run(
    state: web::Data<State>,
    path: web::Path<(Uuid, String)>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let (id, request_id) = path.into_inner();
    let webhook = webhooks::get(&**client, id).await?;
    let settings = &state.settings;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let logged = delivery_log::read(
        &state.redis,
        &settings.redis,
        &settings.delivery_log,
        &webhook.id,
        None,
        settings.delivery_log.max_entries,
        now_ms,
    )
    .await
    .map_err(|e| ApiError::Unavailable(format!("redis: {e}")))?
    .into_iter()
    .find(|l| l.request.request_id == request_id)
    .ok_or_else(|| ApiError::NotFound("no such request in this webhook's log".into()))?
    .request;
    let body = match (&logged.body, logged.body_truncated) {
        (Some(body), false) => body.clone(),
        (Some(_), true) => {
            return Err(ApiError::Conflict(
                "the request's body was cut at delivery_log.body_max_bytes: it cannot be run again"
                    .into(),
            ));
        }
        (None, _) => {
            return Err(ApiError::Conflict(
                "the request's body was not kept: set the webhook's keep_bodies".into(),
            ));
        }
    };
    let name =
        DialectName::parse(&logged.translator).map_err(|e| ApiError::Conflict(e.to_string()))?;
    let translator =
        Translator::find(&name).map_err(|refusal| ApiError::Conflict(refusal.to_string()))?;
    let view = webhook.dialect_view();
    let request = TranslationRequest {
        content_type: Some(logged.content_type.as_str()).filter(|c| !c.is_empty()),
        body: body.as_bytes(),
        headers: &logged.headers,
        query: &logged.query,
        webhook: &view,
        limits: settings.limits.dialect_limits(),
        directory: &EmptyDirectory,
        signing_secret: None,
        now: None,
    };
    // A webhook with a template renders through its active one (the
    // delivery log names the door that received the request).
    let outcome = match &webhook.template {
        Some(_) => super::templates::translate_stored(&state, &webhook, &request)?,
        None => translator.translate(&request),
    };
    let answer = match outcome {
        Outcome::Posts { posts, .. } => DryRun {
            result: "posts",
            posts: posts
                .iter()
                .flat_map(|t| t.drafts.iter())
                .map(|draft| {
                    serde_json::json!({
                        "message": draft.message,
                        "username": draft.author.username,
                        "icon_url": draft.author.icon_url,
                        "props": draft.props,
                    })
                })
                .collect(),
            code: String::new(),
            detail: String::new(),
        },
        Outcome::Ignored {
            reason, message, ..
        } => DryRun {
            result: "ignored",
            posts: Vec::new(),
            code: reason.as_str().to_string(),
            detail: message.unwrap_or_else(|| reason.sentence().to_string()),
        },
        Outcome::Refused(refusal) => DryRun {
            result: "refused",
            posts: Vec::new(),
            code: refusal.code().to_string(),
            detail: refusal.detail().to_string(),
        },
    };
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Serialize, ToSchema)]
pub struct UnknownTokenSource {
    /// The source address (as ingress saw it: behind a proxy, the proxy's).
    address: String,
    /// Requests that named an unknown, revoked or disabled token.
    requests: u64,
}

#[derive(Serialize, ToSchema)]
pub struct UnknownTokenSources {
    sources: Vec<UnknownTokenSource>,
}

/// The source addresses that named the most unknown tokens (no webhook's
/// log can hold those requests), most first, over the last day of activity.
#[utoipa::path(get, path = "/api/v1/deliveries/unknown-tokens", tag = "management",
    responses((status = 200, body = UnknownTokenSources), (status = 401), (status = 403), (status = 503)),
    security(("bearer" = [])))]
pub async fn unknown_tokens(
    req: HttpRequest,
    state: web::Data<State>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::require(&req, &state, Access::Manage)?;
    let sources = delivery_log::unknown_token_sources(&state.redis, &state.settings.redis, 100)
        .await
        .map_err(|e| ApiError::Unavailable(format!("redis: {e}")))?;
    Ok(HttpResponse::Ok().json(UnknownTokenSources {
        sources: sources
            .into_iter()
            .map(|(address, requests)| UnknownTokenSource { address, requests })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_checked_before_they_reach_redis() {
        assert!(is_stream_id("1712345678901-0"));
        for bad in ["", "-", "1-", "-1", "12", "1-x", "+", "(1-0", "1-0-0"] {
            assert!(!is_stream_id(bad), "{bad}");
        }
    }
}
