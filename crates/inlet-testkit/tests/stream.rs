//! The live stream's seams: a reader that connects with `Last-Event-ID`
//! while posts are being sent, or that reconnects after its connection was
//! cut, receives every seq exactly once and in order.

use inlet_testkit::proxy::TcpProxy;
use inlet_testkit::{Fixture, Services, TestStack};
use std::time::Duration;
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(30);

/// A stack whose API also accepts `read_token` (the viewer's kind of token).
async fn stack_with_read_token(read_token: &str) -> TestStack {
    let hash = inlet_core::TokenHash::of(read_token).to_hex();
    TestStack::start_with(Services::ALL, |s| {
        s.api.read_tokens = vec![format!("sha256:{hash}")];
    })
    .await
    .unwrap()
}

/// Sends `message 1` … `message {last}` (from `first`) one after the other, as one sender would.
async fn send_numbered(http: reqwest::Client, url: String, first: i64, last: i64) {
    for n in first..=last {
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "text": format!("message {n}") }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "message {n} refused");
        // Spread the sends so that readers connect while they are under way.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[derive(Debug)]
struct Event {
    kind: String,
    id: Option<String>,
    data: String,
}

/// Reads Server-Sent Events from a response, one at a time.
struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

impl EventReader {
    async fn connect(url: &str, token: &str, last_event_id: i64) -> Self {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .header("last-event-id", last_event_id.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {url}");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped); None when the stream ends, fails or the deadline passes.
    async fn next(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The `posted` events up to and including seq `last`: (seq, message).
    async fn posts_through(&mut self, last: i64) -> Vec<(i64, String)> {
        let deadline = Instant::now() + WAIT;
        let mut posts = Vec::new();
        while posts.last().is_none_or(|(seq, _)| *seq < last) {
            let Some(event) = self.next(deadline).await else {
                panic!("the stream stopped after {posts:?}");
            };
            if let Some(post) = posted(&event) {
                posts.push(post);
            }
        }
        posts
    }
}

fn parse_event(block: &str) -> Option<Event> {
    let mut event = Event {
        kind: "message".into(),
        id: None,
        data: String::new(),
    };
    let mut fields = 0;
    for line in block.lines().filter(|l| !l.starts_with(':')) {
        let (field, value) = line.split_once(": ").unwrap_or((line, ""));
        match field {
            "event" => event.kind = value.to_string(),
            "id" => event.id = Some(value.to_string()),
            "data" => event.data.push_str(value),
            _ => continue,
        }
        fields += 1;
    }
    (fields > 0).then_some(event)
}

/// A `posted` event as (seq, message); its `id` must be the post's seq.
fn posted(event: &Event) -> Option<(i64, String)> {
    if event.kind != "posted" {
        return None;
    }
    let post: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    let seq = post["seq"].as_i64().unwrap();
    assert_eq!(event.id.as_deref(), Some(seq.to_string().as_str()));
    Some((
        seq,
        post["message"].as_str().unwrap_or_default().to_string(),
    ))
}

fn events_url(stack: &TestStack, f: &Fixture) -> String {
    stack.api_url(&format!("/api/v1/channels/{}/events", f.channel_id))
}

/// Every post is numbered by its seq: the sender's order is the channel's.
fn assert_exactly(posts: &[(i64, String)], first: i64, last: i64) {
    let seqs: Vec<i64> = posts.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(
        seqs,
        (first..=last).collect::<Vec<_>>(),
        "a gap or a duplicate"
    );
    for (seq, message) in posts {
        assert_eq!(message, &format!("message {seq}"));
    }
}

/// Nothing more than heartbeats for a while: no late duplicate.
async fn assert_no_more_posts(reader: &mut EventReader) {
    let quiet = Instant::now() + Duration::from_secs(1);
    while let Some(event) = reader.next(quiet).await {
        assert!(posted(&event).is_none(), "an extra post: {event:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_resuming_while_posts_arrive_get_every_seq_once_in_order() {
    const TOTAL: i64 = 60;
    let read_token = format!("read-{}", inlet_testkit::unique_tag());
    let stack = stack_with_read_token(&read_token).await;
    let f = stack.fixture().await.unwrap();
    let sender = tokio::spawn(send_numbered(
        stack.http.clone(),
        stack.hook_url(&f.token),
        1,
        TOTAL,
    ));
    stack.wait_for_posts(&f.channel_id, 5, WAIT).await.unwrap();

    // One reader from the start, one from the middle of what is stored:
    // both replay from PostgreSQL while new posts go out live.
    let mut from_start = EventReader::connect(&events_url(&stack, &f), &read_token, 0).await;
    let mut from_three = EventReader::connect(&events_url(&stack, &f), &read_token, 3).await;
    let stored_at_connect = stack.posts_of(&f.channel_id).await.len();
    assert!(
        (stored_at_connect as i64) < TOTAL,
        "the sender was already done: the seam was not under way"
    );

    let ready = from_start.next(Instant::now() + WAIT).await.unwrap();
    assert_eq!(
        (ready.kind.as_str(), ready.id.as_deref()),
        ("ready", Some("0"))
    );
    assert_exactly(&from_start.posts_through(TOTAL).await, 1, TOTAL);
    assert_exactly(&from_three.posts_through(TOTAL).await, 4, TOTAL);
    sender.await.unwrap();
    assert_no_more_posts(&mut from_start).await;
    assert_no_more_posts(&mut from_three).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_cut_off_resumes_from_its_last_seq_without_gap_or_duplicate() {
    const TOTAL: i64 = 30;
    let read_token = format!("read-{}", inlet_testkit::unique_tag());
    let stack = stack_with_read_token(&read_token).await;
    let f = stack.fixture().await.unwrap();
    let proxy = TcpProxy::start(([127, 0, 0, 1], stack.api_port).into())
        .await
        .unwrap();
    let url = proxy.url(&format!("/api/v1/channels/{}/events", f.channel_id));
    let hook = stack.hook_url(&f.token);

    let mut reader = EventReader::connect(&url, &read_token, 0).await;
    send_numbered(stack.http.clone(), hook.clone(), 1, 10).await;
    let before = reader.posts_through(10).await;
    assert_exactly(&before, 1, 10);

    proxy.cut();
    assert!(
        reader.next(Instant::now() + WAIT).await.is_none(),
        "the cut ends the stream"
    );
    let refused = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&read_token)
        .send()
        .await;
    assert!(
        refused.is_err(),
        "no connection gets through while the link is cut"
    );
    send_numbered(stack.http.clone(), hook.clone(), 11, 20).await;
    proxy.restore();

    let mut resumed = EventReader::connect(&url, &read_token, 10).await;
    let sender = tokio::spawn(send_numbered(stack.http.clone(), hook, 21, TOTAL));
    assert_exactly(&resumed.posts_through(TOTAL).await, 11, TOTAL);
    sender.await.unwrap();
    assert_no_more_posts(&mut resumed).await;
    stack.stop().await;
}
