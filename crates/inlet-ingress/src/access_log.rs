//! The access log. It writes the route *pattern* (`/hooks/{token}`), never
//! the path, so a token never reaches a log line; query strings (which may
//! hold `api_key`) are not logged at all.
//!
//! A webhook door names its pattern ([`Route`]) as it handles the request:
//! finding it again from the path would run the router's matching a second
//! time on every request. Other routes (and unmatched paths) are matched.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

/// The route pattern of the request, as its handler names it.
#[derive(Clone, Copy)]
pub struct Route(pub &'static str);

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.call(req).await?;
    let named = response.request().extensions().get::<Route>().copied();
    let route = match named {
        Some(Route(pattern)) => redact_pattern(pattern),
        None => response
            .request()
            .match_pattern()
            .map(|pattern| redact_pattern(&pattern))
            .unwrap_or_else(|| "<unmatched>".to_string()),
    };
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    tracing::info!(
        target: "access",
        %method,
        route = %route,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %request_id,
        "request"
    );
    Ok(response)
}

/// `/hooks/{token}` → `/hooks/<redacted>`.
fn redact_pattern(pattern: &str) -> String {
    pattern.replace("{token}", "<redacted>")
}
