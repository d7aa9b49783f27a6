//! Live listeners never hold the pipeline back (reliability.md, promise 6):
//! Redis pub/sub is fire-and-forget, so a subscriber that stops reading
//! costs the pipeline nothing, and a listener that drops off catches up
//! through the SSE stream with `Last-Event-ID`. Against a private Redis, so
//! the stalled subscriber's backlog never weighs on the machine's server.

use futures_util::StreamExt;
use inlet_testkit::oracle::assert_exactly;
use inlet_testkit::servers::PrivateRedis;
use inlet_testkit::{Fixture, TestStack};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinHandle;
use tokio::time::Instant;

const SENDERS: usize = 4;
const EACH: usize = 500;
const TOTAL: usize = SENDERS * EACH;
const WAIT: Duration = Duration::from_secs(45);

/// Makes each event a few kilobytes: the stalled subscriber's backlog
/// (about 7 MB) outgrows what the sockets' buffers absorb, yet stays under
/// Redis's default pub/sub output limit (8 MB), which would drop the client.
fn padding() -> String {
    "x".repeat(3_000)
}

async fn stack_on(redis: &PrivateRedis) -> TestStack {
    let url = redis.url();
    TestStack::start_with(inlet_testkit::Services::ALL, |s| s.redis.url = url)
        .await
        .unwrap()
}

fn topic(stack: &TestStack, f: &Fixture) -> String {
    inlet_redis::keys::channel_topic(&stack.settings.redis, &f.channel_id.parse().unwrap())
}

/// A raw connection that names itself `stalled`, subscribes to `topic` and
/// never reads again; its small receive buffer fills after a few events.
async fn stalled_subscriber(port: u16, topic: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4_096).unwrap();
    let mut stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let command = |parts: &[&str]| {
        let mut resp = format!("*{}\r\n", parts.len());
        for part in parts {
            resp.push_str(&format!("${}\r\n{part}\r\n", part.len()));
        }
        resp
    };
    let commands = command(&["CLIENT", "SETNAME", "stalled"]) + &command(&["SUBSCRIBE", topic]);
    stream.write_all(commands.as_bytes()).await.unwrap();
    stream
}

/// The `stalled` client's line of `CLIENT LIST`, once it has subscribed.
async fn stalled_client(redis: &PrivateRedis) -> Option<String> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut connection)
        .await
        .unwrap();
    list.lines()
        .find(|l| l.contains("name=stalled") && l.contains("sub=1"))
        .map(str::to_string)
}

/// A field of a `CLIENT LIST` line, as a number.
fn client_field(line: &str, field: &str) -> u64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {line}"))
}

/// A well-behaved subscriber: the seqs of every event it receives until it
/// has seen seq `TOTAL` (or the deadline passes).
async fn reading_subscriber(redis: &PrivateRedis, topic: &str) -> JoinHandle<BTreeSet<i64>> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(topic).await.unwrap();
    tokio::spawn(async move {
        let mut seqs = BTreeSet::new();
        let mut events = pubsub.on_message();
        let deadline = Instant::now() + WAIT;
        while !seqs.contains(&(TOTAL as i64)) {
            let Ok(Some(message)) = tokio::time::timeout_at(deadline, events.next()).await else {
                break;
            };
            let payload: String = message.get_payload().unwrap();
            let event: serde_json::Value = serde_json::from_str(&payload).unwrap();
            seqs.insert(event["seq"].as_i64().unwrap());
        }
        seqs
    })
}

/// `SENDERS` senders posting `EACH` padded messages each, concurrently;
/// ingress is not disturbed, so every one must get 200.
fn send_all(stack: &TestStack, f: &Fixture) -> Vec<JoinHandle<Vec<String>>> {
    (0..SENDERS)
        .map(|i| {
            let http = stack.http.clone();
            let url = stack.hook_url(&f.token);
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for n in 0..EACH {
                    let text = format!("sender{i}-{n}");
                    let body = json!({"text": text, "attachments": [{"text": padding()}]});
                    let response = http.post(&url).json(&body).send().await.unwrap();
                    assert_eq!(response.status(), 200, "{text}");
                    accepted.push(text);
                }
                accepted
            })
        })
        .collect()
}

