//! Dead letters through the API: a message the formatter cannot place is
//! listed with its reason and its request (never the token), replayed once
//! its cause is fixed (posted exactly once), or discarded; the archiver
//! turns what the broker's delivery limit gave up on into dead letters. A
//! message in flight when its webhook's owner leaves the webhook's private
//! channel is one of them.

use inlet_proto::Message;
use inlet_testkit::{Fixture, Services, TestStack, eventually};
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

const FORMATTER_ONLY: Services = Services {
    ingress: false,
    formatter: true,
    delivery: false,
    api: false,
};

/// `method` on one dead letter (`action` after its path: `/replay`, or
/// nothing).
async fn letter(stack: &TestStack, method: Method, id: &str, action: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/dead-letters/{id}{action}");
    stack.api_request(method, &path, None).await
}

/// Sends until ingress answers `expected` (its directory cache follows
/// membership changes within moments).
async fn send_until(stack: &TestStack, f: &Fixture, text: &str, expected: u16) {
    let body = json!({"text": text, "channel": "secret"}).to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = stack.slack_status(&f.token, &body).await;
        if status == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn open_letters(stack: &TestStack) -> Vec<Value> {
    let (status, body) = stack
        .api_request(Method::GET, "/api/v1/dead-letters", None)
        .await;
    assert_eq!(status, 200);
    body["dead_letters"].as_array().cloned().unwrap_or_default()
}

async fn wait_for_letters(stack: &TestStack, count: usize) -> Vec<Value> {
    eventually(&format!("{count} open dead letters"), WAIT, || async {
        let letters = open_letters(stack).await;
        match letters.len() >= count {
            true => Ok(letters),
            false => Err(format!("{} of them", letters.len())),
        }
    })
    .await
}

/// A message accepted while the owner was a member of the private channel,
/// formatted after they were removed: the formatter dead-letters it.
async fn dead_letter_one(stack: &mut TestStack, f: &Fixture, secret: &str, text: &str) {
    stack.set_membership(secret, &f.owner_id, true).await;
    stack.stop_service("formatter").await;
    send_until(stack, f, text, 200).await;
    stack.set_membership(secret, &f.owner_id, false).await;
    stack.spawn(FORMATTER_ONLY).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_shown_replayed_once_fixed_and_discarded() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let secret = stack
        .create_channel(&f.team_id, json!({"name": "secret", "private": true}))
        .await;

    dead_letter_one(&mut stack, &f, &secret, "inside").await;
    let letters = wait_for_letters(&stack, 1).await;
    assert_eq!(letters.len(), 1);
    let first = letters[0]["id"].as_str().unwrap().to_string();
    assert_eq!(letters[0]["stage"], "formatter");
    assert_eq!(letters[0]["reason"], "action_prohibited", "{}", letters[0]);

    // Shown with its request, never with the token.
    let (status, shown) = letter(&stack, Method::GET, &first, "").await;
    assert_eq!(status, 200);
    assert_eq!(shown["state"], "open");
    assert!(
        shown["message"]["body"]
            .as_str()
            .unwrap()
            .contains("inside")
    );
    assert!(!shown.to_string().contains(&f.token), "the token leaked");

    // Replayed before the cause is fixed: dead-lettered again, as a new one.
    let (status, replayed) = letter(&stack, Method::POST, &first, "/replay").await;
    assert_eq!(status, 200, "{replayed}");
    assert_eq!(replayed["hop"], "raw");
    let (status, _) = letter(&stack, Method::POST, &first, "/replay").await;
    assert_eq!(status, 409, "a dead letter is replayed once");
    let letters = wait_for_letters(&stack, 1).await;
    let second = letters[0]["id"].as_str().unwrap().to_string();
    assert_ne!(second, first);

    // Fixed, then replayed: posted, exactly once.
    stack.set_membership(&secret, &f.owner_id, true).await;
    let (status, _) = letter(&stack, Method::POST, &second, "/replay").await;
    assert_eq!(status, 200);
    let posts = stack.wait_for_posts(&secret, 1, WAIT).await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message, "inside");
    assert!(open_letters(&stack).await.is_empty());

    // Another one, discarded.
    dead_letter_one(&mut stack, &f, &secret, "discard me").await;
    let letters = wait_for_letters(&stack, 1).await;
    let third = letters[0]["id"].as_str().unwrap().to_string();
    let (status, _) = letter(&stack, Method::DELETE, &third, "").await;
    assert_eq!(status, 204);
    let (status, _) = letter(&stack, Method::DELETE, &third, "").await;
    assert_eq!(status, 409);
    let (_, shown) = letter(&stack, Method::GET, &third, "").await;
    assert_eq!(shown["state"], "discarded");
    assert!(open_letters(&stack).await.is_empty());
    let unknown = uuid::Uuid::now_v7().to_string();
    let (status, _) = letter(&stack, Method::GET, &unknown, "").await;
    assert_eq!(status, 404);

    // Nothing else was posted: the discarded one stays unposted.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = stack.posts_of(&secret).await;
    assert_eq!(posts.len(), 1);
    stack.stop().await;
}

/// The raw hop's shard queues: messages waiting, and consumers registered
/// (active or standing by), summed over the shards.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RawQueues {
    messages: u32,
    consumers: u32,
}

