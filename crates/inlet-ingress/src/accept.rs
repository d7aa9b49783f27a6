//! Accepting one webhook: token → body → dialect validation → target
//! channel → idempotency → publish with confirm (and wait for the verdict
//! when asked) → answer. Every refusal is counted by its code and answered
//! in the dialect's shape.

use crate::State;
use crate::answer;
use crate::batcher::{NotPublished, Published};
use crate::token_screen::Screened;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_bus::replies::DIRECT_REPLY_TO;
use inlet_bus::{BasicProperties, PublishError};
use inlet_core::{MessageId, OrderingKey, WebhookToken};
use inlet_dialects::{Dialect, EmptyDirectory, ErrorCode, Rejection, RequestFacts};
use inlet_directory::resolve::{ResolveError, resolve};
use inlet_directory::{DialectLimits, DialectView};
use inlet_proto::Message;
use inlet_proto::v1::{RawWebhook, Verdict};
use inlet_redis::idempotency::{self, Claimed};
use inlet_store::Webhook;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Longest accepted `Idempotency-Key`, in bytes.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// `POST /hooks/{token}`: the Slack / Mattermost dialect.
pub async fn slack(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    accept(&state, Dialect::Slack, &req, &token, None, body).await
}

/// `POST /v1/incoming/{token}`: the talkSpirit dialect.
pub async fn talkspirit(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    accept(&state, Dialect::Talkspirit, &req, &token, None, body).await
}

/// `POST /hooks/channels/{channel_id}/{token}`: the emakin dialect.
pub async fn emakin(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let (channel, token) = path.into_inner();
    accept(&state, Dialect::Emakin, &req, &token, Some(&channel), body).await
}

/// How the request ended, before it becomes HTTP.
pub(crate) enum Outcome {
    Accepted,
    Verdict(Verdict),
    Pending,
    /// A repeat of an earlier request's `Idempotency-Key`.
    Repeat {
        first: MessageId,
        verdict: Option<Verdict>,
        waited: bool,
    },
}

/// One request, as ingress sees it.
struct Request<'a> {
    dialect: Dialect,
    http: &'a HttpRequest,
    token: &'a str,
    path_channel: Option<&'a str>,
    id: MessageId,
    received_at_micros: i64,
}

