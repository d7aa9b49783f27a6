//! Accepting one webhook: token → body → dialect validation → target
//! channel → publish with confirm → answer. Every refusal is counted by its
//! code and answered in the dialect's shape.

use crate::State;
use crate::answer;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_bus::{BasicProperties, Hop, PublishError};
use inlet_core::{MessageId, OrderingKey, WebhookToken};
use inlet_dialects::{Dialect, EmptyDirectory, ErrorCode, Rejection, RequestFacts};
use inlet_proto::Message;
use inlet_proto::v1::RawWebhook;
use inlet_store::Webhook;
use inlet_store::resolve::{ResolveError, resolve};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `POST /hooks/{token}`: the Slack / Mattermost dialect.
pub async fn slack(
    req: HttpRequest,
    token: web::Path<String>,
    payload: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    accept(&state, Dialect::Slack, &req, &token, payload).await
}

async fn accept(
    state: &State,
    dialect: Dialect,
    req: &HttpRequest,
    token: &str,
    payload: web::Payload,
) -> HttpResponse {
    let started = Instant::now();
    let id = MessageId::new();
    let received_at_micros = now_micros();
    let wants_json = wants_json(req);
    let outcome = process(state, &dialect, req, token, payload, id, received_at_micros).await;
    let response = match &outcome {
        Ok(()) => answer::accepted(&dialect, id),
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
            answer::rejected(&dialect, rejection, id, wants_json)
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
    dialect: &Dialect,
    req: &HttpRequest,
    token: &str,
    payload: web::Payload,
    id: MessageId,
    received_at_micros: i64,
) -> Result<(), Rejection> {
    let webhook = webhook_for(state, token).await?;
    let settings = &state.settings;
    let body = crate::body::read_limited(
        req,
        payload,
        settings.ingress.max_body_bytes,
        Duration::from_millis(settings.ingress.body_timeout_ms),
    )
    .await?;
    state
        .metrics
        .bytes
        .with_label_values(&[dialect.as_str()])
        .observe(body.len() as f64);

    let content_type = header(req, "content-type");
    let view = webhook.dialect_view();
    let facts = RequestFacts {
        content_type: content_type.as_deref(),
        webhook: &view,
        limits: settings.limits.dialect_limits(),
        directory: &EmptyDirectory,
    };
    let translation = inlet_dialects::translate(dialect, &facts, &body)?;
    let destination = resolve(&state.directory, &webhook, &translation.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => rejection,
            ResolveError::Unavailable(error) => unavailable(format!("directory: {error}")),
        })?;
    let key = destination.ordering_key();
    let raw = RawWebhook {
        message_id: id.to_string(),
        webhook_id: webhook.id.to_string(),
        team_id: webhook.team_id.to_string(),
        dialect: dialect.as_str().to_string(),
        ordering_key: key.as_str().to_string(),
        received_at_micros,
        content_type: content_type.unwrap_or_default(),
        body: body.to_vec(),
        headers: Vec::new(),
        query: Vec::new(),
        wait: false,
        idempotency_key: String::new(),
        path_channel_id: String::new(),
    };
    publish(state, &key, &raw).await
}

async fn webhook_for(state: &State, token: &str) -> Result<Webhook, Rejection> {
    // Unknown, revoked and disabled tokens get one and the same answer.
    let no_service = || Rejection::new(ErrorCode::NoService, "no such webhook");
    let token = WebhookToken::parse(token).map_err(|_| no_service())?;
    match state.directory.webhook_by_token(token.hash()).await {
        Ok(Some(webhook)) => Ok((*webhook).clone()),
        Ok(None) => Err(no_service()),
        // Never 404 when we do not know: vendors disable endpoints that 4xx.
        Err(error) => Err(unavailable(format!("token lookup: {error}"))),
    }
}

async fn publish(state: &State, key: &OrderingKey, raw: &RawWebhook) -> Result<(), Rejection> {
    let shard = key.shard(state.settings.amqp.shards);
    let properties = BasicProperties::default()
        .with_message_id(raw.message_id.as_str().into())
        .with_content_type("application/x-protobuf".into())
        .with_timestamp((raw.received_at_micros / 1_000_000) as u64);
    let started = Instant::now();
    let result = state
        .publisher
        .publish(Hop::Raw, shard, &raw.encode_to_vec(), properties)
        .await;
    state
        .metrics
        .confirm
        .observe(started.elapsed().as_secs_f64());
    result.map_err(|error| match error {
        PublishError::Unavailable => unavailable("the message broker is unavailable"),
        other => unavailable(format!("the message broker did not confirm: {other}")),
    })
}

fn unavailable(detail: impl Into<String>) -> Rejection {
    Rejection::new(ErrorCode::ServiceUnavailable, detail)
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn wants_json(req: &HttpRequest) -> bool {
    let accept_json = header(req, "accept").is_some_and(|a| a.contains("application/json"));
    let wait = req
        .query_string()
        .split('&')
        .any(|p| p == "wait=true" || p == "wait=1");
    accept_json || wait
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}
