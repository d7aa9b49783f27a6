//! The fault tests' oracle (reliability.md, "The test matrix"): senders that
//! record which messages ingress accepted with a 2xx, and the check that a
//! channel's posts are exactly those messages, once each, in each sender's
//! order, with seq 1..n.
//!
//! Senders name their messages `sender<i>-<n>` so that the order of each
//! sender can be read back from the posts.

use crate::TestStack;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long the oracle waits for the accepted messages to be posted.
const POSTED_WITHIN: Duration = Duration::from_secs(45);

/// How long one message may keep being refused before its sender gives up
/// (and fails the test).
const ACCEPTED_WITHIN: Duration = Duration::from_secs(45);

/// What ingress answered one request: the status and its `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
}

/// Posts `{"text": text}` to a Slack hook on ingress at `port`, with an
/// `Idempotency-Key` when given. `None` when ingress could not be reached
/// (stopped, restarting, or no answer within 15 s).
pub async fn send(
    http: &reqwest::Client,
    port: u16,
    token: &str,
    text: &str,
    idempotency_key: Option<&str>,
) -> Option<Answer> {
    let mut request = http
        .post(format!("http://127.0.0.1:{port}/hooks/{token}"))
        .timeout(Duration::from_secs(15))
        .json(&json!({ "text": text }));
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.ok()?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Some(Answer {
        status: response.status().as_u16(),
        retry_after,
    })
}

/// When a fault was caused, and how many messages were accepted before it.
pub struct Fault {
    accepted_before: usize,
    at: std::time::Instant,
}

/// Concurrent senders streaming numbered messages until told to finish.
/// Each retries a refused message (any non-2xx, or no answer) with the same
/// `Idempotency-Key` until it is accepted, as a careful sender does; each
/// attempt goes to the port ingress listens on *now*, so a test can move
/// ingress (a restart binds a new port) under their feet.
pub struct Senders {
    finish: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    tasks: Vec<JoinHandle<Vec<String>>>,
}

impl Senders {
    /// Starts `count` senders on the webhook `token`.
    pub fn start(http: reqwest::Client, port: Arc<AtomicU16>, token: &str, count: usize) -> Self {
        Self::start_named(http, port, token, "sender", count)
    }

    /// [`Senders::start`] on the stack's ingress, for a test that does not
    /// move it.
    pub fn start_on(stack: &TestStack, token: &str, count: usize) -> Self {
        let port = Arc::new(AtomicU16::new(stack.ingress_port));
        Self::start(stack.http.clone(), port, token, count)
    }

    /// [`Senders::start_on`], returning once the stream is under way: 100
    /// messages accepted (fails the test after 30 s).
    pub async fn streaming(stack: &TestStack, token: &str, count: usize) -> Self {
        let senders = Self::start_on(stack, token, count);
        senders
            .wait_for_progress(100, Duration::from_secs(30))
            .await;
        senders
    }

    /// [`Senders::start`] with senders named `{name}0`, `{name}1`, …, so
    /// that several groups (e.g. one per ingress replica) can send to one
    /// channel side by side.
    pub fn start_named(
        http: reqwest::Client,
        port: Arc<AtomicU16>,
        token: &str,
        name: &str,
        count: usize,
    ) -> Self {
        let finish = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let tasks = (0..count)
            .map(|i| {
                let sender = Sender {
                    name: format!("{name}{i}"),
                    http: http.clone(),
                    port: port.clone(),
                    token: token.to_string(),
                    finish: finish.clone(),
                    accepted: accepted.clone(),
                };
                tokio::spawn(sender.run())
            })
            .collect();
        Self {
            finish,
            accepted,
            tasks,
        }
    }