async fn raw_queues(stack: &TestStack) -> RawQueues {
    let topology = inlet_bus::Topology::new(&stack.settings.amqp);
    let connection = inlet_bus::connect(&stack.settings.amqp.url, "test")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let mut counted = RawQueues {
        messages: 0,
        consumers: 0,
    };
    for shard in 0..topology.shards {
        let queue = topology.queue(inlet_bus::Hop::Raw, shard);
        let declared = channel
            .queue_declare(queue.as_str().into(), passive, FieldTable::default())
            .await
            .unwrap();
        counted.messages += declared.message_count();
        counted.consumers += declared.consumer_count();
    }
    let _ = connection.close(200, "counted".into()).await;
    counted
}

/// Waits until the raw queues hold what `wanted` accepts, failing with what
/// they held last after `what` did not happen within 10 s.
async fn wait_for_raw(stack: &TestStack, what: &str, wanted: impl Fn(RawQueues) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let counted = raw_queues(stack).await;
        if wanted(counted) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within 10 s; the raw queues hold {counted:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The owner leaves the webhook's own private channel while a message is
/// in flight: the formatter (whose check is authoritative) dead-letters it
/// as `action_prohibited`, the waiting sender gets 403 with the dead
/// letter's id, and a replay once the owner is back posts it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_in_flight_when_the_owner_leaves_the_webhooks_private_channel_is_dead_lettered() {
    inlet_testkit::log_capture::install();
    let mut stack = TestStack::start_with(Services::ALL, |s| s.ingress.wait_timeout_ms = 25_000)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let secret = stack
        .create_channel(&f.team_id, json!({"name": "secret", "private": true}))
        .await;
    stack.set_membership(&secret, &f.owner_id, true).await;
    let hook = stack.create_webhook(&secret, &f.owner_id).await;
    let token = hook["token"].as_str().unwrap();

    stack.stop_service("formatter").await;
    // Single active consumer: a consumer of the stopped formatter still
    // registered would hold the shard, and the new one would stand by.
    wait_for_raw(&stack, "the stopped formatter's consumers are gone", |q| {
        q.consumers == 0
    })
    .await;
    let waiting = {
        let request = stack
            .http
            .post(stack.ingress_url(&format!("/hooks/{token}?wait=true")))
            .header("content-type", "application/json")
            .body(r#"{"text":"in flight"}"#);
        tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        })
    };
    wait_for_raw(&stack, "the message is accepted", |q| q.messages > 0).await;
    stack.set_membership(&secret, &f.owner_id, false).await;
    stack.spawn(FORMATTER_ONLY).await.unwrap();

    let (status, verdict) = waiting.await.unwrap();
    if status != 403 {
        // What the services said, for the record of a failure.
        let log = inlet_testkit::log_capture::captured();
        let said: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("inlet_") && !l.contains("\"level\":\"DEBUG\""))
            .collect();
        eprintln!("{}", said.join("\n"));
        eprintln!("raw queues now: {:?}", raw_queues(&stack).await);
    }
    assert_eq!(status, 403, "{verdict}");
    assert_eq!(verdict["error"], "action_prohibited", "{verdict}");
    let letters = wait_for_letters(&stack, 1).await;
    assert_eq!(letters[0]["reason"], "action_prohibited");
    assert_eq!(letters[0]["id"], verdict["dead_letter_id"], "{verdict}");
    assert!(stack.posts_of(&secret).await.is_empty());

    stack.set_membership(&secret, &f.owner_id, true).await;
    let id = letters[0]["id"].as_str().unwrap();
    let (status, _) = letter(&stack, Method::POST, id, "/replay").await;
    assert_eq!(status, 200);
    let posts = stack.wait_for_posts(&secret, 1, WAIT).await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message, "in flight");
    assert!(open_letters(&stack).await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_broker_gives_up_on_is_archived_and_replayable() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    // A raw webhook as ingress makes it, dead-lettered by the broker after
    // its delivery limit (what RabbitMQ adds: the x-first-death-* headers).
    let raw = f.raw_webhook("came back");
    let message_id: uuid::Uuid = raw.message_id.parse().unwrap();
    let topology = inlet_bus::Topology::new(&stack.settings.amqp);
    let connection = inlet_bus::connect(&stack.settings.amqp.url, "test")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let headers = stack.first_death_headers(inlet_bus::Hop::Raw, 1);
    channel
        .basic_publish(
            topology.dead_letter_exchange().into(),
            "".into(),
            BasicPublishOptions::default(),
            &raw.encode_to_vec(),
            lapin::BasicProperties::default()
                .with_message_id(message_id.to_string().into())
                .with_headers(headers),
        )
        .await
        .unwrap()
        .await
        .unwrap();

    let letters = wait_for_letters(&stack, 1).await;
    assert_eq!(letters[0]["reason"], "delivery_limit");
    assert_eq!(letters[0]["stage"], "formatter");
    assert_eq!(letters[0]["message_id"], message_id.to_string());
    let id = letters[0]["id"].as_str().unwrap().to_string();
    let (status, _) = letter(&stack, Method::POST, &id, "/replay").await;
    assert_eq!(status, 200);
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(posts[0].message, "came back");
    assert_eq!(posts[0].message_id, message_id);
    stack.stop().await;
}
