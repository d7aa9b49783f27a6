//! The spool (reliability promise 8) against a private RabbitMQ: with the
//! broker down, messages are written to disk and answered 2xx; they survive
//! an ingress restart and are posted, once each and in the order sent, when
//! the broker is back, ahead of what arrives after.

use inlet_testkit::servers::PrivateRabbit;
use inlet_testkit::{Services, TestStack};
use serde_json::json;
use std::time::Duration;

async fn send(stack: &TestStack, token: &str, text: &str) -> u16 {
    stack
        .http
        .post(stack.ingress_url(&format!("/hooks/{token}")))
        .timeout(Duration::from_secs(15))
        .json(&json!({ "text": text }))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn gauge(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_broker_down_messages_are_spooled_and_posted_in_order_after_a_restart() {
    let rabbit = PrivateRabbit::start().unwrap();
    let spool_dir = std::env::temp_dir().join(format!("inlet-spool-{}", uuid::Uuid::new_v4()));
    let url = rabbit.url();
    let dir = spool_dir.to_string_lossy().into_owned();
    let mut stack = TestStack::start_with(Services::ALL, |s| {
        s.amqp.url = url;
        s.ingress.spool_dir = dir;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let mut sent = Vec::new();
    for n in 0..3 {
        let text = format!("m-{n}");
        assert_eq!(send(&stack, &f.token, &text).await, 200);
        sent.push(text);
    }
    stack
        .wait_for_posts(&f.channel_id, 3, Duration::from_secs(15))
        .await
        .unwrap();

    rabbit.stop().unwrap();
    for n in 3..23 {
        let text = format!("m-{n}");
        assert_eq!(
            send(&stack, &f.token, &text).await,
            200,
            "{text} not accepted"
        );
        sent.push(text);
    }
    let metrics = stack.metrics("ingress").await.unwrap();
    assert_eq!(
        gauge(&metrics, "inlet_ingress_spool_messages"),
        20.0,
        "{metrics}"
    );
    let files = std::fs::read_dir(&spool_dir).unwrap().count();
    assert!(files >= 1, "nothing on disk");

    // A restart of ingress with the broker still down: the spool is read
    // again, and ingress is ready (a writable spool stands in for the broker).
    stack.stop_service("ingress").await;
    stack.spawn(Services::INGRESS).await.unwrap();
    let metrics = stack.metrics("ingress").await.unwrap();
    assert_eq!(gauge(&metrics, "inlet_ingress_spool_messages"), 20.0);
    for n in 23..26 {
        let text = format!("m-{n}");
        assert_eq!(send(&stack, &f.token, &text).await, 200);
        sent.push(text);
    }

    rabbit.start_again().unwrap();
    for n in 26..30 {
        let text = format!("m-{n}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while send(&stack, &f.token, &text).await != 200 {
            assert!(tokio::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        sent.push(text);
    }
    let posts = stack
        .wait_for_posts(&f.channel_id, sent.len(), Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts_now = stack.posts_of(&f.channel_id).await;
    assert_eq!(posts_now.len(), posts.len(), "more posts than messages");
    let messages: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        sent.iter().map(String::as_str).collect::<Vec<_>>(),
        "not in the order sent"
    );
    let seqs: Vec<i64> = posts.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, (1..=sent.len() as i64).collect::<Vec<_>>());
    let metrics = stack.metrics("ingress").await.unwrap();
    assert_eq!(gauge(&metrics, "inlet_ingress_spool_messages"), 0.0);
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&spool_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_the_broker_cannot_take_is_spooled_whole_and_posted_once_each() {
    let rabbit = PrivateRabbit::start().unwrap();
    let spool_dir = std::env::temp_dir().join(format!("inlet-spool-{}", uuid::Uuid::new_v4()));
    let url = rabbit.url();
    let dir = spool_dir.to_string_lossy().into_owned();
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.amqp.url = url;
        s.ingress.spool_dir = dir;
        // Webhooks queue behind one publish per shard: they leave together.
        s.ingress.publish_in_flight = 1;
        s.ingress.rate_per_minute = 0;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(send(&stack, &f.token, "before").await, 200);
    stack
        .wait_for_posts(&f.channel_id, 1, Duration::from_secs(15))
        .await
        .unwrap();

    rabbit.stop().unwrap();
    let burst = (0..40).map(|n| {
        let (stack, token) = (&stack, &f.token);
        async move { send(stack, token, &format!("burst-{n}")).await }
    });
    let statuses = futures_util::future::join_all(burst).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let metrics = stack.metrics("ingress").await.unwrap();
    assert_eq!(gauge(&metrics, "inlet_ingress_spool_messages"), 40.0);

    rabbit.start_again().unwrap();
    let posts = stack
        .wait_for_posts(&f.channel_id, 41, Duration::from_secs(60))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts_now = stack.posts_of(&f.channel_id).await;
    assert_eq!(posts_now.len(), 41, "more posts than messages");
    let mut messages: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages[0], "before");
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), 41, "a message posted twice");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&spool_dir);
}