async fn join_all(senders: Vec<JoinHandle<Vec<String>>>) -> Vec<String> {
    let mut accepted = Vec::new();
    for sender in senders {
        accepted.extend(sender.await.unwrap());
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_never_holds_the_pipeline_back() {
    let redis = PrivateRedis::start().unwrap();
    let stack = stack_on(&redis).await;
    let f = stack.fixture().await.unwrap();
    let topic = topic(&stack, &f);
    let _stalled = stalled_subscriber(redis.port, &topic).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while stalled_client(&redis).await.is_none() {
        assert!(
            Instant::now() < deadline,
            "the stalled subscriber never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reader = reading_subscriber(&redis, &topic).await;

    let accepted = join_all(send_all(&stack, &f)).await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    let seqs = reader.await.unwrap();
    assert_eq!(
        seqs,
        (1..=TOTAL as i64).collect::<BTreeSet<_>>(),
        "the reading subscriber missed events"
    );
    // The stall was real: the stalled subscriber is still subscribed and
    // Redis holds events it could not write to its full socket.
    let stalled = stalled_client(&redis)
        .await
        .expect("the stalled subscriber was dropped");
    assert!(
        client_field(&stalled, "omem") > 0,
        "no backlog for the stalled subscriber: {stalled}"
    );
    stack.stop().await;
}

/// Reads Server-Sent Events and keeps the `id` (the seq) of each `posted`.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(stack: &TestStack, f: &Fixture, last_event_id: i64) -> Self {
        let response = stack
            .http
            .get(stack.api_url(&format!("/api/v1/channels/{}/events", f.channel_id)))
            .bearer_auth(&stack.admin_token)
            .header("last-event-id", last_event_id.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The seqs of the `posted` events, in arrival order, until one is at
    /// least `until`.
    async fn seqs_until(&mut self, until: i64) -> Vec<i64> {
        let deadline = Instant::now() + WAIT;
        let mut seqs = Vec::new();
        while seqs.last().is_none_or(|seq| *seq < until) {
            let Some(end) = self.buffer.find("\n\n") else {
                let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
                let Ok(Ok(Some(bytes))) = chunk else {
                    panic!("the stream ended after {} events", seqs.len());
                };
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
                continue;
            };
            let event: String = self.buffer.drain(..end + 2).collect();
            if event.lines().any(|l| l == "event: posted") {
                let id = event.lines().find_map(|l| l.strip_prefix("id: "));
                seqs.push(
                    id.and_then(|id| id.parse().ok())
                        .expect("posted without id"),
                );
            }
        }
        seqs
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_drops_off_mid_stream_resumes_from_last_event_id_without_a_gap() {
    let redis = PrivateRedis::start().unwrap();
    let stack = stack_on(&redis).await;
    let f = stack.fixture().await.unwrap();
    // The stalled subscriber is there too: a slow listener and a dropped
    // one at the same time.
    let _stalled = stalled_subscriber(redis.port, &topic(&stack, &f)).await;
    let mut first = EventStream::open(&stack, &f, 0).await;
    let senders = send_all(&stack, &f);

    let before = first.seqs_until(TOTAL as i64 / 4).await;
    drop(first);
    assert!(
        senders.iter().any(|s| !s.is_finished()),
        "the listener must drop off while posts still arrive"
    );
    let last = *before.last().unwrap();
    assert_eq!(before, (1..=last).collect::<Vec<_>>(), "before the drop");

    let mut resumed = EventStream::open(&stack, &f, last).await;
    let after = resumed.seqs_until(TOTAL as i64).await;
    assert_eq!(
        after,
        (last + 1..=TOTAL as i64).collect::<Vec<_>>(),
        "a gap or a duplicate at the resume"
    );
    let accepted = join_all(senders).await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}
