//! Reading a request body within the size limit and the body deadline,
//! and undoing its `Content-Encoding`.
//!
//! A declared `Content-Length` over the limit is refused before a byte is
//! read; a chunked body is refused as soon as it crosses the limit. actix-web
//! times out slow headers but not slow bodies, hence the deadline. A `gzip`
//! body (vendors send them) is decompressed, and the same limit holds for
//! what it decompresses to, so a small bomb cannot cost more than a large
//! plain body; any other encoding is `415` (decisions.md 42).

use actix_web::{HttpRequest, web};
use bytes::BytesMut;
use futures_util::StreamExt;
use inlet_dialects::{ErrorCode, Rejection};
use prometheus::{IntCounter, IntGauge};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a sender refused for want of body budget should wait.
const BUDGET_RETRY_AFTER_SECS: u64 = 1;

/// The bytes of request bodies ingress may hold at once, across all
/// connections (`ingress.body_budget_bytes`). Without it, senders that
/// announce large bodies and send them slowly hold that memory each, up to
/// the body deadline. A request takes its share before its body is read
/// (its `Content-Length`, or chunk by chunk when there is none) and gives
/// it back when it is answered; a request that finds the budget spent is
/// answered `503` at once, never queued.
#[derive(Clone)]
pub struct BodyBudget {
    bytes: Arc<Semaphore>,
    held: IntGauge,
    refusals: IntCounter,
}

/// A request's share of the budget, given back when dropped.
pub struct Held {
    permit: Option<OwnedSemaphorePermit>,
    gauge: IntGauge,
}

impl BodyBudget {
    pub fn new(bytes: usize, held: IntGauge, refusals: IntCounter) -> Self {
        Self {
            bytes: Arc::new(Semaphore::new(bytes)),
            held,
            refusals,
        }
    }

    fn none(&self) -> Held {
        Held {
            permit: None,
            gauge: self.held.clone(),
        }
    }

    /// Adds `bytes` to what `held` holds, or refuses with 503.
    fn take(&self, held: &mut Held, bytes: usize) -> Result<(), Rejection> {
        if bytes == 0 {
            return Ok(());
        }
        let permit = u32::try_from(bytes)
            .ok()
            .and_then(|n| self.bytes.clone().try_acquire_many_owned(n).ok());
        let Some(permit) = permit else {
            self.refusals.inc();
            let mut refusal = Rejection::new(
                ErrorCode::ServiceUnavailable,
                "ingress holds as many request bodies as it may (ingress.body_budget_bytes); retry shortly",
            );
            refusal.retry_after_secs = Some(BUDGET_RETRY_AFTER_SECS);
            return Err(refusal);
        };
        self.held.add(bytes as i64);
        match &mut held.permit {
            Some(existing) => existing.merge(permit),
            None => held.permit = Some(permit),
        }
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(permit) = &self.permit {
            self.gauge.sub(permit.num_permits() as i64);
        }
    }
}

/// A request body read whole, holding its share of the budget.
pub struct Body {
    bytes: bytes::Bytes,
    _held: Held,
}

impl std::ops::Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// How the body is encoded (`Content-Encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
}

/// The body's encoding, judged before a byte of it is read.
fn encoding(req: &HttpRequest) -> Result<Encoding, Rejection> {
    let Some(value) = req.headers().get(actix_web::http::header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let value = value.to_str().unwrap_or("?").trim().to_ascii_lowercase();
    match value.as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        other => Err(Rejection::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "Content-Encoding `{other}` is not supported; send the body as it is or with `gzip`"
            ),
        )),
    }
}

/// The decompressed body, at most `max_bytes` long.
fn gunzip(compressed: &[u8], max_bytes: usize) -> Result<bytes::Bytes, Rejection> {
    let mut out = Vec::with_capacity((compressed.len() * 4).min(max_bytes));
    let decoder = flate2::read::MultiGzDecoder::new(compressed);
    decoder
        .take(max_bytes as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Rejection::invalid(format!("the gzip body cannot be decompressed: {e}")))?;
    if out.len() > max_bytes {
        return Err(Rejection::new(
            ErrorCode::PayloadTooLarge,
            format!("the body decompresses to more than {max_bytes} bytes"),
        ));
    }
    Ok(out.into())
}

pub async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    budget: &BodyBudget,
    max_bytes: usize,
    deadline: Duration,
) -> Result<Body, Rejection> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let encoding = encoding(req)?;
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(too_large(max_bytes));
    }
    let mut held = budget.none();
    budget.take(&mut held, declared.unwrap_or(0))?;
    let read = async {
        let mut body = BytesMut::with_capacity(declared.unwrap_or(1024).min(max_bytes));
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| Rejection::invalid(format!("cannot read the body: {e}")))?;
            if body.len() + chunk.len() > max_bytes {
                return Err(too_large(max_bytes));
            }
            let beyond_declared = (body.len() + chunk.len()).saturating_sub(declared.unwrap_or(0));
            let already = body.len().saturating_sub(declared.unwrap_or(0));
            budget.take(&mut held, beyond_declared - already)?;
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    let bytes = match tokio::time::timeout(deadline, read).await {
        Ok(Ok(body)) if encoding == Encoding::Gzip => {
            let plain = gunzip(&body, max_bytes)?;
            budget.take(&mut held, plain.len())?;
            plain
        }
        Ok(result) => result?,
        Err(_) => {
            return Err(Rejection::new(
                ErrorCode::RequestTimeout,
                format!("the body was not received within {} s", deadline.as_secs()),
            ));
        }
    };
    Ok(Body { bytes, _held: held })
}

fn too_large(max_bytes: usize) -> Rejection {
    Rejection::new(
        ErrorCode::PayloadTooLarge,
        format!("the body is larger than {max_bytes} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_bodies_decompress_within_the_limit() {
        let body = br#"{"text":"hello"}"#;
        assert_eq!(&gunzip(&gzip(body), 1024).unwrap()[..], body);
        // A bomb: 1 MiB of zeros in about a kilobyte.
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 4096);
        let refused = gunzip(&bomb, 64 * 1024).unwrap_err();
        assert_eq!(refused.code, ErrorCode::PayloadTooLarge);
    }

    #[test]
    fn a_body_that_is_not_gzip_is_a_clear_400() {
        let refused = gunzip(br#"{"text":"plain"}"#, 1024).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidPayload);
        assert!(refused.detail.contains("gzip"), "{}", refused.detail);
    }
}
