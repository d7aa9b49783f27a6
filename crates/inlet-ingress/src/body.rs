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
use std::io::Read;
use std::time::Duration;

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
    max_bytes: usize,
    deadline: Duration,
) -> Result<bytes::Bytes, Rejection> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let encoding = encoding(req)?;
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
        Ok(Ok(body)) if encoding == Encoding::Gzip => gunzip(&body, max_bytes),
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