    /// How many messages have been accepted so far, all senders together.
    pub fn accepted_so_far(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Waits until `more` messages beyond what is accepted now are
    /// accepted: the stream is under way (fails the test after `timeout`).
    pub async fn wait_for_progress(&self, more: usize, timeout: Duration) {
        let target = self.accepted_so_far() + more;
        let deadline = tokio::time::Instant::now() + timeout;
        while self.accepted_so_far() < target {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the senders made no progress: {} of {target} accepted",
                self.accepted_so_far()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Notes the moment of a fault about to be caused.
    pub fn fault(&self) -> Fault {
        Fault {
            accepted_before: self.accepted_so_far(),
            at: std::time::Instant::now(),
        }
    }

    /// After `fault`: waits until 100 more messages are accepted and every
    /// message accepted so far is posted in `channel_id`, so at least 100
    /// posts are of messages accepted after the fault and a backlog from
    /// before it cannot pass for recovery (fails the test, naming
    /// `fault_name`, when either takes over 45 s). Returns how long after
    /// the fault that was.
    pub async fn wait_for_recovery(
        &self,
        stack: &TestStack,
        channel_id: &str,
        fault: &Fault,
        fault_name: &str,
    ) -> Duration {
        let timeout = Duration::from_secs(45);
        self.wait_for_progress(100, timeout).await;
        let posted = self.accepted_so_far().max(fault.accepted_before + 100);
        stack
            .wait_for_posts(channel_id, posted, timeout)
            .await
            .unwrap_or_else(|error| panic!("posts stopped after {fault_name}: {error}"));
        fault.at.elapsed()
    }

    /// Lets each sender finish the message it is on, and returns every
    /// accepted message. A sender that gave up fails the test here.
    pub async fn finish(self) -> Vec<String> {
        self.finish.store(true, Ordering::Relaxed);
        let mut accepted = Vec::new();
        for task in self.tasks {
            match task.await {
                Ok(messages) => accepted.extend(messages),
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
        accepted
    }
}

struct Sender {
    name: String,
    http: reqwest::Client,
    port: Arc<AtomicU16>,
    token: String,
    finish: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
}

impl Sender {
    async fn run(self) -> Vec<String> {
        let mut accepted = Vec::new();
        let mut n = 0;
        while !self.finish.load(Ordering::Relaxed) {
            let text = format!("{}-{n}", self.name);
            self.send_until_accepted(&text).await;
            accepted.push(text);
            self.accepted.fetch_add(1, Ordering::Relaxed);
            n += 1;
            // A steady stream rather than a flood: faults land mid-stream.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        accepted
    }

    async fn send_until_accepted(&self, text: &str) {
        let key = format!("key-{text}");
        let deadline = tokio::time::Instant::now() + ACCEPTED_WITHIN;
        loop {
            let port = self.port.load(Ordering::Relaxed);
            let answer = send(&self.http, port, &self.token, text, Some(&key)).await;
            if answer
                .as_ref()
                .is_some_and(|a| (200..300).contains(&a.status))
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{text} never accepted; last answer {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The oracle: the channel's posts are exactly `accepted`, once each, with
/// seq 1..n, and each sender's messages (`<sender>-<n>`) in the order it
/// sent them.
pub async fn assert_exactly(stack: &TestStack, channel_id: &str, accepted: &[String]) {
    if let Err(error) = stack
        .wait_for_posts(channel_id, accepted.len(), POSTED_WITHIN)
        .await
    {
        let letters = dead_letters(stack).await;
        panic!("accepted messages missing: {error}; dead letters: {letters:?}");
    }
    // A moment for anything extra (a late duplicate) to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let channel = channel_id.parse().expect("channel ids are uuids");
    let posts = stack.posts(channel).await.expect("reading the posts");
    let messages: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    let unique: HashSet<&str> = messages.iter().copied().collect();
    assert_eq!(unique.len(), messages.len(), "a message was posted twice");
    let expected: HashSet<&str> = accepted.iter().map(String::as_str).collect();
    assert_eq!(
        expected.len(),
        accepted.len(),
        "the test accepted a text twice"
    );
    let missing: Vec<&&str> = expected.difference(&unique).collect();
    let extra: Vec<&&str> = unique.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "posts differ from the accepted messages: missing {missing:?}, extra {extra:?}"
    );
    let seqs: Vec<i64> = posts.iter().map(|p| p.seq).collect();
    assert_eq!(
        seqs,
        (1..=posts.len() as i64).collect::<Vec<_>>(),
        "seq has a gap"
    );
    assert_sender_order(&messages);
}

/// Each sender's messages appear in the order it sent them.
fn assert_sender_order(messages: &[&str]) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    for message in messages {
        if let Some((sender, n)) = message.rsplit_once('-')
            && let Ok(n) = n.parse::<u64>()
            && let Some(previous) = last.insert(sender, n)
        {
            assert!(previous < n, "{sender}: {n} posted after {previous}");
        }
    }
}

/// Every dead letter's stage, reason and detail: where a missing message
/// may have gone.
async fn dead_letters(stack: &TestStack) -> Vec<String> {
    let Ok(client) = stack.pool.get().await else {
        return Vec::new();
    };
    client
        .query("SELECT stage, reason, detail FROM dead_letters", &[])
        .await
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let (stage, reason, detail): (String, String, String) =
                        (r.get(0), r.get(1), r.get(2));
                    format!("{stage}/{reason}: {detail}")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_order_accepts_interleaved_senders() {
        assert_sender_order(&["a-0", "b-0", "a-1", "b-1", "a-2"]);
    }

    #[test]
    #[should_panic(expected = "a: 1 posted after 2")]
    fn sender_order_catches_a_reordering() {
        assert_sender_order(&["a-0", "a-2", "a-1"]);
    }
}
