//! Reading a request body within the size limit and the body deadline.
//!
//! A declared `Content-Length` over the limit is refused before a byte is
//! read; a chunked body is refused as soon as it crosses the limit. actix-web
//! times out slow headers but not slow bodies, hence the deadline.

use actix_web::{HttpRequest, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use inlet_dialects::{ErrorCode, Rejection};
use std::time::Duration;

pub async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    max_bytes: usize,
    deadline: Duration,
) -> Result<bytes::Bytes, Rejection> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(too_large(max_bytes));
    }
    let read = async {
        let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(max_bytes));
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| Rejection::invalid(format!("cannot read the body: {e}")))?;
            if body.len() + chunk.len() > max_bytes {
                return Err(too_large(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(result) => result,
        Err(_) => Err(Rejection::new(
            ErrorCode::RequestTimeout,
            format!("the body was not received within {} s", deadline.as_secs()),
        )),
    }
}

fn too_large(max_bytes: usize) -> Rejection {
    Rejection::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is larger than {max_bytes} bytes"),
    )
}