async fn accept(
    state: &State,
    dialect: Dialect,
    http: &HttpRequest,
    token: &str,
    path_channel: Option<&str>,
    body: web::Payload,
) -> HttpResponse {
    let started = Instant::now();
    let request = Request {
        dialect,
        http,
        token,
        path_channel,
        id: MessageId::new(),
        received_at_micros: now_micros(),
    };
    let (id, dialect) = (request.id, request.dialect.clone());
    let response = match process(state, &request, body).await {
        Ok(Outcome::Accepted) => answer::accepted(&dialect, id),
        Ok(Outcome::Verdict(verdict)) => answer::verdict(id, &verdict),
        Ok(Outcome::Pending) => answer::pending(id),
        Ok(Outcome::Repeat {
            first,
            verdict: Some(verdict),
            waited: true,
        }) => answer::verdict(first, &verdict),
        Ok(Outcome::Repeat {
            first,
            waited: true,
            ..
        }) => answer::pending(first),
        Ok(Outcome::Repeat { first, .. }) => answer::accepted(&dialect, first),
        Err(rejection) => {
            state
                .metrics
                .rejections
                .with_label_values(&[rejection.code.as_str()])
                .inc();
            if rejection.code == ErrorCode::ServiceUnavailable {
                tracing::warn!(message_id = %id, detail = %rejection.detail, "webhook not accepted");
            } else {
                tracing::info!(message_id = %id, code = %rejection.code, detail = %rejection.detail, "webhook refused");
            }
            answer::rejected(&dialect, &rejection, id, wants_json(http))
        }
    };
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .requests
        .with_label_values(&[dialect.as_str(), &status])
        .inc();
    state
        .metrics
        .duration
        .with_label_values(&[dialect.as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}

async fn process(
    state: &State,
    request: &Request<'_>,
    body: web::Payload,
) -> Result<Outcome, Rejection> {
    let webhook = webhook_for(state, request.http, request.token).await?;
    if let Some(channel) = request.path_channel
        && channel != webhook.channel_id.to_string()
    {
        return Err(Rejection::new(
            ErrorCode::ChannelNotFound,
            "the URL names another channel than the webhook's",
        ));
    }
    crate::rate_limit::admit(state, &webhook).await?;
    let settings = &state.settings;
    let deadline = Duration::from_millis(settings.ingress.body_timeout_ms);
    let body = crate::body::read_limited(
        request.http,
        body,
        &state.body_budget,
        settings.ingress.max_body_bytes,
        deadline,
    )
    .await?;
    state
        .metrics
        .bytes
        .with_label_values(&[request.dialect.as_str()])
        .observe(body.len() as f64);

    let content_type = header(request.http, "content-type");
    let view = webhook.dialect_view();
    let limits = settings.limits.dialect_limits();
    let facts = RequestFacts {
        content_type: content_type.as_deref(),
        webhook: &view,
        limits,
        directory: &EmptyDirectory,
    };
    let translation = inlet_dialects::translate(&request.dialect, &facts, &body)?;
    let posts = inlet_dialects::storable::posts_of(std::slice::from_ref(&translation));
    crate::rate_limit::charge_posts(state, &webhook, posts).await;
    let destination = resolve(&state.directory, &webhook, &translation.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => rejection,
            ResolveError::Unavailable(error) => unavailable(format!("directory: {error}")),
        })?;
    // emakin promises a synchronous "already reported": case openings wait.
    let opens_case = translation.case.as_ref().is_some_and(|c| c.opens.is_some());
    let wait = wants_wait(request.http) || opens_case;
    let idempotency_key = idempotency_key(request.http)?;
    if let Some(key) = &idempotency_key
        && let Some(repeat) = repeat_of(state, &webhook, key, request.id, wait).await
    {
        return Ok(repeat);
    }
    let raw = RawWebhook {
        message_id: request.id.to_string(),
        webhook_id: webhook.id.to_string(),
        team_id: webhook.team_id.to_string(),
        dialect: request.dialect.as_str().to_string(),
        ordering_key: destination.ordering_key().as_str().to_string(),
        received_at_micros: request.received_at_micros,
        content_type: content_type.unwrap_or_default(),
        body: body.to_vec(),
        headers: Vec::new(),
        query: Vec::new(),
        wait,
        idempotency_key: idempotency_key.clone().unwrap_or_default(),
        path_channel_id: request.path_channel.unwrap_or_default().to_string(),
    };
    let published = publish(state, &destination.ordering_key(), &raw, wait).await;
    if published.is_err()
        && let Some(key) = &idempotency_key
    {
        // Not accepted after all: a retry must be able to claim the key.
        idempotency::release(&state.redis, &settings.redis, &raw.webhook_id, key).await;
    }
    published
}

/// Claims the `Idempotency-Key`; `Some` when an earlier request holds it.
/// With Redis down the request goes on (delivery still deduplicates).
pub(crate) async fn repeat_of(
    state: &State,
    webhook: &Webhook,
    key: &str,
    id: MessageId,
    waited: bool,
) -> Option<Outcome> {
    let hook = webhook.id.to_string();
    let claimed = idempotency::claim(
        &state.redis,
        &state.settings.redis,
        &hook,
        key,
        &id.to_string(),
    )
    .await;
    match claimed {
        Ok(Claimed::First) => None,
        Ok(Claimed::Repeat {
            message_id,
            verdict,
        }) => {
            let first = message_id.parse().unwrap_or(id);
            let verdict = verdict.and_then(|bytes| Verdict::decode(bytes.as_slice()).ok());
            Some(Outcome::Repeat {
                first,
                verdict,
                waited,
            })
        }
        Err(error) => {
            tracing::warn!(%error, "idempotency check skipped: Redis unavailable");
            None
        }
    }
}

/// The webhook of `token`. Unknown, revoked and disabled tokens get one
/// and the same answer; a token never issued here costs no lookup, and a
/// source address that keeps naming unknown tokens is answered `429`
/// (decisions.md 45).
pub(crate) async fn webhook_for(
    state: &State,
    http: &HttpRequest,
    token: &str,
) -> Result<Webhook, Rejection> {
    let no_service = || Rejection::new(ErrorCode::NoService, "no such webhook");
    let checks = &state.metrics.token_checks;
    let peer = http.peer_addr().map(|a| a.ip());
    let now = Instant::now();
    let failed = || {
        if let Some(peer) = peer {
            state.failed_lookups.failed(peer, now);
        }
        no_service()
    };
    let Ok(token) = WebhookToken::parse(token) else {
        return Err(failed());
    };
    let hash = token.hash();
    let screened = state.token_screen.judge(&token, &hash);
    // A signed token was given to its sender: never held back by others
    // sharing its address.
    if screened != Screened::Issued
        && let Some(wait) = peer.and_then(|p| state.failed_lookups.blocked(p, now))
    {
        checks.with_label_values(&["limited"]).inc();
        return Err(Rejection::rate_limited(
            "this address named too many unknown webhook tokens; retry later",
            wait,
        ));
    }
    if screened == Screened::Unknown {
        checks.with_label_values(&["screened"]).inc();
        return Err(failed());
    }
    checks.with_label_values(&["looked_up"]).inc();
    match state.directory.webhook_by_token(hash).await {
        Ok(Some(webhook)) => {
            // A use is a request that names an active webhook's token,
            // whatever becomes of its body: the owner sees the sender is alive.
            state.last_used.record(webhook.id, chrono::Utc::now());
            Ok((*webhook).clone())
        }
        Ok(None) => Err(failed()),
        // Never 404 when we do not know: vendors disable endpoints that 4xx.
        Err(error) => Err(unavailable(format!("token lookup: {error}"))),
    }
}

pub(crate) async fn publish(
    state: &State,
    key: &OrderingKey,
    raw: &RawWebhook,
    wait: bool,
) -> Result<Outcome, Rejection> {
    let shard = key.shard(state.settings.amqp.shards);
    let mut properties = BasicProperties::default()
        .with_message_id(raw.message_id.as_str().into())
        .with_content_type("application/x-protobuf".into())
        .with_timestamp((raw.received_at_micros / 1_000_000) as u64);
    let bytes = raw.encode_to_vec();
    let publisher = &state.publisher;
    let verdict = wait.then(|| {
        properties = std::mem::take(&mut properties)
            .with_reply_to(DIRECT_REPLY_TO.into())
            .with_correlation_id(raw.message_id.as_str().into());
        publisher.expect_verdict(&raw.message_id)
    });
    let started = Instant::now();
    let published = state.batcher.publish(shard, bytes, properties).await;
    state
        .metrics
        .confirm
        .observe(started.elapsed().as_secs_f64());
    let refused = match (published, verdict) {
        (Ok(Published::Confirmed), None) => return Ok(Outcome::Accepted),
        (Ok(Published::Confirmed), Some(verdict)) => {
            let timeout = Duration::from_millis(state.settings.ingress.wait_timeout_ms);
            return match tokio::time::timeout(timeout, verdict).await {
                Ok(Ok(bytes)) => Verdict::decode(bytes.as_slice())
                    .map(Outcome::Verdict)
                    .or(Ok(Outcome::Pending)),
                _ => {
                    publisher.forget_verdict(&raw.message_id);
                    Ok(Outcome::Pending)
                }
            };
        }
        // Nothing can answer a waiting sender before the broker is back.
        (Ok(Published::Spooled), verdict) => {
            if verdict.is_some() {
                publisher.forget_verdict(&raw.message_id);
            }
            return Ok(if wait {
                Outcome::Pending
            } else {
                Outcome::Accepted
            });
        }
        (Err(refused), verdict) => {
            if verdict.is_some() {
                publisher.forget_verdict(&raw.message_id);
            }
            refused
        }
    };
    Err(match refused {
        NotPublished::SpoolFailed => {
            unavailable("the message broker is unavailable and the spool is not writable")
        }
        NotPublished::Broker(error) => match error.as_ref() {
            PublishError::Unavailable => unavailable("the message broker is unavailable"),
            other => unavailable(format!("the message broker did not confirm: {other}")),
        },
    })
}

pub(crate) fn unavailable(detail: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::ServiceUnavailable, detail)
}

pub(crate) fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The sender's `Idempotency-Key`, if any (at most 255 bytes).
pub(crate) fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, Rejection> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| Rejection::invalid("header `Idempotency-Key` must be visible ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(Rejection::invalid(
            "header `Idempotency-Key` must be 1..=255 bytes",
        ));
    }
    Ok(Some(key.to_string()))
}

pub(crate) fn wants_wait(req: &HttpRequest) -> bool {
    req.query_string()
        .split('&')
        .any(|p| p == "wait=true" || p == "wait=1")
}

fn wants_json(req: &HttpRequest) -> bool {
    header(req, "accept").is_some_and(|a| a.contains("application/json")) || wants_wait(req)
}

pub(crate) fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}
