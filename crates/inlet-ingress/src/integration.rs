//! `POST /api/v1/external/{integration}`: vendor integrations in Zulip's
//! style. The token comes from `api_key` or the HTTP Basic password; the
//! answers are Zulip's JSON shape; filtered and unsupported events are
//! answered here without publishing (decisions.md 18); the vendor's delivery
//! id is the idempotency key when the sender sends none (decisions.md 12).

use crate::State;
use crate::accept::{self, Outcome};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use inlet_core::MessageId;
use inlet_dialects::Rejection;
use inlet_dialects::integrations::{self, IntegrationOutcome, IntegrationRequest, success_answer};
use inlet_directory::resolve::{ResolveError, resolve};
use inlet_directory::{DialectLimits, DialectView};
use inlet_proto::v1::{Header, QueryParam, RawWebhook};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The metric label of every integration request.
const DIALECT: &str = "integration";

pub async fn external(
    req: HttpRequest,
    name: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let started = Instant::now();
    let id = MessageId::new();
    let response = match process(&state, &req, &name, body, id).await {
        Ok(response) => response,
        Err(rejection) => {
            state
                .metrics
                .rejections
                .with_label_values(&[&rejection.code.as_str().to_lowercase()])
                .inc();
            let status = StatusCode::from_u16(rejection.code.http_status())
                .unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = zulip_error(status, rejection.code.as_str(), &rejection.detail, id);
            if let Some(secs) = crate::answer::retry_after(&rejection) {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(secs),
                );
            }
            response
        }
    };
    let status = response.status().as_u16().to_string();
    state
        .metrics
        .requests
        .with_label_values(&[DIALECT, &status])
        .inc();
    state
        .metrics
        .duration
        .with_label_values(&[DIALECT])
        .observe(started.elapsed().as_secs_f64());
    response
}

fn zulip_error(status: StatusCode, code: &str, msg: &str, id: MessageId) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(json!({"result": "error", "msg": msg, "code": code}))
}

fn success(body: Value, id: MessageId) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

async fn process(
    state: &State,
    http: &HttpRequest,
    name: &str,
    body: web::Payload,
    id: MessageId,
) -> Result<HttpResponse, Rejection> {
    let Some(integration) = integrations::integration(name) else {
        return Ok(zulip_error(
            StatusCode::NOT_FOUND,
            "no_such_integration",
            &format!("no integration named {name:?}"),
            id,
        ));
    };
    let query = query_without_key(http);
    let Some(token) = api_key(http) else {
        return Ok(zulip_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "missing api_key or HTTP Basic password",
            id,
        ));
    };
    let webhook = accept::webhook_for(state, http, &token).await?;
    crate::rate_limit::admit(state, &webhook).await?;
    let settings = &state.settings;
    let deadline = Duration::from_millis(settings.ingress.body_timeout_ms);
    let body = crate::body::read_limited(
        http,
        body,
        &state.body_budget,
        settings.ingress.max_body_bytes,
        deadline,
    )
    .await?;
    state
        .metrics
        .bytes
        .with_label_values(&[DIALECT])
        .observe(body.len() as f64);
    let headers = vendor_headers(http);
    let content_type = accept::header(http, "content-type");
    let view = webhook.dialect_view();
    let secret = signing_secret(state, &webhook)?;
    let request = IntegrationRequest {
        name,
        headers: &headers,
        query: &query,
        content_type: content_type.as_deref(),
        body: &body,
        webhook: &view,
        signing_secret: secret.as_deref(),
        limits: settings.limits.dialect_limits(),
        // A syntactic check, as for the dialects: names render in the formatter.
        directory: &inlet_dialects::EmptyDirectory,
    };
    let count = |event: &str, outcome: &str| {
        // Only declared event names become label values (bounded).
        let event = integration
            .events()
            .iter()
            .find(|e| **e == event)
            .copied()
            .unwrap_or("other");
        state
            .metrics
            .integration_events
            .with_label_values(&[integration.name(), event, outcome])
            .inc();
    };
    let (posts, vendor_key, event) = match integrations::translate_integration(&request) {
        Err(error) => {
            count("other", "rejected");
            state
                .metrics
                .rejections
                .with_label_values(&[error.code.metric_reason()])
                .inc();
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
            return Ok(HttpResponse::build(status)
                .insert_header(("X-Request-Id", id.to_string()))
                .json(error.answer()));
        }
        Ok(outcome @ IntegrationOutcome::Ignored { .. }) => {
            let mut body = outcome.answer(integration.display_name());
            if let IntegrationOutcome::Ignored {
                event,
                reason,
                message,
            } = &outcome
            {
                count(event, reason.as_str());
                if accept::wants_wait(http) {
                    let detail = message.as_deref().unwrap_or(reason.sentence());
                    not_posted(&mut body, id, reason.as_str(), event, detail);
                }
            }
            return Ok(success(body, id));
        }
        Ok(IntegrationOutcome::Post {
            posts,
            idempotency_key,
            event,
        }) => {
            count(&event, "posted");
            (posts, idempotency_key, event)
        }
    };
    crate::rate_limit::charge_posts(state, &webhook, inlet_dialects::storable::posts_of(&posts))
        .await;
    let Some(first) = posts.first() else {
        let mut body = success_answer();
        if accept::wants_wait(http) {
            let detail = "the event carried nothing to post";
            not_posted(&mut body, id, "empty", &event, detail);
        }
        return Ok(success(body, id));
    };
    let destination = resolve(&state.directory, &webhook, &first.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => rejection,
            ResolveError::Unavailable(error) => accept::unavailable(format!("directory: {error}")),
        })?;
    let wait = accept::wants_wait(http);
    let idempotency_key = accept::idempotency_key(http)?.or(vendor_key);
    if let Some(key) = &idempotency_key
        && let Some(repeat) = accept::repeat_of(state, &webhook, key, id, wait).await
    {
        return Ok(answer(repeat, id));
    }
    let raw = RawWebhook {
        message_id: id.to_string(),
        webhook_id: webhook.id.to_string(),
        team_id: webhook.team_id.to_string(),
        dialect: format!("integration/{name}"),
        ordering_key: destination.ordering_key().as_str().to_string(),
        received_at_micros: accept::now_micros(),
        content_type: content_type.unwrap_or_default(),
        body: body.to_vec(),
        // Only what the translation reads: a secret or a signature header
        // never goes past the check that used it (decisions.md 40).
        headers: integrations::carried_headers(integration, &headers)
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect(),
        query: query
            .into_iter()
            .map(|(name, value)| QueryParam { name, value })
            .collect(),
        wait,
        idempotency_key: idempotency_key.clone().unwrap_or_default(),
        path_channel_id: String::new(),
    };
    let published = accept::publish(state, &destination.ordering_key(), &raw, wait).await;
    if published.is_err()
        && let Some(key) = &idempotency_key
    {
        inlet_redis::idempotency::release(&state.redis, &settings.redis, &raw.webhook_id, key)
            .await;
    }
    Ok(answer(published?, id))
}

