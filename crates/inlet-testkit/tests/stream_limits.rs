//! What live event streams may cost inlet-api (reliability.md, Security):
//! the streams of a channel share one Redis subscription per process;
//! streams are capped per token and in total, with `429 too_many_streams`
//! past a cap; a stream whose client went away ends within seconds, giving
//! back its slot and its subscription; a stream that falls behind the
//! shared feed catches up from PostgreSQL; and when Redis goes away the
//! streams end and resume, without a gap, once it is back.

use inlet_testkit::servers::PrivateRedis;
use inlet_testkit::{Fixture, Services, TestStack};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(30);

/// How soon a stream whose client went away must be gone. Before, it was
/// noticed only when heartbeats (every 15 s) failed to be written: 30 s
/// and more. A couple of seconds are asked; this leaves a margin.
const PROMPTLY: Duration = Duration::from_secs(5);

fn events_path(f: &Fixture) -> String {
    format!("/api/v1/channels/{}/events", f.channel_id)
}

/// The Redis topic the channel's posts are published on.
fn topic(stack: &TestStack, f: &Fixture) -> String {
    inlet_redis::keys::channel_topic(&stack.settings.redis, &f.channel_id.parse().unwrap())
}

/// How many connections are subscribed to `topic` (`PUBSUB NUMSUB`).
async fn subscribers(stack: &TestStack, topic: &str) -> i64 {
    let client = redis::Client::open(stack.settings.redis.url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let (_, count): (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(topic)
        .query_async(&mut connection)
        .await
        .unwrap();
    count
}

/// A sample of inlet-api's metrics, e.g. `inlet_api_streams_open` or
/// `inlet_api_streams_refused_total{limit="total"}`.
async fn api_metric(stack: &TestStack, sample: &str) -> f64 {
    let metrics = stack.metrics("api").await.unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{sample} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {sample} in:\n{metrics}"))
}

/// Waits until `check` holds, failing the test with `what` after `within`.
async fn eventually(what: &str, within: Duration, check: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The stream's answer, unread.
async fn ask(stack: &TestStack, f: &Fixture, token: &str, last_event_id: i64) -> reqwest::Response {
    reqwest::Client::new()
        .get(stack.api_url(&events_path(f)))
        .bearer_auth(token)
        .header("last-event-id", last_event_id.to_string())
        .send()
        .await
        .unwrap()
}

/// An open stream, read event by event.
struct Reader {
    response: reqwest::Response,
    buffer: String,
}

impl Reader {
    /// Opens a stream and waits for its `ready` event: from then on the
    /// stream has joined its channel's live feed.
    async fn open(stack: &TestStack, f: &Fixture, token: &str, last_event_id: i64) -> Self {
        let response = ask(stack, f, token, last_event_id).await;
        assert_eq!(response.status(), 200, "the stream was refused");
        let mut reader = Self {
            response,
            buffer: String::new(),
        };
        let ready = reader.next_event().await.expect("no ready event");
        assert!(ready.contains("event: ready"), "{ready}");
        reader
    }

    /// The next event (heartbeats skipped); None when the stream ends.
    async fn next_event(&mut self) -> Option<String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if event.starts_with(':') {
                    continue;
                }
                return Some(event);
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None) | Err(_)) => return None,
                Err(_) => panic!("the stream was silent for {WAIT:?}"),
            }
        }
    }

    /// The seqs of the `posted` events, up to and including `last`.
    async fn seqs_through(&mut self, last: i64) -> Vec<i64> {
        let mut seqs = Vec::new();
        while seqs.last().is_none_or(|seq| *seq < last) {
            let event = self
                .next_event()
                .await
                .unwrap_or_else(|| panic!("the stream ended after {seqs:?}"));
            if let Some(seq) = posted_seq(&event) {
                seqs.push(seq);
            }
        }
        seqs
    }
}

fn posted_seq(event: &str) -> Option<i64> {
    if !event.lines().any(|l| l == "event: posted") {
        return None;
    }
    event
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .and_then(|id| id.parse().ok())
}

async fn send(stack: &TestStack, f: &Fixture, text: &str) {
    let body = serde_json::json!({ "text": text }).to_string();
    assert_eq!(stack.slack_status(&f.token, &body).await, 200, "refused");
}

