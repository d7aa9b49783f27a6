//! `Idempotency-Key` claims (decisions.md 13, 76) on the real Redis: a
//! claim is pending until its publish is confirmed; a repeat of a young
//! pending claim is told to retry, a repeat of a stale one (its ingress
//! died before the broker's confirm) takes it over under the first message
//! id, a repeat of a confirmed one gets the first verdict; nothing is
//! posted twice.

use inlet_core::MessageId;
use inlet_core::settings::RedisSettings;
use inlet_redis::RedisConnection;
use inlet_redis::idempotency::{self, Claimed, Settlement};
use inlet_testkit::TestStack;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A Redis connection and settings with a prefix of this test's own.
fn redis() -> (RedisConnection, RedisSettings) {
    let settings = RedisSettings {
        url: inlet_testkit::redis_url(),
        prefix: format!("t{}:", inlet_testkit::unique_tag()),
        ..RedisSettings::default()
    };
    (inlet_redis::manager(&settings).unwrap(), settings)
}

/// Claims `key` for a new message id with `stale_after`; the id and what
/// the claim found.
async fn claim(
    (redis, settings): &(RedisConnection, RedisSettings),
    key: &str,
    stale_after: Duration,
) -> (String, Claimed) {
    let id = MessageId::new().to_string();
    let claimed = idempotency::claim(redis, settings, "hook", key, &id, stale_after)
        .await
        .unwrap();
    (id, claimed)
}

/// Ends the claim of `key` by `message_id` as `settlement` says.
async fn settle(
    (redis, settings): &(RedisConnection, RedisSettings),
    key: &str,
    message_id: &str,
    settlement: Settlement,
) {
    idempotency::settle(redis, settings, "hook", key, message_id, settlement).await;
}

/// The record of `key` as ingress `webhook_id` keeps it.
async fn record(
    (redis, settings): &(RedisConnection, RedisSettings),
    webhook_id: &str,
    key: &str,
) -> serde_json::Value {
    let mut redis = redis.clone();
    let stored: String = redis::cmd("GET")
        .arg(inlet_redis::keys::idempotency(settings, webhook_id, key))
        .query_async(&mut redis)
        .await
        .unwrap();
    serde_json::from_str(&stored).unwrap()
}

