//! Faults inside the pipeline that only restart Inlet's own services, so
//! they run against the machine's shared servers (each test has its own
//! database and prefixes): F7, poison isolated to its message while its
//! shard moves on, and F8, a rolling restart of every service under load.

use inlet_testkit::oracle::{Senders, assert_exactly};
use inlet_testkit::{Fixture, Services, TestStack};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Only the named service.
fn only(service: &str) -> Services {
    Services {
        ingress: service == "ingress",
        formatter: service == "formatter",
        delivery: service == "delivery",
        api: service == "api",
    }
}

/// A second channel of `f`'s team whose messages share `f`'s channel's raw
/// shard, and a webhook on it: channels are created until one hashes there.
async fn same_shard_neighbour(stack: &TestStack, f: &Fixture) -> Fixture {
    let shards = stack.settings.amqp.shards;
    let shard = inlet_core::shard_of(&f.channel_id, shards);
    for n in 0..64 {
        let channel_id = stack
            .create_channel(&f.team_id, json!({"name": format!("neighbour-{n}")}))
            .await;
        if inlet_core::shard_of(&channel_id, shards) != shard {
            continue;
        }
        let hook = stack
            .api_post(
                "/api/v1/webhooks",
                json!({"channel_id": channel_id, "owner_id": f.owner_id, "display_name": "CI"}),
            )
            .await
            .unwrap();
        return Fixture {
            channel_id,
            webhook_id: hook["id"].as_str().unwrap().to_string(),
            token: hook["token"].as_str().unwrap().to_string(),
            ..f.clone()
        };
    }
    panic!("no channel out of 64 hashed to shard {shard}");
}

/// Sends `text`, expects 200, and returns the message id ingress gave it.
async fn accepted_id(stack: &TestStack, token: &str, text: &str) -> String {
    let response = stack
        .post_slack(token, &json!({ "text": text }).to_string())
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{text}");
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string()
}

async fn open_dead_letters(stack: &TestStack) -> Vec<Value> {
    let response = stack
        .http
        .get(stack.api_url("/api/v1/dead-letters"))
        .bearer_auth(&stack.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["dead_letters"].as_array().cloned().unwrap_or_default()
}

/// F7: three messages accepted for a channel that is archived before the
/// formatter gets to them are dead-lettered with `channel_is_archived`; the
/// messages queued behind them on the same shard, for another channel, are
/// posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_to_a_channel_archived_in_flight_are_dead_lettered_and_their_shard_moves_on() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let neighbour = same_shard_neighbour(&stack, &f).await;

    // Hold the raw shard queue: the formatter sees everything only later.
    stack.stop_service("formatter").await;
    let mut doomed = BTreeSet::new();
    for n in 0..3 {
        doomed.insert(accepted_id(&stack, &f.token, &format!("doomed-{n}")).await);
    }
    stack.archive_channel(&f.channel_id).await;
    let mut accepted = Vec::new();
    for n in 0..3 {
        let text = format!("sender0-{n}");
        accepted_id(&stack, &neighbour.token, &text).await;
        accepted.push(text);
    }
    stack.spawn(only("formatter")).await.unwrap();

    // Queued after the poison on the same shard, and posted all the same.
    assert_exactly(&stack, &neighbour.channel_id, &accepted).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let letters = loop {
        let letters = open_dead_letters(&stack).await;
        if letters.len() >= doomed.len() {
            break letters;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} dead letters",
            letters.len(),
            doomed.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let letter_ids: BTreeSet<String> = letters
        .iter()
        .map(|l| l["message_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        letter_ids, doomed,
        "exactly the archived channel's messages"
    );
    for letter in &letters {
        assert_eq!(letter["reason"], "channel_is_archived", "{letter}");
        assert_eq!(letter["stage"], "formatter", "{letter}");
    }
    let archived_posts = stack.posts(f.channel_id.parse().unwrap()).await.unwrap();
    assert!(archived_posts.is_empty(), "posted into an archived channel");
    stack.stop().await;
}

/// F8: four senders stream (retrying refusals with their Idempotency-Key,
/// following ingress to its new port) while every service is stopped
/// gracefully, as SIGTERM does, and started again, one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_every_service_under_load_loses_and_doubles_nothing() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let port = Arc::new(AtomicU16::new(stack.ingress_port));
    let senders = Senders::start(stack.http.clone(), port.clone(), &f.token, 4);
    senders.wait_for_progress(50, Duration::from_secs(20)).await;

    for service in ["ingress", "formatter", "delivery", "api"] {
        stack.stop_service(service).await;
        stack.spawn(only(service)).await.unwrap();
        if service == "ingress" {
            // The new ingress listens on another port; senders follow.
            port.store(stack.ingress_port, Ordering::Relaxed);
        }
        // The stream goes on through the new instance before the next restart.
        senders.wait_for_progress(50, Duration::from_secs(30)).await;
    }
    let accepted = senders.finish().await;
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    // The restarted API serves what was posted meanwhile.
    let response = stack
        .http
        .get(stack.api_url(&format!("/api/v1/channels/{}", f.channel_id)))
        .bearer_auth(&stack.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let channel: Value = response.json().await.unwrap();
    assert_eq!(channel["last_seq"], accepted.len() as i64);
    stack.stop().await;
}