/// A stack whose API also takes `read_token`, with the stream caps given.
async fn stack_with_caps(read_token: &str, per_token: usize, total: usize) -> TestStack {
    let hash = inlet_core::TokenHash::of(read_token).to_hex();
    TestStack::start_with(Services::ALL, |s| {
        s.api.read_tokens = vec![format!("sha256:{hash}")];
        s.api.max_streams_per_token = per_token;
        s.api.max_streams_total = total;
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_streams_of_a_channel_share_one_redis_subscription_and_each_gets_every_post() {
    const STREAMS: usize = 40;
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.api.max_streams_per_token = STREAMS;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let topic = topic(&stack, &f);
    let mut readers = Vec::new();
    for _ in 0..STREAMS {
        readers.push(Reader::open(&stack, &f, &stack.admin_token, 0).await);
    }
    assert_eq!(
        subscribers(&stack, &topic).await,
        1,
        "{STREAMS} streams of one channel: one Redis subscription"
    );
    assert_eq!(api_metric(&stack, "inlet_api_streams_open").await, 40.0);

    send(&stack, &f, "to every stream").await;
    for reader in &mut readers {
        assert_eq!(reader.seqs_through(1).await, vec![1]);
    }
    assert_eq!(subscribers(&stack, &topic).await, 1);

    drop(readers);
    eventually(
        "the channel is unsubscribed once its last stream has ended",
        WAIT,
        async || subscribers(&stack, &topic).await == 0,
    )
    .await;
    stack.stop().await;
}

/// Checks a refusal past a cap: 429, `too_many_streams`, `Retry-After`.
async fn assert_too_many_streams(response: reqwest::Response, cap_of: &str) {
    assert_eq!(response.status(), 429, "past the cap of {cap_of}");
    let retry_after: u32 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry_after > 0);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "too_many_streams", "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(cap_of), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_a_cap_a_stream_gets_429_and_a_stream_that_ends_gives_its_slot_back() {
    let read_token = format!("read-{}", inlet_testkit::unique_tag());
    let stack = stack_with_caps(&read_token, 2, 3).await;
    let f = stack.fixture().await.unwrap();
    let admin = stack.admin_token.clone();

    // The token's cap: a third stream of the admin token is refused.
    let first = Reader::open(&stack, &f, &admin, 0).await;
    let _second = Reader::open(&stack, &f, &admin, 0).await;
    assert_too_many_streams(ask(&stack, &f, &admin, 0).await, "this token").await;

    // The total cap: the read token has one stream only, but the process
    // holds three, its most.
    let _third = Reader::open(&stack, &f, &read_token, 0).await;
    assert_too_many_streams(ask(&stack, &f, &read_token, 0).await, "the server").await;

    let refused = "inlet_api_streams_refused_total";
    assert_eq!(
        api_metric(&stack, &format!("{refused}{{limit=\"per_token\"}}")).await,
        1.0
    );
    assert_eq!(
        api_metric(&stack, &format!("{refused}{{limit=\"total\"}}")).await,
        1.0
    );
    assert_eq!(api_metric(&stack, "inlet_api_streams_open").await, 3.0);

    // A stream that ends gives its slot back, to its own token and to the
    // process.
    drop(first);
    eventually("the slot is given back", WAIT, async || {
        api_metric(&stack, "inlet_api_streams_open").await == 2.0
    })
    .await;
    let _again = Reader::open(&stack, &f, &admin, 0).await;
    assert_eq!(api_metric(&stack, "inlet_api_streams_open").await, 3.0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_client_went_away_ends_within_seconds() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let topic = topic(&stack, &f);
    let reader = Reader::open(&stack, &f, &stack.admin_token, 0).await;
    assert_eq!(api_metric(&stack, "inlet_api_streams_open").await, 1.0);
    assert_eq!(subscribers(&stack, &topic).await, 1);

    // The client closes its connection; nothing is sent meanwhile, so only
    // noticing the closed connection can end the stream.
    drop(reader);
    eventually(
        "the stream of a client that went away ended (slot and subscription given back)",
        PROMPTLY,
        async || {
            api_metric(&stack, "inlet_api_streams_open").await == 0.0
                && subscribers(&stack, &topic).await == 0
        },
    )
    .await;
    stack.stop().await;
}

/// A stream read over a raw connection whose receive buffer is tiny: once
/// the reader stops reading, the server's writes soon block.
struct SlowReader {
    socket: tokio::net::TcpStream,
    /// Received and not yet decoded (the body is chunked).
    raw: Vec<u8>,
    /// The decoded body not yet split into events.
    text: String,
}

impl SlowReader {
    async fn open(stack: &TestStack, f: &Fixture) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4_096).unwrap();
        let mut socket = socket
            .connect(([127, 0, 0, 1], stack.api_port).into())
            .await
            .unwrap();
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Last-Event-ID: 0\r\n\r\n",
            events_path(f),
            stack.admin_token
        );
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut reader = Self {
            socket,
            raw: Vec::new(),
            text: String::new(),
        };
        let head = loop {
            if let Some(end) = find(&reader.raw, b"\r\n\r\n") {
                break String::from_utf8_lossy(&reader.raw.drain(..end + 4).collect::<Vec<_>>())
                    .into_owned();
            }
            reader.receive().await;
        };
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        reader
    }

    async fn receive(&mut self) {
        let mut buffer = [0u8; 65_536];
        let read = tokio::time::timeout(WAIT, self.socket.read(&mut buffer))
            .await
            .expect("the stream was silent")
            .unwrap();
        assert!(read > 0, "the stream ended");
        self.raw.extend_from_slice(&buffer[..read]);
    }

    /// Moves every complete chunk of `raw` into `text`.
    fn decode(&mut self) {
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let size = std::str::from_utf8(&self.raw[..line_end])
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .expect("a chunk size");
            let chunk_end = line_end + 2 + size + 2;
            if self.raw.len() < chunk_end {
                return;
            }
            let chunk = &self.raw[line_end + 2..line_end + 2 + size];
            self.text.push_str(&String::from_utf8_lossy(chunk));
            self.raw.drain(..chunk_end);
        }
    }

    /// The seqs of the `posted` events up to and including `last`.
    async fn seqs_through(&mut self, last: i64) -> Vec<i64> {
        let mut seqs = Vec::new();
        while seqs.last().is_none_or(|seq| *seq < last) {
            self.decode();
            while let Some(end) = self.text.find("\n\n") {
                let event: String = self.text.drain(..end + 2).collect();
                seqs.extend(posted_seq(&event));
            }
            if seqs.last().is_none_or(|seq| *seq < last) {
                self.receive().await;
            }
        }
        seqs
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_falls_behind_the_shared_feed_catches_up_from_postgresql() {
    // Enough large posts to fill the slow reader's connection (the kernel
    // gives a socket at most 4 MiB to send here, tcp_wmem) and its
    // stream's 64 pending events, then outrun its place in the feed.
    const POSTS: i64 = 480;
    let text = |n: i64| format!("message {n} {}", "x".repeat(15_000));
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.api.stream_buffer_events = 4;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let mut slow = SlowReader::open(&stack, &f).await;
    let mut fast = Reader::open(&stack, &f, &stack.admin_token, 0).await;
    let sender = {
        let http = stack.http.clone();
        let url = stack.hook_url(&f.token);
        tokio::spawn(async move {
            for n in 1..=POSTS {
                let body = serde_json::json!({ "text": text(n) });
                let response = http.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 200, "message {n}");
            }
        })
    };

    // The slow reader reads nothing meanwhile: it holds nobody back.
    assert_eq!(
        fast.seqs_through(POSTS).await,
        (1..=POSTS).collect::<Vec<_>>()
    );
    sender.await.unwrap();

    // Then it reads: every seq once, in order, although it fell behind.
    assert_eq!(
        slow.seqs_through(POSTS).await,
        (1..=POSTS).collect::<Vec<_>>(),
        "a gap or a duplicate after falling behind"
    );
    assert!(
        api_metric(&stack, "inlet_api_stream_catch_ups_total").await >= 1.0,
        "the slow reader never fell behind the feed: the test proved nothing"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_goes_away_streams_end_and_resume_without_a_gap_once_it_is_back() {
    let mut redis = PrivateRedis::start().unwrap();
    let url = redis.url();
    let stack = TestStack::start_with(Services::ALL, |s| s.redis.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let admin = stack.admin_token.clone();
    let mut reader = Reader::open(&stack, &f, &admin, 0).await;
    for n in 1..=3 {
        send(&stack, &f, &format!("message {n}")).await;
    }
    assert_eq!(reader.seqs_through(3).await, vec![1, 2, 3]);

    redis.stop();
    while let Some(event) = reader.next_event().await {
        assert_eq!(posted_seq(&event), None, "{event}");
    }
    // While Redis is away a stream cannot go live: 503, retry later.
    assert_eq!(ask(&stack, &f, &admin, 3).await.status(), 503);
    for n in 4..=6 {
        send(&stack, &f, &format!("message {n}")).await;
    }

    redis.start_again().unwrap();
    let deadline = Instant::now() + WAIT;
    let mut resumed = loop {
        let response = ask(&stack, &f, &admin, 3).await;
        if response.status() == 200 {
            break Reader {
                response,
                buffer: String::new(),
            };
        }
        assert_eq!(response.status(), 503);
        assert!(Instant::now() < deadline, "no stream once Redis was back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(resumed.seqs_through(6).await, vec![4, 5, 6]);
    send(&stack, &f, "message 7").await;
    assert_eq!(resumed.seqs_through(7).await, vec![7], "live again");
    assert_eq!(subscribers(&stack, &topic(&stack, &f)).await, 1);
    stack.stop().await;
}
