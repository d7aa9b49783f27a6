//! A webhook's own template, through the running services: created with a
//! template, a request posts what it renders; a change and a rollback
//! apply; a syntax error is refused when saved with its position; a
//! runaway template is the sender's 422 before any answer, and posts
//! nothing; the preview shows the same without posting.

use inlet_testkit::{Fixture, TestStack};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

async fn patch(stack: &TestStack, f: &Fixture, body: Value) -> (u16, Value) {
    let response = stack
        .http
        .patch(stack.api_url(&format!("/api/v1/webhooks/{}", f.webhook_id)))
        .bearer_auth(&stack.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn send(stack: &TestStack, f: &Fixture, body: Value) -> (u16, Value) {
    send_to(stack, &format!("/hooks/{}", f.token), body).await
}

async fn send_to(stack: &TestStack, path: &str, body: Value) -> (u16, Value) {
    let response = stack
        .http
        .post(stack.ingress_url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Sends `body` until a new post whose message starts with `prefix` is
/// stored (ingress hears of a template change through the directory's
/// invalidation, a moment after the API answered).
async fn post_until(stack: &TestStack, f: &Fixture, body: Value, prefix: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    let channel = f.channel_id.parse().unwrap();
    let seen = stack.posts(channel).await.unwrap().len();
    loop {
        let (status, answer) = send(stack, f, body.clone()).await;
        if status == 200 {
            let before = tokio::time::Instant::now() + Duration::from_secs(2);
            while tokio::time::Instant::now() < before {
                let posts = stack.posts(channel).await.unwrap();
                let mut new = posts.iter().skip(seen);
                if let Some(post) = new.find(|p| p.message.starts_with(prefix)) {
                    return post.message.clone();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no post starting {prefix:?}; last answer {status} {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends `body` to `path` until ingress answers `status`; answers the body.
async fn answer_until(stack: &TestStack, path: &str, body: Value, status: u16) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (got, answer) = send_to(stack, path, body.clone()).await;
        if got == status {
            return answer;
        }
        assert!(tokio::time::Instant::now() < deadline, "{got} {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_renders_posts_changes_and_rolls_back() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let v1 = json!({"message": "v1 **{{ body.build.name | md_escape }}** {{ body.build.state }}", "topic": "build {{ body.build.id }}"});
    let (status, webhook) = patch(&stack, &f, json!({"template": v1})).await;
    assert_eq!(
        (status, &webhook["template_version"]),
        (200, &json!(1)),
        "{webhook}"
    );
    let sample = json!({"build": {"id": 7, "name": "api_server", "state": "passed"}});
    let message = post_until(&stack, &f, sample.clone(), "v1").await;
    assert_eq!(message, "v1 **api\\_server** passed");
    let posts = stack.posts_of(&f.channel_id).await;
    assert_eq!(posts.last().unwrap().thread_key.as_deref(), Some("build 7"));

    let v2 = json!({"message": "v2 {{ body.build.state | upper }}"});
    let (status, webhook) = patch(&stack, &f, json!({"template": v2})).await;
    assert_eq!((status, &webhook["template_version"]), (200, &json!(2)));
    assert_eq!(
        post_until(&stack, &f, sample.clone(), "v2").await,
        "v2 PASSED"
    );

    let versions = stack
        .api_get(&format!("/api/v1/webhooks/{}/templates", f.webhook_id))
        .await
        .unwrap();
    let listed: Vec<_> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].clone(), v["active"].clone()))
        .collect();
    assert_eq!(listed, [(json!(2), json!(true)), (json!(1), json!(false))]);
    let rolled = stack
        .api_post(
            &format!("/api/v1/webhooks/{}/templates/rollback", f.webhook_id),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(rolled["template_version"], 1);
    assert_eq!(rolled["template"], v1);
    let again = json!({"build": {"id": 8, "name": "web", "state": "failed"}});
    assert_eq!(
        post_until(&stack, &f, again, "v1").await,
        "v1 **web** failed"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syntax_error_is_refused_when_saved_with_its_line_and_column() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let (status, error) = patch(
        &stack,
        &f,
        json!({"template": {"message": "ok", "topic": "first line\n{{ body.x | }}"}}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "invalid_template");
    assert_eq!(error["field"], "template.topic");
    assert_eq!(error["line"], 2);
    assert!(error["column"].as_u64().is_some(), "{error}");
    let webhook = stack
        .api_get(&format!("/api/v1/webhooks/{}", f.webhook_id))
        .await
        .unwrap();
    assert_eq!(webhook["template"], Value::Null, "nothing was saved");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_templates_are_the_senders_422_and_post_nothing() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let channel = f.channel_id.parse().unwrap();
    let runaways = [
        (
            "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
            "fuel limit",
        ),
        (
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "nested deeper",
        ),
        (
            "{% for i in range(10000) %}xxxxxxxxxx{% endfor %}",
            "output limit",
        ),
    ];
    for (i, (template, why)) in runaways.iter().enumerate() {
        let (status, webhook) = patch(&stack, &f, json!({"template": {"message": template}})).await;
        assert_eq!(status, 200, "{webhook}");
        // The talkSpirit door answers JSON with the detail; the Slack
        // door the code alone.
        let talkspirit = format!("/v1/incoming/{}", f.token);
        let answer = answer_until(&stack, &talkspirit, json!({"n": i}), 422).await;
        let detail = answer.to_string();
        assert!(detail.contains("template_error"), "{detail}");
        assert!(detail.contains(why), "{why}: {detail}");
        let slack = format!("/hooks/{}", f.token);
        let answer = answer_until(&stack, &slack, json!({"n": i}), 422).await;
        assert_eq!(answer, "template_error");
    }
    // A good template, and nothing posted before it: every refused request
    // changed nothing.
    patch(
        &stack,
        &f,
        json!({"template": {"message": "fine {{ body.n }}"}}),
    )
    .await;
    post_until(&stack, &f, json!({"n": 9}), "fine").await;
    let posts = stack.posts(channel).await.unwrap();
    assert!(
        posts.iter().all(|p| p.message.starts_with("fine")),
        "{posts:?}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_shows_the_posts_or_the_error_and_posts_nothing() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/api/v1/webhooks/{}/preview", f.webhook_id);
    let answer = stack
        .api_post(
            &path,
            json!({
                "template": {"message": "{{ body.who }} said {{ body.text | truncate_words(12) }}", "topic": "{{ headers['x-room'] }}"},
                "payload": {"who": "ann", "text": "hello there general kenobi"},
                "headers": {"X-Room": "lobby", "Authorization": "Bearer secret"}
            }),
        )
        .await
        .unwrap();
    assert_eq!(answer["outcome"], "posted", "{answer}");
    assert_eq!(answer["posts"][0]["message"], "ann said hello there…");
    assert_eq!(answer["posts"][0]["thread_key"], "lobby");
    let failing = stack
        .api_post(
            &path,
            json!({"template": {"message": "a\n{{ body.n + 'x' }}"}, "payload": {"n": 1}}),
        )
        .await
        .unwrap();
    assert_eq!(failing["outcome"], "refused");
    assert_eq!(failing["status"], 422);
    assert_eq!(failing["error"]["code"], "template_error");
    assert_eq!(failing["error"]["line"], 2);
    // Without a template of its own or given, there is nothing to preview.
    let response = stack
        .http
        .post(stack.api_url(&path))
        .bearer_auth(&stack.admin_token)
        .json(&json!({"payload": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let posts = stack.posts_of(&f.channel_id).await;
    assert!(posts.is_empty(), "a preview posts nothing");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_request_of_a_templated_webhook_runs_dry_through_its_template() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let template = json!({"message": "{{ headers['x-run'] }}: {{ body.state }}"});
    let (status, _) = patch(
        &stack,
        &f,
        json!({"keep_bodies": true, "template": template}),
    )
    .await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let response = stack
            .http
            .post(stack.hook_url(&f.token))
            .header("X-Run", "nightly")
            .header("X-Api-Token", "never-logged")
            .json(&json!({"state": "green"}))
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        let status = response.status().as_u16();
        if status == 200 {
            let path = format!("/api/v1/webhooks/{}/deliveries/{id}/dry-run", f.webhook_id);
            let mut dry = Value::Null;
            for _ in 0..40 {
                if let Ok(answer) = stack.api_post(&path, json!({})).await {
                    dry = answer;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if dry["result"] == "posts" {
                assert_eq!(dry["posts"][0]["message"], "nightly: green", "{dry}");
                let log = stack
                    .api_get_text(&format!("/api/v1/webhooks/{}/deliveries", f.webhook_id))
                    .await
                    .unwrap();
                assert!(
                    !log.contains("never-logged"),
                    "a secret header was logged: {log}"
                );
                break;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}
