//! The pipeline end to end, against the real RabbitMQ, PostgreSQL and Redis:
//! each test has its own database, queue prefix and Redis prefix, and the
//! services run in-process on free ports.

use futures_util::StreamExt;
use inlet_testkit::{Services, TestStack, eventually};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_become_posts_with_gap_free_seq_in_receipt_order() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let mut request_ids = Vec::new();
    for i in 1..=5 {
        let response = stack
            .post_slack(
                &f.token,
                &json!({"text": format!("message {i}")}).to_string(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        request_ids.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string(),
        );
        assert_eq!(response.text().await.unwrap(), "ok");
    }
    let posts = stack.wait_for_posts(&f.channel_id, 5, WAIT).await.unwrap();
    assert_eq!(posts.len(), 5);
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(post.seq, i as i64 + 1);
        assert_eq!(post.message, format!("message {}", i + 1));
        assert_eq!(post.message_id.to_string(), request_ids[i]);
        assert_eq!(post.part, 0);
        assert_eq!(post.username, "CI");
        assert_eq!(post.props["from_webhook"], "true");
        assert_eq!(post.dialect, "slack");
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_post_is_published_on_redis_with_its_seq() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let client = redis::Client::open(stack.settings.redis.url.as_str()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    let topic = format!("{}channel:{}", stack.settings.redis.prefix, f.channel_id);
    pubsub.subscribe(&topic).await.unwrap();
    for text in ["first", "second"] {
        assert_eq!(
            stack
                .slack_status(&f.token, &json!({"text": text}).to_string())
                .await,
            200
        );
    }
    let mut events = pubsub.on_message();
    for (seq, text) in [(1, "first"), (2, "second")] {
        let message = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap()
            .unwrap();
        let event: Value = serde_json::from_str(&message.get_payload::<String>().unwrap()).unwrap();
        assert_eq!(event["type"], "posted");
        assert_eq!(event["seq"], seq);
        assert_eq!(event["post"]["seq"], seq);
        assert_eq!(event["post"]["message"], text);
        assert_eq!(event["post"]["channel_id"], f.channel_id.as_str());
    }
    drop(events);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_redelivered_after_its_commit_makes_no_second_post() {
    use inlet_bus::lapin::options::BasicNackOptions;
    use inlet_proto::Message;
    let no_delivery = Services {
        delivery: false,
        ..Services::ALL
    };
    let mut stack = TestStack::start_with(no_delivery, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    for i in 1..=3 {
        let body = json!({"text": format!("m{i}")}).to_string();
        assert_eq!(stack.slack_status(&f.token, &body).await, 200);
    }
    // Play a delivery that commits and dies before its ack: store, then nack.
    let mut set = stack
        .consume_hop(inlet_bus::Hop::Posts, "test-crashing-delivery")
        .await
        .unwrap();
    let mut committed = 0;
    while committed < 3 {
        let batch = tokio::time::timeout(WAIT, set.next_batch(16, Duration::from_millis(50)))
            .await
            .unwrap()
            .unwrap();
        for delivery in batch {
            let formatted =
                inlet_proto::v1::FormattedBatch::decode(delivery.data.as_slice()).unwrap();
            let messages: Vec<_> = formatted.messages.iter().map(to_message_posts).collect();
            let mut client = stack.pool.get().await.unwrap();
            let outcome = inlet_store::repo::posts::store_batch(&mut client, &messages)
                .await
                .unwrap();
            committed += outcome.stored.len();
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    multiple: false,
                })
                .await
                .unwrap();
        }
    }
    set.close().await;
    // The real delivery now receives the same messages again.
    stack.spawn(Services::DELIVERY).await.unwrap();
    eventually("three redeliveries counted as duplicates", WAIT, || async {
        let metrics = stack.metrics("delivery").await.unwrap();
        match metrics.contains("inlet_delivery_posts_total{outcome=\"duplicate\"} 3") {
            true => Ok(()),
            false => Err(metrics),
        }
    })
    .await;
    let posts = stack.posts_of(&f.channel_id).await;
    let seqs: Vec<i64> = posts.iter().map(|p| p.seq).collect();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(texts, vec!["m1", "m2", "m3"]);
    stack.stop().await;
}

fn to_message_posts(
    message: &inlet_proto::v1::FormattedMessage,
) -> inlet_store::repo::posts::MessagePosts {
    let posts = message
        .posts
        .iter()
        .map(|p| inlet_store::NewPost {
            id: p.post_id.parse().unwrap(),
            channel_id: p.channel_id.parse().unwrap(),
            root_id: None,
            thread_key: None,
            case_id: None,
            message: p.message.clone(),
            username: p.username.clone(),
            icon_url: None,
            props: serde_json::from_str(&p.props_json).unwrap(),
            webhook_id: p.webhook_id.parse().ok(),
            dialect: p.dialect.clone(),
            message_id: p.message_id.parse().unwrap(),
            part: p.part as i32,
            received_at: chrono::DateTime::from_timestamp_micros(p.received_at_micros).unwrap(),
        })
        .collect();
    inlet_store::repo::posts::MessagePosts {
        message_id: message.message_id.parse().unwrap(),
        posts,
        idempotency: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_gets_no_service_within_a_second() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"before"}"#).await,
        200
    );
    let revoked = stack
        .http
        .delete(stack.api_url(&format!("/api/v1/webhooks/{}", f.webhook_id)))
        .bearer_auth(&stack.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let revoked_at = std::time::Instant::now();
    let response = loop {
        let response = stack
            .post_slack(&f.token, r#"{"text":"after"}"#)
            .await
            .unwrap();
        if response.status() == 404 || revoked_at.elapsed() > Duration::from_secs(5) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        revoked_at.elapsed() < Duration::from_millis(2_000),
        "revocation took {:?}",
        revoked_at.elapsed()
    );
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "no_service");
    let unknown = stack
        .post_slack("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", r#"{"text":"x"}"#)
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.text().await.unwrap(),
        "no_service",
        "unknown and revoked look the same"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_and_publishes_nothing() {
    let stack = TestStack::start_with(Services::ALL, |s| s.ingress.max_body_bytes = 2048)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let big = json!({"text": "x".repeat(4096)}).to_string();
    let response = stack.post_slack(&f.token, &big).await.unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.text().await.unwrap(), "payload_too_large");
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"small"}"#).await,
        200
    );
    // The small one went through the same shard after the big one was refused.
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message, "small");
    assert_eq!(posts[0].seq, 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_gives_503_with_retry_after() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let mut settings = stack.settings.clone();
    settings.amqp.url = "amqp://guest:guest@127.0.0.1:1/%2f".into();
    let ingress = inlet_ingress::Ingress::build(settings).await.unwrap();
    let port = ingress.port;
    let cancel = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(ingress.run_until_stopped(cancel.clone()));
    let response = stack
        .http
        .post(format!("http://127.0.0.1:{port}/hooks/{}", f.token))
        .body(r#"{"text":"lost?"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.text().await.unwrap(), "service_unavailable");
    cancel.cancel();
    let _ = task.await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payloads_are_refused_synchronously_with_their_code() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let cases = [
        (r#"{"text":""}"#, 400, "no_text"),
        (r#"{"text":5}"#, 400, "invalid_payload"),
        ("not json", 400, "invalid_payload"),
        (
            r#"{"text":"x","channel":"nowhere"}"#,
            404,
            "channel_not_found",
        ),
    ];
    for (body, status, code) in cases {
        let response = stack.post_slack(&f.token, body).await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        assert!(
            response.headers().contains_key("x-inlet-error-detail"),
            "{body}"
        );
        assert_eq!(response.text().await.unwrap(), code, "{body}");
    }
    let json_answer = stack
        .post_hook(&f.token, &[("accept", "application/json")], r#"{"text":5}"#)
        .await;
    let body: Value = json_answer.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["error"], "invalid_payload");
    assert!(body["detail"].as_str().unwrap().contains("`text`"));
    // Nothing refused was posted: the next good one is seq 1.
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"good"}"#).await,
        200
    );
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(
        (posts.len(), posts[0].seq, posts[0].message.as_str()),
        (1, 1, "good")
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_override_posts_into_that_channel_of_the_team() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let ops = stack
        .create_channel(&f.team_id, json!({"name": "ops"}))
        .await;
    let form = format!(
        "payload={}",
        inlet_testkit::urlencode(&json!({"text": "to ops", "channel": "#ops"}).to_string())
    );
    let response = stack
        .post_hook(
            &f.token,
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        )
        .await;
    assert_eq!(response.status(), 200);
    let posts = stack.wait_for_posts(&ops, 1, WAIT).await.unwrap();
    assert_eq!(posts[0].message, "to ops");
    assert!(stack.posts_of(&f.channel_id).await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_the_access_log_or_metrics() {
    inlet_testkit::log_capture::install();
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"hello"}"#).await,
        200
    );
    assert_eq!(stack.slack_status(&f.token, r#"{"text":""}"#).await, 400);
    let unknown = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    assert_eq!(stack.slack_status(unknown, r#"{"text":"x"}"#).await, 404);
    stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    let metrics = stack.metrics("ingress").await.unwrap();
    let log = inlet_testkit::log_capture::captured();
    assert!(
        log.contains("/hooks/<redacted>"),
        "the access log must show the redacted route"
    );
    assert!(metrics.contains("inlet_ingress_requests_total"));
    for secret in [f.token.as_str(), unknown] {
        assert!(!log.contains(secret), "a token reached the log");
        assert!(!metrics.contains(secret), "a token reached the metrics");
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_replays_then_continues_live() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    for text in ["one", "two"] {
        assert_eq!(
            stack
                .slack_status(&f.token, &json!({"text": text}).to_string())
                .await,
            200
        );
    }
    stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    let mut stream = stack
        .http
        .get(stack.api_url(&format!("/api/v1/channels/{}/events", f.channel_id)))
        .bearer_auth(&stack.admin_token)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut text = String::new();
    let mut posted = false;
    let deadline = tokio::time::Instant::now() + WAIT;
    while text.matches("event: posted").count() < 3 {
        if text.matches("event: posted").count() == 2 && !posted {
            assert_eq!(
                stack.slack_status(&f.token, r#"{"text":"three"}"#).await,
                200
            );
            posted = true;
        }
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        text.starts_with("event: ready\nid: 0\n"),
        "the stream says where it starts:\n{text}"
    );
    let ids: Vec<&str> = text
        .split("\n\n")
        .filter(|event| event.contains("event: posted"))
        .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("id: ")))
        .collect();
    assert_eq!(
        ids,
        vec!["1", "2", "3"],
        "no gap and no duplicate at the seam:\n{text}"
    );
    assert!(text.contains("\"message\":\"three\""));
    drop(stream);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_is_documented_in_operations_md() {
    let stack = TestStack::start().await.unwrap();
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .unwrap();
    let names: Vec<String> = stack
        .exported_metric_names()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(names.len() >= 12, "metrics missing: {names:?}");
    let undocumented: Vec<&String> = names
        .iter()
        .filter(|n| !docs.contains(&format!("`{n}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "metrics not in docs/operations.md: {undocumented:?}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_relay_publishes_what_redis_never_got() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let client = redis::Client::open(stack.settings.redis.url.as_str()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub
        .subscribe(format!(
            "{}channel:{}",
            stack.settings.redis.prefix, f.channel_id
        ))
        .await
        .unwrap();
    // A post committed by a delivery that died before publishing it.
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    let message_id = uuid::Uuid::now_v7();
    let post = inlet_store::NewPost {
        id: inlet_core::post_id(message_id.into(), 0),
        channel_id: channel,
        root_id: None,
        thread_key: None,
        case_id: None,
        message: "orphan".into(),
        username: "bot".into(),
        icon_url: None,
        props: json!({}),
        webhook_id: None,
        dialect: "slack".into(),
        message_id,
        part: 0,
        received_at: chrono::Utc::now(),
    };
    let mut db = stack.pool.get().await.unwrap();
    let batch = [inlet_store::repo::posts::MessagePosts {
        message_id,
        posts: vec![post],
        idempotency: None,
    }];
    inlet_store::repo::posts::store_batch(&mut db, &batch)
        .await
        .unwrap();
    let mut events = pubsub.on_message();
    let message = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap();
    let event: Value = serde_json::from_str(&message.get_payload::<String>().unwrap()).unwrap();
    assert_eq!(
        (event["seq"].as_i64(), event["post"]["message"].as_str()),
        (Some(1), Some("orphan"))
    );
    drop(events);
    // The relay commits the watermark just after it publishes.
    eventually("the watermark past the relayed post", WAIT, || async {
        match inlet_store::repo::posts::pending_count(&**db)
            .await
            .unwrap()
        {
            0 => Ok(()),
            pending => Err(format!("{pending} pending")),
        }
    })
    .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_needs_an_admin_token_and_never_shows_webhook_tokens() {
    let stack = TestStack::start_with(Services::API, |s| {
        s.api.read_tokens = vec!["reader-token-123".into()];
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let url = stack.api_url("/api/v1/teams");
    let body = json!({"name": "other"});
    assert_eq!(
        stack
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let wrong = stack
        .http
        .post(&url)
        .bearer_auth("wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let reader = stack
        .http
        .post(&url)
        .bearer_auth("reader-token-123")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), 403, "a read token cannot manage");
    let reads = stack
        .http
        .get(&url)
        .bearer_auth("reader-token-123")
        .send()
        .await
        .unwrap();
    assert_eq!(reads.status(), 200, "a read token can read");

    let list = stack
        .api_get_text(&format!("/api/v1/webhooks?team_id={}", f.team_id))
        .await
        .unwrap();
    assert!(list.contains(&f.webhook_id));
    assert!(
        !list.contains(&f.token),
        "a listing must never show a token"
    );
    let one = stack
        .api_get_text(&format!("/api/v1/webhooks/{}", f.webhook_id))
        .await
        .unwrap();
    assert!(!one.contains(&f.token));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_webhooks_come_with_their_token_and_url_once() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(f.token.len(), 40, "24 random bytes and a 6-byte MAC");
    let rotated = stack
        .api_post(
            &format!("/api/v1/webhooks/{}/rotate", f.webhook_id),
            json!({}),
        )
        .await
        .unwrap();
    let new_token = rotated["token"].as_str().unwrap();
    assert_ne!(new_token, f.token);
    let url = rotated["urls"]["slack"].as_str().unwrap();
    assert!(url.ends_with(&format!("/hooks/{new_token}")), "{url}");
    let bad = stack
        .http
        .post(stack.api_url("/api/v1/webhooks"))
        .bearer_auth(&stack.admin_token)
        .json(&json!({"channel_id": f.channel_id, "owner_id": f.owner_id, "markup": "html"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    stack.stop().await;
}

/// SIGTERM cancels the same token `stop_service` cancels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_stopped_gracefully_mid_stream_lose_and_double_nothing() {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let total = 300;
    let sender = {
        let http = stack.http.clone();
        let url = stack.hook_url(&f.token);
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            for i in 0..total {
                let response = http
                    .post(&url)
                    .body(json!({"text": format!("n{i}")}).to_string())
                    .send()
                    .await
                    .unwrap();
                if response.status() == 200 {
                    accepted.push(format!("n{i}"));
                }
            }
            accepted
        })
    };
    // Restart both workers while messages stream in.
    stack.wait_for_posts(&f.channel_id, 20, WAIT).await.unwrap();
    stack.stop_service("formatter").await;
    stack.stop_service("delivery").await;
    stack
        .spawn(Services::FORMATTER.and(Services::DELIVERY))
        .await
        .unwrap();
    let accepted = sender.await.unwrap();
    assert_eq!(
        accepted.len(),
        total,
        "ingress kept accepting while the workers restarted"
    );
    let posts = stack
        .wait_for_posts(&f.channel_id, total, WAIT)
        .await
        .unwrap();
    let texts: Vec<String> = posts.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        texts, accepted,
        "every accepted message once, in receipt order"
    );
    let seqs: Vec<i64> = posts.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>());
    stack.stop().await;
}

/// Every batch updates its channels' counters; delivery vacuums them itself
/// so that a server without autovacuum does not bloat them without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_vacuums_the_channel_counters() {
    let stack = TestStack::start_with(inlet_testkit::Services::ALL, |s| {
        s.delivery.relay_interval_ms = 100;
        s.delivery.vacuum_interval_ms = 300;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(stack.slack_status(&f.token, r#"{"text":"one"}"#).await, 200);
    stack
        .wait_for_posts(&f.channel_id, 1, Duration::from_secs(15))
        .await
        .unwrap();
    let client = stack.pool.get().await.unwrap();
    eventually("channels vacuumed", Duration::from_secs(15), || async {
        // Statistics reach pg_stat_user_tables within about half a second.
        let vacuums: i64 = client
            .query_one(
                "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'channels'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        match vacuums {
            0 => Err("no vacuum".to_string()),
            _ => Ok(()),
        }
    })
    .await;
    stack.stop().await;
}

/// The counters' updates are heap-only (no index covers them, pages keep
/// room): PostgreSQL prunes their old versions as it goes, vacuum or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_counter_updates_are_heap_only() {
    let stack = TestStack::start_with(inlet_testkit::Services::ALL, |s| {
        s.delivery.vacuum_interval_ms = 0;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    for n in 0..20 {
        let body = format!(r#"{{"text":"n{n}"}}"#);
        assert_eq!(stack.slack_status(&f.token, &body).await, 200);
    }
    stack
        .wait_for_posts(&f.channel_id, 20, Duration::from_secs(15))
        .await
        .unwrap();
    let client = stack.pool.get().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (updates, heap_only) = loop {
        // Statistics reach pg_stat_user_tables within about half a second.
        let row = client
            .query_one(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'channels'",
                &[],
            )
            .await
            .unwrap();
        let (updates, heap_only): (i64, i64) = (row.get(0), row.get(1));
        // At least one batch's seq bump and watermark per post's batch.
        if updates >= 2 || tokio::time::Instant::now() > deadline {
            break (updates, heap_only);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(updates >= 2, "no counter updates seen");
    assert!(
        heap_only * 10 >= updates * 9,
        "{heap_only} of {updates} counter updates were heap-only"
    );
    stack.stop().await;
}

/// A batch stops at its byte budget (the first delivery always comes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stops_at_its_byte_budget() {
    let stack = TestStack::start_with(Services::INGRESS.and(Services::API), |_| {})
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    // Five raw webhooks of about 10 KB each, on one channel, so one shard.
    let text = "x".repeat(10_000);
    for _ in 0..5 {
        let body = json!({ "text": text }).to_string();
        assert_eq!(stack.slack_status(&f.token, &body).await, 200);
    }
    let mut set = stack
        .consume_hop(inlet_bus::Hop::Raw, "test-byte-budget")
        .await
        .unwrap();
    let linger = Duration::from_millis(500);
    // 25 KB: the third delivery crosses it.
    let first = set.next_batch_within(16, 25_000, linger).await.unwrap();
    assert_eq!(first.len(), 3);
    let rest = set.next_batch_within(16, 25_000, linger).await.unwrap();
    assert_eq!(rest.len(), 2);
    set.close().await;
    stack.stop().await;
}
