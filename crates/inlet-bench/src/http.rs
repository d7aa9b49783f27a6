//! A minimal HTTP/1.1 keep-alive client: the load generator must cost the
//! machine as little as possible, since it shares two cores with the stack
//! it measures. It writes a request with `Content-Length` and reads the
//! status and a `Content-Length` body; nothing else (no chunked answers,
//! no redirects) is needed against ingress.

use anyhow::{Context, bail};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

/// One request, rendered once and sent as is.
#[derive(Clone, Debug)]
pub struct Request {
    pub head: Vec<u8>,
    pub body: Vec<u8>,
}

impl Request {
    /// `POST path` with the given extra headers (`name: value` lines).
    pub fn post(
        host: &str,
        path: &str,
        content_type: &str,
        extra: &[(&str, String)],
        body: Vec<u8>,
    ) -> Self {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in extra {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        Self {
            head: head.into_bytes(),
            body,
        }
    }
}

/// One keep-alive connection.
pub struct Connection {
    stream: BufStream<TcpStream>,
    address: SocketAddr,
    line: Vec<u8>,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufStream::new(stream),
            address,
            line: Vec::with_capacity(256),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sends `request` and returns the status code (the body is read and
    /// dropped). Never retries: after an error the outcome is unknown, and
    /// a retry could post the message twice.
    pub async fn send(&mut self, request: &Request) -> anyhow::Result<u16> {
        self.stream.write_all(&request.head).await?;
        self.stream.write_all(&request.body).await?;
        self.stream.flush().await?;
        self.read_line().await?;
        let status = parse_status(&self.line)?;
        let mut length = 0usize;
        let mut close = false;
        loop {
            self.read_line().await?;
            if self.line == b"\r\n" || self.line == b"\n" {
                break;
            }
            let header = String::from_utf8_lossy(&self.line).to_ascii_lowercase();
            if let Some(value) = header.strip_prefix("content-length:") {
                length = value.trim().parse().context("content-length")?;
            } else if header.starts_with("transfer-encoding:") {
                bail!("chunked answers are not supported by the bench client");
            } else if header.starts_with("connection:") && header.contains("close") {
                close = true;
            }
        }
        let mut remaining = length;
        let mut sink = [0u8; 4096];
        while remaining > 0 {
            let n = self.stream.read(&mut sink[..remaining.min(4096)]).await?;
            if n == 0 {
                bail!("connection closed mid-body");
            }
            remaining -= n;
        }
        if close {
            *self = Self::open(self.address).await?;
        }
        Ok(status)
    }

    async fn read_line(&mut self) -> anyhow::Result<()> {
        use tokio::io::AsyncBufReadExt;
        self.line.clear();
        let n = self.stream.read_until(b'\n', &mut self.line).await?;
        if n == 0 {
            bail!("connection closed");
        }
        Ok(())
    }
}

fn parse_status(line: &[u8]) -> anyhow::Result<u16> {
    // "HTTP/1.1 200 OK"
    let text = std::str::from_utf8(line).context("status line")?;
    let code = text
        .split_whitespace()
        .nth(1)
        .context("status line without a code")?;
    Ok(code.parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_code() {
        assert_eq!(parse_status(b"HTTP/1.1 202 Accepted\r\n").ok(), Some(202));
        assert!(parse_status(b"garbage\r\n").is_err());
    }

    #[test]
    fn renders_a_post() {
        let request = Request::post(
            "h",
            "/p",
            "application/json",
            &[("X-A", "1".into())],
            b"{}".to_vec(),
        );
        let head = String::from_utf8(request.head).unwrap_or_default();
        assert!(head.starts_with("POST /p HTTP/1.1\r\nHost: h\r\n"));
        assert!(head.contains("Content-Length: 2\r\n"));
        assert!(head.ends_with("X-A: 1\r\n\r\n"));
    }
}