/// Writes `key`'s record as a pending claim of `message_id` made
/// `age_ms` ago by an ingress that then died.
async fn plant_pending(
    (redis, settings): &(RedisConnection, RedisSettings),
    webhook_id: &str,
    key: &str,
    message_id: &str,
    age_ms: u64,
) {
    let mut redis = redis.clone();
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(&mut redis).await.unwrap();
    let now_ms = secs * 1000 + micros / 1000;
    let record = serde_json::json!({
        "message_id": message_id,
        "state": "pending",
        "claimed_at_ms": now_ms - age_ms,
    });
    let () = redis::cmd("SET")
        .arg(inlet_redis::keys::idempotency(settings, webhook_id, key))
        .arg(record.to_string())
        .arg("EX")
        .arg(60)
        .query_async(&mut redis)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_pending_claim_is_refused_until_stale_then_taken_over_once() {
    let redis = redis();
    let stale_after = Duration::from_millis(300);
    let (first, claimed) = claim(&redis, "k", stale_after).await;
    assert_eq!(claimed, Claimed::First);
    assert_eq!(record(&redis, "hook", "k").await["state"], "pending");

    // The first request's ingress is still within its publish.
    let (_, claimed) = claim(&redis, "k", stale_after).await;
    let Claimed::Pending {
        message_id,
        stale_in,
    } = claimed
    else {
        panic!("a young pending claim is not a repeat: {claimed:?}");
    };
    assert_eq!(message_id, first);
    assert!(
        stale_in <= stale_after && stale_in > Duration::ZERO,
        "{stale_in:?}"
    );

    // It never confirmed (it died): the next repeat takes the claim over,
    // under the first message id, and holds it anew.
    tokio::time::sleep(stale_after + Duration::from_millis(50)).await;
    let (_, claimed) = claim(&redis, "k", stale_after).await;
    assert_eq!(
        claimed,
        Claimed::TakenOver {
            message_id: first.clone()
        }
    );
    let (_, claimed) = claim(&redis, "k", stale_after).await;
    assert!(
        matches!(&claimed, Claimed::Pending { message_id, .. } if *message_id == first),
        "a claim just taken over is young again: {claimed:?}"
    );

    // Confirmed: every repeat is answered as the first.
    settle(&redis, "k", &first, Settlement::Confirm).await;
    let (_, claimed) = claim(&redis, "k", stale_after).await;
    assert_eq!(
        claimed,
        Claimed::Repeat {
            message_id: first,
            verdict: None
        }
    );
}

#[tokio::test]
async fn a_confirmed_claim_answers_the_first_verdict_and_confirming_never_clobbers_it() {
    let redis = redis();
    let (redis_connection, settings) = &redis;
    let long = Duration::from_secs(60);
    let (first, _) = claim(&redis, "k", long).await;
    // Another message's confirm leaves the claim pending.
    let other = MessageId::new().to_string();
    settle(&redis, "k", &other, Settlement::Confirm).await;
    assert_eq!(record(&redis, "hook", "k").await["state"], "pending");

    // Delivery stored the verdict before ingress confirmed: it stays.
    idempotency::remember(redis_connection, settings, "hook", "k", &first, b"verdict").await;
    settle(&redis, "k", &first, Settlement::Confirm).await;
    let (_, claimed) = claim(&redis, "k", long).await;
    assert_eq!(
        claimed,
        Claimed::Repeat {
            message_id: first,
            verdict: Some(b"verdict".to_vec())
        }
    );
}

#[tokio::test]
async fn an_abandoned_claim_is_taken_over_at_once_and_an_unreadable_one_claimed_anew() {
    let redis = redis();
    let (redis_connection, settings) = &redis;
    let long = Duration::from_secs(60);
    let (first, _) = claim(&redis, "k", long).await;
    settle(&redis, "k", &first, Settlement::Abandon).await;
    let (_, claimed) = claim(&redis, "k", long).await;
    assert_eq!(claimed, Claimed::TakenOver { message_id: first });

    let mut connection = redis_connection.clone();
    let () = redis::cmd("SET")
        .arg(inlet_redis::keys::idempotency(settings, "hook", "bad"))
        .arg("not json")
        .query_async(&mut connection)
        .await
        .unwrap();
    let (id, claimed) = claim(&redis, "bad", long).await;
    assert_eq!(claimed, Claimed::First);
    assert_eq!(record(&redis, "hook", "bad").await["message_id"], id);
}

/// Sends `text` to the stack's ingress with `key`; the status, the
/// `X-Request-Id` and the `Retry-After`.
async fn send(
    stack: &TestStack,
    token: &str,
    key: &str,
    text: &str,
) -> (u16, String, Option<String>) {
    let response = stack
        .http
        .post(stack.ingress_url(&format!("/hooks/{token}")))
        .header("Idempotency-Key", key)
        .json(&serde_json::json!({ "text": text }))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (id, retry_after) = (
        header("x-request-id").unwrap_or_default(),
        header("retry-after"),
    );
    (response.status().as_u16(), id, retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_of_a_request_left_unconfirmed_by_a_dead_ingress_is_posted_once() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let redis = (
        inlet_redis::manager(&stack.settings.redis).unwrap(),
        stack.settings.redis.clone(),
    );
    let first = MessageId::new().to_string();

    // An ingress claimed the key a moment ago and is (as far as anyone can
    // tell) still publishing: the retry is told to come back.
    plant_pending(&redis, &f.webhook_id, "k-1", &first, 0).await;
    let (status, _, retry_after) = send(&stack, &f.token, "k-1", "lost?").await;
    assert_eq!(status, 503);
    assert_eq!(retry_after.as_deref(), Some("2"));

    // It died: its claim is older than any publish takes. The retry
    // publishes under the first message id and is answered with it.
    plant_pending(&redis, &f.webhook_id, "k-1", &first, 60_000).await;
    let (status, id, _) = send(&stack, &f.token, "k-1", "lost?").await;
    assert_eq!((status, id.as_str()), (200, first.as_str()));
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(posts[0].message, "lost?");
    assert_eq!(posts[0].message_id.to_string(), first);

    // Confirmed now: a further retry is a repeat and posts nothing.
    let (status, id, _) = send(&stack, &f.token, "k-1", "lost?").await;
    assert_eq!((status, id.as_str()), (200, first.as_str()));
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"after"}"#).await,
        200
    );
    let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, ["lost?", "after"]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taking_over_a_claim_whose_publish_did_reach_the_broker_posts_nothing_twice() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let redis = (
        inlet_redis::manager(&stack.settings.redis).unwrap(),
        stack.settings.redis.clone(),
    );
    let (status, first, _) = send(&stack, &f.token, "k-2", "once").await;
    assert_eq!(status, 200);
    stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();

    // As if its ingress had died after the broker's confirm but before
    // marking the claim confirmed, and before any verdict was stored.
    plant_pending(&redis, &f.webhook_id, "k-2", &first, 60_000).await;
    let (status, id, _) = send(&stack, &f.token, "k-2", "once").await;
    assert_eq!((status, id.as_str()), (200, first.as_str()));
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"after"}"#).await,
        200
    );
    stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    // A moment for a late double to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = stack.posts_of(&f.channel_id).await;
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, ["once", "after"]);
    stack.stop().await;
}
