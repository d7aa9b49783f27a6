//! Rate limits per webhook (GCRA in Redis): shared by every ingress
//! replica, 429 with Retry-After over the limit, other webhooks unaffected,
//! and the documented behaviour while Redis is unreachable.

use inlet_core::settings::RateLimitFallback;
use inlet_testkit::{Fixture, Services, TestStack};
use serde_json::json;

async fn set_rate(stack: &TestStack, f: &Fixture, per_minute: i32) {
    stack
        .patch_webhook(&f.webhook_id, json!({"rate_per_minute": per_minute}))
        .await;
}

async fn post(stack: &TestStack, port: u16, token: &str) -> reqwest::Response {
    stack
        .http
        .post(format!("http://127.0.0.1:{port}/hooks/{token}"))
        .json(&json!({"text": "tick"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_over_its_rate_gets_429_on_every_replica_and_others_do_not() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let other = stack.fixture().await.unwrap();
    // 6 per minute: a burst of 6 (the burst never exceeds the rate), then
    // one every 10 s.
    set_rate(&stack, &f, 6).await;
    // The token cache keeps a webhook's settings for at most 1 s.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;

    let first = stack.ingress_port;
    stack.spawn(Services::INGRESS).await.unwrap();
    let second = stack.ingress_port;
    assert_ne!(first, second);

    // The burst is shared: 3 through each replica.
    for port in [first, first, first, second, second, second] {
        assert_eq!(post(&stack, port, &f.token).await.status(), 200);
    }
    for port in [first, second] {
        let refused = post(&stack, port, &f.token).await;
        assert_eq!(refused.status(), 429);
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=10).contains(&retry_after), "Retry-After {retry_after}");
        assert_eq!(refused.text().await.unwrap(), "rate_limited");
    }
    // Another webhook (default: unlimited here) is unaffected.
    for _ in 0..20 {
        assert_eq!(post(&stack, first, &other.token).await.status(), 200);
    }
    // Only the accepted ones were posted.
    let posts = stack
        .wait_for_posts(&f.channel_id, 6, std::time::Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts.len(), 6);
    let metrics = stack.metrics("ingress").await.unwrap();
    assert!(
        metrics.contains("inlet_ingress_rejections_total{reason=\"rate_limited\"}"),
        "{metrics}"
    );
    stack.stop().await;
}

/// With a burst of 60, each replica reserves 7 cells per Redis call: the
/// replicas together still never admit more than the limit, and refuse at
/// most a chunk early each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_reserved_in_chunks_never_admit_more_than_the_limit() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    // 60 per minute: a burst of 60 (the default burst), then one a second.
    set_rate(&stack, &f, 60).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let first = stack.ingress_port;
    stack.spawn(Services::INGRESS).await.unwrap();
    let second = stack.ingress_port;

    let started = std::time::Instant::now();
    let mut accepted = 0;
    for n in 0..100 {
        // Unevenly: two through the first replica for each one through the second.
        let port = if n % 3 == 2 { second } else { first };
        match post(&stack, port, &f.token).await.status().as_u16() {
            200 => accepted += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    // One more cell refills each second the test ran.
    let refilled = started.elapsed().as_secs() + 1;
    assert!(
        accepted <= 60 + refilled,
        "{accepted} admitted: over the limit"
    );
    assert!(
        accepted >= 60 - 2 * 6,
        "{accepted} admitted: more than a chunk per replica refused early"
    );
    let posts = stack
        .wait_for_posts(
            &f.channel_id,
            accepted as usize,
            std::time::Duration::from_secs(15),
        )
        .await
        .unwrap();
    assert_eq!(posts.len(), accepted as usize);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_integration_endpoint_is_limited_too() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    set_rate(&stack, &f, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let url = stack.ingress_url(&format!("/api/v1/external/json?api_key={}", f.token));
    let first = stack
        .http
        .post(&url)
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = stack
        .http
        .post(&url)
        .json(&json!({"a": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 429);
    assert!(second.headers().contains_key("retry-after"));
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["result"], "error");
    assert_eq!(body["code"], "rate_limited");
    stack.stop().await;
}

/// Redis unreachable: `open` accepts and counts, `closed` answers 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_the_limiter_fails_open_or_closed_as_configured() {
    for fallback in [RateLimitFallback::Open, RateLimitFallback::Closed] {
        let stack = TestStack::start_with(Services::ALL, |s| {
            // Nothing listens there.
            s.redis.url = "redis://127.0.0.1:1/".into();
            s.ingress.rate_per_minute = 600;
            s.ingress.rate_limit_without_redis = fallback;
        })
        .await
        .unwrap();
        let f = stack.fixture().await.unwrap();
        let response = post(&stack, stack.ingress_port, &f.token).await;
        match fallback {
            RateLimitFallback::Open => {
                assert_eq!(response.status(), 200);
                let posts = stack
                    .wait_for_posts(&f.channel_id, 1, std::time::Duration::from_secs(15))
                    .await
                    .unwrap();
                assert_eq!(posts.len(), 1);
            }
            RateLimitFallback::Closed => {
                assert_eq!(response.status(), 503);
                assert!(response.headers().contains_key("retry-after"));
            }
        }
        let metrics = stack.metrics("ingress").await.unwrap();
        assert!(
            metrics.contains("inlet_ingress_rate_limiter_errors_total 1"),
            "{fallback:?}: {metrics}"
        );
        stack.stop().await;
    }
}

/// A request counts what it costs: its posts beyond the first are charged
/// to the webhook's rate, so one request that makes 5 posts spends 5 of a
/// burst of 6. Past `limits.max_posts_per_request` a Slack payload is 413
/// and posts nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_charged_one_cell_per_post_and_too_many_posts_is_413() {
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.limits.max_post_runes = 64;
        s.limits.max_posts_per_request = 5;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    set_rate(&stack, &f, 6).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let other = stack.fixture().await.unwrap();
    let send_to = |token: String, text: String| {
        stack
            .http
            .post(stack.ingress_url(&format!("/hooks/{token}")))
            .json(&json!({ "text": text }))
            .send()
    };
    let send = |text: String| send_to(f.token.clone(), text);
    // 6 parts of at most 64 characters: over the limit of 5, nothing posted.
    let too_many = send_to(other.token.clone(), "word ".repeat(70))
        .await
        .unwrap();
    assert_eq!(too_many.status(), 413);
    // 5 parts: admitted, and charged 5 cells of the burst of 6.
    let five = send("word ".repeat(60)).await.unwrap();
    assert_eq!(five.status(), 200);
    let statuses = [
        send("one".into()).await.unwrap().status().as_u16(),
        send("two".into()).await.unwrap().status().as_u16(),
    ];
    assert_eq!(statuses, [200, 429], "the five posts cost five cells");
    let posts = stack
        .wait_for_posts(&f.channel_id, 6, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(posts.len(), 6, "five parts and one");
    let channel = other.channel_id.parse().unwrap();
    assert!(stack.posts(channel).await.unwrap().is_empty());
    stack.stop().await;
}
