//! The body of a management request, read whole before its handler runs,
//! under the rule ingress follows (decisions.md 1): larger than
//! `api.max_body_bytes` is `413 payload_too_large` (before a byte is read
//! when `Content-Length` announces it), not received within
//! `api.body_timeout_ms` is `408 request_timeout`. actix-web times out
//! slow headers but not slow bodies: without the deadline a sender could
//! trickle a body in and hold a connection and a handler for as long as it
//! liked.

use crate::State;
use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use std::time::Duration;

/// Reads the body within the limits, then hands it to the handler.
pub async fn read_within_limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let settings = &req
        .app_data::<web::Data<State>>()
        .ok_or_else(|| ApiError::Internal("no state".into()))?
        .settings
        .api;
    let (max_bytes, deadline) = (
        settings.max_body_bytes,
        Duration::from_millis(settings.body_timeout_ms),
    );
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(too_large(max_bytes).into());
    }
    let mut payload = req.take_payload();
    let read = async {
        let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(max_bytes));
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
            if body.len() + chunk.len() > max_bytes {
                return Err(too_large(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    let body = match tokio::time::timeout(deadline, read).await {
        Ok(body) => body?,
        Err(_) => {
            return Err(ApiError::RequestTimeout(format!(
                "the body was not received within {} ms",
                deadline.as_millis()
            ))
            .into());
        }
    };
    req.set_payload(Payload::from(body));
    next.call(req).await
}

fn too_large(max_bytes: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {max_bytes} bytes"))
}
