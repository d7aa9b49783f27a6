//! The chat message APIs senders call instead of a webhook URL, through
//! the running services: Zulip's send-message (`POST /api/v1/messages`,
//! after `GET /api/v1/server_settings`) and Slack's `chat.postMessage`,
//! both with a webhook's token, both answered in their own shapes, both
//! under every guarantee of ingress. Real clients of both are in
//! `clients.rs`.

use inlet_testkit::{Fixture, TestStack, urlencode};
use serde_json::{Value, json};
use std::time::Duration;

/// A form body, as Zulip's and older Slack clients send their arguments.
fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: &str = "application/x-www-form-urlencoded";

async fn zulip_send(stack: &TestStack, key: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let response = stack
        .http
        .post(stack.ingress_url("/api/v1/messages"))
        .basic_auth("bot@example.com", Some(key))
        .header("content-type", FORM)
        .body(form(fields))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn slack_post(stack: &TestStack, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = stack
        .http
        .post(stack.ingress_url("/api/chat.postMessage"))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// An API key, the form, the status and a part of `msg` expected.
type ZulipCase<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);

async fn started() -> (TestStack, Fixture) {
    let stack = TestStack::start().await.unwrap();
    let fixture = stack.fixture().await.unwrap();
    (stack, fixture)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zulip_clients_find_a_server_and_their_topics_thread() {
    let (stack, f) = started().await;
    let settings: Value = stack
        .get_json(&stack.ingress_url("/api/v1/server_settings"))
        .await;
    assert_eq!(settings["result"], "success");
    assert!(settings["zulip_version"].is_string(), "{settings}");
    assert!(settings["zulip_feature_level"].as_u64().unwrap() > 0);

    let message = [
        ("type", "stream"),
        ("to", "town-square"),
        ("topic", "deploys"),
        ("content", "Deploy **started**"),
    ];
    let (status, first) = zulip_send(&stack, &f.token, &message).await;
    assert_eq!(
        (status, first["result"].as_str()),
        (200, Some("success")),
        "{first}"
    );
    let id = first["id"].as_u64().expect("a numeric id, as Zulip's");
    let reply = [
        ("type", "channel"),
        ("to", "[\"town-square\"]"),
        ("subject", "deploys"),
        ("content", "Deploy done"),
    ];
    let (status, second) = zulip_send(&stack, &f.token, &reply).await;
    assert_eq!(status, 200, "{second}");
    assert!(second["id"].as_u64().unwrap() >= id);

    let posts = stack
        .wait_for_posts(&f.channel_id, 2, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts[0].id.to_string(), first["post_id"].as_str().unwrap());
    assert_eq!(posts[0].message, "Deploy **started**");
    assert_eq!(posts[0].thread_key.as_deref(), Some("deploys"));
    assert_eq!(posts[0].props["topic"], "deploys");
    assert_eq!(posts[0].dialect, "zulip-send");
    assert_eq!(posts[1].root_id, Some(posts[0].id));
    assert_eq!(posts[1].message, "Deploy done");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zulip_refusals_are_zulips_and_post_nothing() {
    let (stack, f) = started().await;
    let cases: [ZulipCase; 4] = [
        (
            &f.token,
            &[("to", "town-square"), ("content", "x")],
            400,
            "Missing 'type'",
        ),
        (
            &f.token,
            &[("type", "stream"), ("to", "town-square")],
            400,
            "must not be empty",
        ),
        (
            &f.token,
            &[
                ("type", "stream"),
                ("to", "no-such-channel"),
                ("content", "x"),
            ],
            404,
            "no channel named",
        ),
        (
            "whk_unknown",
            &[("type", "stream"), ("to", "town-square"), ("content", "x")],
            404,
            "no such webhook",
        ),
    ];
    for (key, form, status, msg) in cases {
        let (got, body) = zulip_send(&stack, key, form).await;
        assert_eq!(got, status, "{form:?}: {body}");
        assert_eq!(body["result"], "error", "{body}");
        assert!(body["msg"].as_str().unwrap().contains(msg), "{body}");
    }
    let without_key = stack
        .http
        .post(stack.ingress_url("/api/v1/messages"))
        .header("content-type", FORM)
        .body(form(&[("type", "stream"), ("content", "x")]))
        .send()
        .await
        .unwrap();
    assert_eq!(without_key.status(), 401);
    // A good message after them shows the bad ones made nothing.
    let ok = [("type", "stream"), ("topic", "t"), ("content", "only this")];
    assert_eq!(zulip_send(&stack, &f.token, &ok).await.0, 200);
    let posts = stack
        .wait_for_posts(&f.channel_id, 1, Duration::from_secs(15))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posts_after = stack.posts(posts[0].channel_id).await.unwrap();
    assert_eq!(posts_after.len(), 1);
    assert_eq!(posts_after[0].message, "only this");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_post_message_answers_a_ts_that_threads_the_reply() {
    let (stack, f) = started().await;
    let (status, root) = slack_post(
        &stack,
        Some(&f.token),
        json!({"channel": "#town-square", "text": "Build *42* failed", "username": "ci"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(root["ok"], true, "{root}");
    assert_eq!(root["channel"], f.channel_id.as_str());
    let ts = root["ts"].as_str().unwrap().to_string();
    assert_eq!(root["message"]["ts"], ts.as_str());
    assert_eq!(root["message"]["text"], "Build **42** failed");

    // The same reply as a form, as older clients send it.
    let reply = stack
        .http
        .post(stack.ingress_url("/api/chat.postMessage"))
        .bearer_auth(&f.token)
        .header("content-type", FORM)
        .body(form(&[
            ("channel", "town-square"),
            ("text", "fixed in the next build"),
            ("thread_ts", &ts),
            (
                "attachments",
                r#"[{"text":"log attached","color":"danger"}]"#,
            ),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let reply: Value = reply.json().await.unwrap();
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["message"]["thread_ts"], ts.as_str());

    let posts = stack
        .wait_for_posts(&f.channel_id, 2, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(posts[0].id.to_string(), ts);
    assert_eq!(posts[0].dialect, "slack-post-message");
    assert_eq!(posts[1].id.to_string(), reply["ts"].as_str().unwrap());
    assert_eq!(posts[1].root_id, Some(posts[0].id));
    assert_eq!(posts[1].props["attachments"][0]["text"], "log attached");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_post_message_errors_use_slacks_names() {
    let (stack, f) = started().await;
    let text = json!({"channel": "town-square", "text": "x"});
    let cases = [
        (None, text.clone(), "not_authed"),
        (Some("whk_unknown"), text.clone(), "invalid_auth"),
        (
            Some(f.token.as_str()),
            json!({"channel": "nowhere", "text": "x"}),
            "channel_not_found",
        ),
        (
            Some(f.token.as_str()),
            json!({"channel": "town-square"}),
            "no_text",
        ),
        (
            Some(f.token.as_str()),
            json!({"text": "x", "token": "t"}),
            "invalid_arguments",
        ),
    ];
    for (token, body, error) in cases {
        let (status, answer) = slack_post(&stack, token, body.clone()).await;
        assert_eq!(status, 200, "{body}: {answer}");
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["error"], error, "{body}: {answer}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let channel = f.channel_id.parse().unwrap();
    assert!(stack.posts(channel).await.unwrap().is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_answers_the_first_ts_and_posts_once() {
    let (stack, f) = started().await;
    let send = || {
        stack
            .http
            .post(stack.ingress_url("/api/chat.postMessage"))
            .bearer_auth(&f.token)
            .header("Idempotency-Key", "release-7")
            .json(&json!({"text": "released 7"}))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first["ok"], true, "{first}");
    assert_eq!(first["ts"], again["ts"], "{first} {again}");
    let posts = stack
        .wait_for_posts(&f.channel_id, 1, Duration::from_secs(15))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.posts(posts[0].channel_id).await.unwrap().len(), 1);
    assert_eq!(posts[0].id.to_string(), first["ts"].as_str().unwrap());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_of_the_ingress_document_is_served() {
    let (stack, _) = started().await;
    let document: Value = stack.get_json(&stack.ingress_url("/openapi.json")).await;
    assert_eq!(document["info"]["title"], "Inlet ingress");
    // What an unrouted path looks like, so that the check below can fail.
    let unrouted = stack
        .http
        .post(stack.ingress_url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), 404);
    assert!(unrouted.text().await.unwrap().is_empty());
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{token}", "whk_unknown")
            .replace("{channel_id}", "c")
            .replace("{integration}", "github");
        for method in item.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => stack.http.get(stack.ingress_url(&concrete)),
                "post" => stack.http.post(stack.ingress_url(&concrete)).body("{}"),
                other => panic!("{other} {path}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            // An unrouted path is actix's bare 404 with an empty body.
            let body = response.text().await.unwrap();
            assert!(!body.is_empty(), "{method} {path}: {status} with no body");
        }
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhooks_rate_limit_holds_on_both_apis() {
    let (stack, f) = started().await;
    stack
        .patch_webhook(&f.webhook_id, json!({"rate_per_minute": 2}))
        .await;
    let message = [("type", "stream"), ("topic", "t"), ("content", "x")];
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(zulip_send(&stack, &f.token, &message).await.0);
    }
    let (status, refused) = slack_post(&stack, Some(&f.token), json!({"text": "x"})).await;
    assert_eq!(answers, [200, 200, 429], "{answers:?}");
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"], "ratelimited");
    stack.stop().await;
}
