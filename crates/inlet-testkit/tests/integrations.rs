//! Vendor integrations through the running services.

use inlet_testkit::TestStack;
use serde_json::Value;
use std::time::Duration;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../inlet-dialects/tests/fixtures/integrations/github/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_requests_life_arrives_as_one_thread_in_order() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let url = stack.ingress_url(&format!("/api/v1/external/github?api_key={}", f.token));
    let life = [
        ("pull_request", "pull_request__opened"),
        ("pull_request_review", "pull_request_review__submitted"),
        ("issue_comment", "issue_comment__on_pull_request"),
        ("pull_request", "pull_request__merged"),
    ];
    for (event, name) in life {
        let response = stack
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("X-GitHub-Event", event)
            .body(fixture(name))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"], "success", "{name}: {body}");
    }
    let posts = stack
        .wait_for_posts(&f.channel_id, 4, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts.len(), 4);
    let root = &posts[0];
    assert_eq!(root.root_id, None);
    assert_eq!(root.thread_key.as_deref(), Some("hello-world / PR #42"));
    for reply in &posts[1..] {
        assert_eq!(reply.root_id, Some(root.id), "{}", reply.message);
        assert_eq!(reply.dialect, "integration/github");
    }
    assert!(posts[3].message.contains("merged"), "{}", posts[3].message);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_requests_are_authenticated_and_filtered_without_posting() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let post = |path: String, event: &'static str| {
        let request = stack
            .http
            .post(stack.ingress_url(&path))
            .header("X-GitHub-Event", event);
        async move {
            let response = request
                .body(fixture("pull_request__opened"))
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = post("/api/v1/external/github".into(), "pull_request").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let (status, body) = post(
        format!("/api/v1/external/nope?api_key={}", f.token),
        "pull_request",
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("no_such_integration"))
    );
    let filtered = format!(
        "/api/v1/external/github?api_key={}&only_events=push_*",
        f.token
    );
    let (status, body) = post(filtered, "pull_request").await;
    assert_eq!((status, body["result"].as_str()), (200, Some("success")));
    // HTTP Basic password works as the key too.
    let basic = stack
        .http
        .post(stack.ingress_url("/api/v1/external/github"))
        .basic_auth("bot", Some(&f.token))
        .header("X-GitHub-Event", "pull_request")
        .body(fixture("pull_request__opened"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    // The filtered events posted nothing.
    stack.wait_for_only_post(&f.channel_id).await;
    stack.stop().await;
}

fn github_signature(secret: &str, body: &str) -> String {
    use hmac::{Mac, SimpleHmac};
    let mut mac = SimpleHmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_with_a_signing_secret_refuses_unsigned_and_wrongly_signed_requests() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let patched = stack
        .patch_webhook(
            &f.webhook_id,
            serde_json::json!({"signing_secret": "It's a Secret to Everybody"}),
        )
        .await;
    assert_eq!(patched["has_signing_secret"], true);
    assert!(
        !patched.to_string().contains("Secret to Everybody"),
        "the secret is never shown"
    );
    let url = stack.ingress_url(&format!("/api/v1/external/github?api_key={}", f.token));
    let body = fixture("pull_request__opened");
    let send = |signature: Option<String>| {
        let mut request = stack
            .http
            .post(&url)
            .header("X-GitHub-Event", "pull_request")
            .body(body.clone());
        if let Some(signature) = signature {
            request = request.header("X-Hub-Signature-256", signature);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // The directory cache learns of the new secret through Redis.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while send(None).await != 401 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "unsigned requests still accepted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        send(Some(github_signature("wrong secret", &body))).await,
        401
    );
    assert_eq!(
        send(Some(github_signature("It's a Secret to Everybody", &body))).await,
        200
    );
    stack.wait_for_only_post(&f.channel_id).await;
    stack.stop().await;
}

/// `/api/v1/external/slack` is the Slack dialect behind another URL: the
/// formatter renders its mentions with the team's directory too, so
/// `<@user-id>`, `<@username>` and `<#channel-id>` give the same post
/// (text and props) as on `/hooks/{token}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slack_payload_gives_the_same_post_on_both_urls() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    // The fixture's owner is `owner`; its channel is `town-square`.
    let payload = serde_json::json!({
        "text": format!("ping <@{}> and <@owner> in <#{}>", f.owner_id, f.channel_id),
    })
    .to_string();
    assert_eq!(stack.slack_status(&f.token, &payload).await, 200);
    let url = stack.ingress_url(&format!("/api/v1/external/slack?api_key={}", f.token));
    let response = stack
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(payload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let posts = stack
        .wait_for_posts(&f.channel_id, 2, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts.len(), 2);
    let by_dialect = |dialect: &str| {
        let post = posts
            .iter()
            .find(|p| p.dialect == dialect)
            .unwrap_or_else(|| panic!("no {dialect} post"));
        (
            post.message.clone(),
            post.props.clone(),
            post.username.clone(),
        )
    };
    let (hooks, integration) = (by_dialect("slack"), by_dialect("integration/slack"));
    assert_eq!(hooks.0, "ping @owner and @owner in ~town-square");
    assert_eq!(hooks.1["from_webhook"], "true", "{}", hooks.1);
    assert_eq!(integration, hooks);
    stack.stop().await;
}
