//! A webhook never posts into a private channel its owner is not in: it
//! cannot be created there, and once its owner leaves its channel every
//! entry point refuses it with `403 action_prohibited` and stores nothing.
//! (A message already in flight when the owner leaves: dead_letters.rs.)

use inlet_testkit::{Fixture, Services, TestStack};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn private_channel(stack: &TestStack, f: &Fixture) -> String {
    stack
        .create_channel(&f.team_id, json!({"name": "secret", "private": true}))
        .await
}

async fn webhooks_on(stack: &TestStack, channel: &str) -> i64 {
    let client = stack.pool.get().await.unwrap();
    let channel: uuid::Uuid = channel.parse().unwrap();
    client
        .query_one(
            "SELECT count(*) FROM webhooks WHERE channel_id = $1",
            &[&channel],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_on_a_private_channel_needs_its_owner_as_a_member() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let secret = private_channel(&stack, &f).await;
    let create = json!({"channel_id": secret, "owner_id": f.owner_id, "display_name": "CI"});

    let (status, body) = stack
        .api_request(reqwest::Method::POST, "/api/v1/webhooks", Some(&create))
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "action_prohibited", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("not a member"),
        "{body}"
    );
    assert_eq!(
        webhooks_on(&stack, &secret).await,
        0,
        "a webhook was stored"
    );

    // A PATCH cannot move a webhook there: its channel and owner are not
    // settings (refused as unknown fields, the webhook unchanged).
    let path = format!("/api/v1/webhooks/{}", f.webhook_id);
    let (status, body) = stack
        .api_request(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"channel_id": secret})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, webhook) = stack.api_request(reqwest::Method::GET, &path, None).await;
    assert_eq!(webhook["channel_id"].as_str(), Some(f.channel_id.as_str()));

    // Once the owner is a member, the same request makes the webhook.
    stack.set_membership(&secret, &f.owner_id, true).await;
    let (status, body) = stack
        .api_request(reqwest::Method::POST, "/api/v1/webhooks", Some(&create))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(webhooks_on(&stack, &secret).await, 1);
    stack.stop().await;
}

/// One request on each entry point: (what, path, body).
fn entry_points(token: &str, channel: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        ("slack", format!("/hooks/{token}"), json!({"text": "x"})),
        (
            "talkspirit",
            format!("/v1/incoming/{token}"),
            json!({"content": "x"}),
        ),
        (
            "emakin",
            format!("/hooks/channels/{channel}/{token}"),
            json!({"text": "x"}),
        ),
        (
            "integration",
            format!("/api/v1/external/json?api_key={token}"),
            json!({"event": "x"}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_owner_leaves_its_private_channel_every_entry_point_answers_403() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let secret = private_channel(&stack, &f).await;
    stack.set_membership(&secret, &f.owner_id, true).await;
    let hook = stack.create_webhook(&secret, &f.owner_id).await;
    let token = hook["token"].as_str().unwrap();
    assert_eq!(
        stack
            .slack_status(token, r#"{"text":"while a member"}"#)
            .await,
        200
    );
    stack
        .wait_for_posts(&secret, 1, Duration::from_secs(15))
        .await
        .unwrap();
    let (_, channel_before) = stack
        .api_request(
            reqwest::Method::GET,
            &format!("/api/v1/channels/{secret}"),
            None,
        )
        .await;

    stack.set_membership(&secret, &f.owner_id, false).await;
    // The API's control message makes ingress drop the team's directory
    // at once: the refusal starts within moments, not at the cache's 30 s
    // expiry. The probe carries an Idempotency-Key longer than allowed,
    // which ingress judges after the channel: while the owner still
    // counts as a member it is a 400, and it never posts.
    let probe = || async {
        stack
            .http
            .post(stack.ingress_url(&format!("/hooks/{token}")))
            .header("content-type", "application/json")
            .header("Idempotency-Key", "k".repeat(256))
            .body(r#"{"text":"probe"}"#)
            .send()
            .await
            .unwrap()
            .status()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let status = probe().await;
        if status == StatusCode::FORBIDDEN {
            break;
        }
        assert_eq!(status, StatusCode::BAD_REQUEST, "the probe");
        assert!(
            tokio::time::Instant::now() < deadline,
            "ingress still takes posts 2 s after the owner left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for (what, path, body) in entry_points(token, &secret) {
        let response = stack
            .http
            .post(stack.ingress_url(&path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 403, "{what}: {text}");
        assert!(text.contains("action_prohibited"), "{what}: {text}");
    }

    // Nothing stored, nothing dead-lettered, the channel as it was.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts = stack.posts_of(&secret).await;
    assert_eq!(posts.len(), 1, "posted after the owner left");
    let (_, letters) = stack
        .api_request(reqwest::Method::GET, "/api/v1/dead-letters", None)
        .await;
    assert_eq!(letters["dead_letters"], json!([]));
    let (_, channel_after) = stack
        .api_request(
            reqwest::Method::GET,
            &format!("/api/v1/channels/{secret}"),
            None,
        )
        .await;
    assert_eq!(channel_after, channel_before);

    // The owner back: the webhook posts again.
    stack.set_membership(&secret, &f.owner_id, true).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while stack.slack_status(token, r#"{"text":"back"}"#).await != 200 {
        assert!(tokio::time::Instant::now() < deadline, "still refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let posts = stack
        .wait_for_posts(&secret, 2, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts[1].message, "back");
    stack.stop().await;
}
