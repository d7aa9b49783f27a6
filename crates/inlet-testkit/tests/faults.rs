//! Fault tests (reliability.md, F1, F2, F5, F6) against private RabbitMQ,
//! PostgreSQL and Redis instances that the tests stop and start; the
//! machine's shared servers are never touched. Each ends with the oracle:
//! the channel's posts are exactly the messages that got a 2xx, once each,
//! in the order each sender sent them, with seq 1..n.

use inlet_testkit::oracle;
use inlet_testkit::servers::{PrivatePostgres, PrivateRabbit, PrivateRedis};
use inlet_testkit::{Fixture, Services, TestDatabase, TestStack};
use std::time::Duration;

/// Sends one Slack message to the stack's ingress; `Some((status,
/// Retry-After))`, or `None` when ingress could not be reached.
async fn send(
    stack: &TestStack,
    f: &Fixture,
    text: &str,
    idempotency_key: Option<&str>,
) -> Option<(u16, Option<String>)> {
    oracle::send(
        &stack.http,
        stack.ingress_port,
        &f.token,
        text,
        idempotency_key,
    )
    .await
    .map(|answer| (answer.status, answer.retry_after))
}

/// The oracle (`inlet_testkit::oracle::assert_exactly`) on the fixture's channel.
async fn assert_exactly(stack: &TestStack, f: &Fixture, accepted: &[String]) {
    oracle::assert_exactly(stack, &f.channel_id, accepted).await;
}

async fn ready_status(stack: &TestStack, service: &str) -> u16 {
    let port = stack.ops_ports[service];
    match stack
        .http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

async fn eventually_ready_status(stack: &TestStack, service: &str, expected: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = ready_status(stack, service).await;
        if status == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{service} /readyz is {status}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// F1: the broker stopped: 503 with Retry-After and readyz 503; when it is
/// back, posts flow again without restarting anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f1_broker_down_answers_503_then_recovers_without_a_restart() {
    let rabbit = PrivateRabbit::start().unwrap();
    let url = rabbit.url();
    let stack = TestStack::start_with(Services::ALL, |s| s.amqp.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let mut accepted = Vec::new();
    assert_eq!(
        send(&stack, &f, "before", None).await.map(|r| r.0),
        Some(200)
    );
    accepted.push("before".to_string());

    rabbit.stop().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    loop {
        n += 1;
        let text = format!("during-{n}");
        let (status, retry_after) = send(&stack, &f, &text, None).await.unwrap();
        if status == 200 {
            accepted.push(text);
        } else {
            assert_eq!(status, 503);
            assert!(retry_after.is_some(), "503 without Retry-After");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still 200 with the broker down"
        );
    }
    eventually_ready_status(&stack, "ingress", 503).await;

    rabbit.start_again().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let text = format!("after-{n}");
        n += 1;
        if let Some((200, _)) = send(&stack, &f, &text, None).await {
            accepted.push(text);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recovery after the broker returned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eventually_ready_status(&stack, "ingress", 200).await;
    assert_exactly(&stack, &f, &accepted).await;
    stack.stop().await;
}

/// F2: the broker restarted while four senders stream messages; a sender
/// retries a refused message with the same Idempotency-Key. Every accepted
/// message is posted once, each sender's in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_broker_restart_mid_stream_loses_and_doubles_nothing() {
    let rabbit = PrivateRabbit::start().unwrap();
    let url = rabbit.url();
    let stack = std::sync::Arc::new(
        TestStack::start_with(Services::ALL, |s| s.amqp.url = url)
            .await
            .unwrap(),
    );
    let f = stack.fixture().await.unwrap();
    const SENDERS: usize = 4;
    const EACH: usize = 150;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let stack = stack.clone();
        let f = f.clone();
        senders.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            for n in 0..EACH {
                let text = format!("sender{i}-{n}");
                let key = format!("key-{i}-{n}");
                let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
                loop {
                    match send(&stack, &f, &text, Some(&key)).await {
                        Some((200, _)) => {
                            accepted.push(text);
                            break;
                        }
                        _ => {
                            assert!(
                                tokio::time::Instant::now() < deadline,
                                "{text} never accepted"
                            );
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            accepted
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    rabbit.stop().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    rabbit.start_again().unwrap();
    let mut accepted = Vec::new();
    for sender in senders {
        accepted.extend(sender.await.unwrap());
    }
    assert_eq!(accepted.len(), SENDERS * EACH);
    assert_exactly(&stack, &f, &accepted).await;
    if let Ok(stack) = std::sync::Arc::try_unwrap(stack) {
        stack.stop().await;
    }
}

/// F5: PostgreSQL stopped mid-stream: workers pause (readyz 503), ingress
/// answers 503 (never 404) for a token it has not cached, and everything
/// accepted is posted once PostgreSQL is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f5_database_down_pauses_the_pipeline_and_loses_nothing() {
    let postgres = PrivatePostgres::start().unwrap();
    let database = TestDatabase::create_on(&postgres.admin_url())
        .await
        .unwrap();
    let url = database.url.clone();
    let stack = TestStack::start_with(Services::ALL, |s| s.database.url = url)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let unused = stack.fixture().await.unwrap();
    let mut accepted = Vec::new();
    for n in 0..100 {
        let text = format!("sender-{n}");
        assert_eq!(send(&stack, &f, &text, None).await.map(|r| r.0), Some(200));
        accepted.push(text);
    }
    postgres.stop().unwrap();
    eventually_ready_status(&stack, "delivery", 503).await;
    // The other webhook's token was never used: not cached, so no answer
    // but 503 is honest.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, retry_after) = send(&stack, &unused, "nobody", None).await.unwrap();
    assert_eq!(status, 503);
    assert!(retry_after.is_some());
    tokio::time::sleep(Duration::from_secs(2)).await;
    postgres.start_again().unwrap();
    eventually_ready_status(&stack, "delivery", 200).await;
    assert_exactly(&stack, &f, &accepted).await;
    stack.stop().await;
    drop(database);
}

/// F6: Redis stopped: posts are still accepted (the rate limiter fails
/// open) and stored; once Redis is back the outbox relay publishes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f6_redis_down_stores_posts_and_the_outbox_publishes_them_later() {
    let mut redis = PrivateRedis::start().unwrap();
    let url = redis.url();
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.redis.url = url;
        s.ingress.rate_per_minute = 1_000_000;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    redis.stop();
    let mut accepted = Vec::new();
    for n in 0..30 {
        let text = format!("sender-{n}");
        assert_eq!(send(&stack, &f, &text, None).await.map(|r| r.0), Some(200));
        accepted.push(text);
    }
    assert_exactly(&stack, &f, &accepted).await;
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    assert!(
        stack.published_seq(channel).await.unwrap() < 30,
        "published with Redis down?"
    );
    let metrics = stack.metrics("ingress").await.unwrap();
    let errors: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("inlet_ingress_rate_limiter_errors_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(errors >= 30.0, "rate checks without Redis: {errors}");

    redis.start_again().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stack.published_seq(channel).await.unwrap() < 30 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stack.stop().await;
}