fn answer(outcome: Outcome, id: MessageId) -> HttpResponse {
    match outcome {
        Outcome::Accepted => success(success_answer(), id),
        Outcome::Verdict(verdict) => waited(id, &verdict),
        Outcome::Pending => crate::answer::pending(id),
        Outcome::Repeat {
            first,
            verdict: Some(verdict),
            waited: true,
        } => waited(first, &verdict),
        Outcome::Repeat {
            first,
            waited: true,
            ..
        } => crate::answer::pending(first),
        Outcome::Repeat { first, .. } => success(success_answer(), first),
    }
}

/// `api_key` from the query, else the HTTP Basic password.
fn api_key(http: &HttpRequest) -> Option<String> {
    let from_query = web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .ok()
        .and_then(|q| {
            q.0.into_iter()
                .find(|(k, _)| k == "api_key")
                .map(|(_, v)| v)
        });
    from_query.or_else(|| {
        let value = accept::header(http, "authorization")?;
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':')
            .map(|(_, password)| password.to_string())
    })
}

/// The query, never with `api_key` (it must not reach the broker or a log).
fn query_without_key(http: &HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .map(|q| q.0.into_iter().filter(|(k, _)| k != "api_key").collect())
        .unwrap_or_default()
}

/// The headers a vendor's request may be judged by (event type, delivery
/// id, signature or token), lower-cased; never `Authorization` or cookies.
/// Read here only: what goes on the raw message is
/// [`integrations::carried_headers`].
fn vendor_headers(http: &HttpRequest) -> Vec<(String, String)> {
    http.headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("x-")
                || name.starts_with("sentry-")
                || name == "request-id"
                || name == "user-agent"
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}

/// A waiting sender's answer when nothing was meant to be posted: the
/// `wait=true` shape with no posts and `not_posted` saying why
/// (http-api.md "Answers"), beside Zulip's `result` and `msg`.
fn not_posted(body: &mut Value, id: MessageId, reason: &str, event: &str, detail: &str) {
    body["ok"] = true.into();
    body["id"] = id.to_string().into();
    body["posts"] = json!([]);
    body["not_posted"] = json!({"reason": reason, "event": event, "detail": detail});
}

/// The `wait=true` shape, with Zulip's `result` and `msg` beside it.
fn waited(id: MessageId, verdict: &inlet_proto::v1::Verdict) -> HttpResponse {
    let (status, mut body) = crate::answer::verdict_body(id, verdict);
    let result = if verdict.ok { "success" } else { "error" };
    body["result"] = result.into();
    body["msg"] = if verdict.ok {
        "".into()
    } else {
        verdict.detail.clone().into()
    };
    HttpResponse::build(status)
        .insert_header(("X-Request-Id", id.to_string()))
        .json(body)
}

/// The webhook's signing secret, opened; a secret that cannot be opened
/// (no key, a changed key) is an outage, never a skipped check.
fn signing_secret(
    state: &State,
    webhook: &inlet_store::Webhook,
) -> Result<Option<Vec<u8>>, Rejection> {
    let Some(sealed) = &webhook.signing_secret_sealed else {
        return Ok(None);
    };
    let opened = match &state.secrets {
        Some(secrets) => secrets.open(sealed),
        None => Err("secrets.key_file is not configured".to_string()),
    };
    opened.map(Some).map_err(|error| {
        tracing::error!(%error, webhook_id = %webhook.id, "cannot open a webhook's signing secret");
        accept::unavailable("the webhook's signing secret cannot be read")
    })
}
