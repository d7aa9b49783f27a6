//! A webhook's `last_used_at`: null until a request names its token, then
//! written by ingress within its flush interval, in both the list and the
//! single-webhook answers of the API.

use inlet_testkit::TestStack;
use serde_json::Value;
use std::time::{Duration, Instant};

async fn listed_last_used(stack: &TestStack, team_id: &str, webhook_id: &str) -> Value {
    let list = stack
        .api_get(&format!("/api/v1/webhooks?team_id={team_id}"))
        .await
        .unwrap();
    let hook = list["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == webhook_id)
        .cloned()
        .unwrap_or_else(|| panic!("webhook {webhook_id} not listed: {list}"));
    hook["last_used_at"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_used_at_is_null_until_a_post_then_follows_the_posts() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let single = format!("/api/v1/webhooks/{}", f.webhook_id);
    assert_eq!(
        stack.api_get(&single).await.unwrap()["last_used_at"],
        Value::Null
    );
    assert_eq!(
        listed_last_used(&stack, &f.team_id, &f.webhook_id).await,
        Value::Null
    );

    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    assert_eq!(stack.slack_status(&f.token, r#"{"text":"one"}"#).await, 200);
    let first = wait_for_last_used(&stack, &single, |_| true).await;
    let first_at: chrono::DateTime<chrono::Utc> = first.parse().unwrap();
    assert!(
        first_at >= before,
        "{first_at} is before the post ({before})"
    );
    assert_eq!(
        listed_last_used(&stack, &f.team_id, &f.webhook_id).await,
        Value::String(first.clone()),
        "the list shows the same time"
    );

    // A later use moves it forward.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(stack.slack_status(&f.token, r#"{"text":"two"}"#).await, 200);
    let second = wait_for_last_used(&stack, &single, |at| at != first).await;
    let second_at: chrono::DateTime<chrono::Utc> = second.parse().unwrap();
    assert!(second_at > first_at, "{second_at} is not after {first_at}");
    stack.stop().await;
}

/// Polls the webhook until its `last_used_at` is set and `accepts` it.
async fn wait_for_last_used(
    stack: &TestStack,
    path: &str,
    accepts: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let hook = stack.api_get(path).await.unwrap();
        if let Some(at) = hook["last_used_at"].as_str()
            && accepts(at)
        {
            return at.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "last_used_at not written within 10 s: {hook}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
