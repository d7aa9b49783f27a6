//! Every webhook's delivery log through the running services: each request
//! a webhook's token named, as it was answered, with what became of it
//! (posted, not posted and why, refused, dead-lettered after the answer,
//! still in flight), bounded, without a token, secret or signature, and a
//! dry run of a kept body.

use inlet_testkit::{Fixture, Services, TestStack};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

async fn log(stack: &TestStack, f: &Fixture, query: &str) -> Value {
    stack
        .api_get(&format!(
            "/api/v1/webhooks/{}/deliveries{query}",
            f.webhook_id
        ))
        .await
        .unwrap()
}

/// The log's entries once `ready` holds for them (the log is written in
/// the background, the outcomes by the pipeline).
async fn log_until(
    stack: &TestStack,
    f: &Fixture,
    query: &str,
    ready: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    inlet_testkit::eventually("the log gets there", WAIT, || async {
        let page = log(stack, f, query).await;
        let entries = page["deliveries"].as_array().cloned().unwrap_or_default();
        match ready(&entries) {
            true => Ok(entries),
            false => Err(format!("{page:#}")),
        }
    })
    .await
}

async fn set(stack: &TestStack, f: &Fixture, changes: Value) {
    stack.patch_webhook(&f.webhook_id, changes).await;
}

fn request_id(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_refused_and_not_posted_requests_are_logged_as_answered() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let posted = stack
        .post_slack(&f.token, r#"{"text":"hello"}"#)
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let posted_id = request_id(&posted);
    let refused = stack.post_slack(&f.token, r#"{"text": 42}"#).await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused_id = request_id(&refused);
    let unsupported = stack
        .http
        .post(stack.ingress_url(&format!("/api/v1/external/github?api_key={}", f.token)))
        .header("content-type", "application/json")
        .header("X-GitHub-Event", "no_such_event")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 200);

    let entries = log_until(&stack, &f, "", |e| {
        e.len() == 3 && e.iter().any(|d| d["outcome"] == "posted")
    })
    .await;
    // Newest first.
    let (github, bad, good) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(good["request_id"], posted_id.as_str());
    assert_eq!(good["translator"], "slack");
    assert_eq!(good["status"], 200);
    assert_eq!(good["channel_id"], f.channel_id.as_str());
    let stored = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(good["posts"][0]["id"], stored[0].id.to_string().as_str());
    assert_eq!(good["posts"][0]["seq"], stored[0].seq);
    assert!(good["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(good["body_bytes"], 16);
    assert!(good.get("body").is_none(), "bodies are not kept by default");

    assert_eq!(bad["request_id"], refused_id.as_str());
    assert_eq!(bad["outcome"], "rejected");
    assert_eq!(bad["status"], 400);
    assert_eq!(bad["code"], "invalid_payload");
    assert!(bad["detail"].as_str().unwrap().contains("`text`"), "{bad}");

    assert_eq!(github["translator"], "integration/github");
    assert_eq!(github["outcome"], "unsupported");
    assert_eq!(github["event"], "no_such_event");
    assert!(
        github["detail"]
            .as_str()
            .unwrap()
            .contains("isn't currently supported"),
        "{github}"
    );

    let failed = log(&stack, &f, "?failed=true").await;
    let failed = failed["deliveries"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["request_id"], refused_id.as_str());
    let only = log(&stack, &f, "?outcome=unsupported").await;
    assert_eq!(only["deliveries"].as_array().unwrap().len(), 1);
    let bad_filter = stack
        .http
        .get(stack.api_url(&format!(
            "/api/v1/webhooks/{}/deliveries?outcome=lost",
            f.webhook_id
        )))
        .bearer_auth(&stack.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_filter.status(), 400);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_that_arrives_after_the_answer_shows_in_flight_then_dead_lettered() {
    let without_formatter = Services {
        formatter: false,
        ..Services::ALL
    };
    let mut stack = TestStack::start_with(without_formatter, |_| {})
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let accepted = stack
        .post_slack(&f.token, r#"{"text":"doomed"}"#)
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let id = request_id(&accepted);
    let entries = log_until(&stack, &f, "", |e| e.len() == 1).await;
    assert_eq!(entries[0]["outcome"], "in_flight");
    stack.archive_channel(&f.channel_id).await;
    stack.spawn(Services::FORMATTER).await.unwrap();
    let entries = log_until(&stack, &f, "", |e| e[0]["outcome"] == "dead_lettered").await;
    assert_eq!(entries[0]["request_id"], id.as_str());
    assert_eq!(entries[0]["status"], 200, "answered 200 before it failed");
    assert_eq!(entries[0]["code"], "channel_is_archived");
    let letter = entries[0]["dead_letter_id"].as_str().unwrap();
    let detail = stack
        .api_get(&format!("/api/v1/dead-letters/{letter}"))
        .await
        .unwrap();
    assert_eq!(detail["message_id"], id.as_str());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_secret_or_signature_is_ever_in_the_log_and_a_kept_body_runs_dry() {
    const SECRET: &str = "a-signing-secret-of-the-webhook";
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    set(
        &stack,
        &f,
        json!({"keep_bodies": true, "signing_secret": SECRET}),
    )
    .await;
    // The token in a body too: a careless sender's.
    let body = json!({"text": format!("deploy done; hook {}", f.token)}).to_string();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut accepted = 0;
    let id = loop {
        let response = stack.post_slack(&f.token, &body).await.unwrap();
        assert_eq!(response.status(), 200);
        accepted += 1;
        let id = request_id(&response);
        // Its entry is written in the background, within the writer's
        // gathering time.
        let entries = log_until(&stack, &f, "", |e| {
            e.iter().any(|entry| entry["request_id"] == id.as_str())
        })
        .await;
        let kept = entries
            .iter()
            .any(|entry| entry["request_id"] == id.as_str() && entry.get("body").is_some());
        if kept {
            break id;
        }
        // The directory learns of keep_bodies through Redis.
        assert!(
            tokio::time::Instant::now() < deadline,
            "bodies are never kept"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let gitlab = stack
        .http
        .post(stack.ingress_url(&format!(
            "/api/v1/external/gitlab?api_key={}&topic=t",
            f.token
        )))
        .header("content-type", "application/json")
        .header("X-Gitlab-Event", "Push Hook")
        .header("X-Gitlab-Token", SECRET)
        .body(r#"{"object_kind":"push"}"#)
        .send()
        .await
        .unwrap();
    let signed = stack
        .http
        .post(stack.ingress_url(&format!("/api/v1/external/github?api_key={}", f.token)))
        .header("content-type", "application/json")
        .header("X-GitHub-Event", "ping")
        .header("X-Hub-Signature-256", "sha256=0123456789abcdef")
        .body(r#"{"zen":"x"}"#)
        .send()
        .await
        .unwrap();
    assert!(gitlab.status().is_client_error() || gitlab.status().is_success());
    assert!(signed.status().is_client_error());
    let entries = log_until(&stack, &f, "", |e| e.len() >= accepted + 2).await;
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [f.token.as_str(), SECRET, "0123456789abcdef", "api_key"] {
        assert!(!text.contains(secret), "{secret} is in the log: {text}");
    }
    let kept = entries
        .iter()
        .find(|e| e["request_id"] == id.as_str())
        .unwrap();
    assert_eq!(
        kept["body"],
        json!({"text": "deploy done; hook [token]"}).to_string()
    );

    // Every accepted request has met its fate before the dry run, so that
    // a post appearing after it can only be the dry run's.
    stack
        .wait_for_posts(&f.channel_id, accepted, WAIT)
        .await
        .unwrap();
    log_until(&stack, &f, "", |e| {
        e.iter().all(|entry| entry["outcome"] != "in_flight")
    })
    .await;
    let dry = stack
        .api_post(
            &format!("/api/v1/webhooks/{}/deliveries/{id}/dry-run", f.webhook_id),
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(dry["result"], "posts", "{dry}");
    assert_eq!(dry["posts"][0]["message"], "deploy done; hook [token]");
    let posts_before = stack.posts_of(&f.channel_id).await.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posts_after = stack.posts_of(&f.channel_id).await.len();
    assert_eq!(posts_before, posts_after, "a dry run posts nothing");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_keeps_its_cap_and_its_age_limit_and_unknown_tokens_count_by_address() {
    let stack = TestStack::start_with(Services::ALL, |s| s.delivery_log.max_entries = 3)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    // An entry older than the age limit, as an earlier day left it.
    let client = redis::Client::open(stack.settings.redis.url.as_str()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}deliveries:{}", stack.settings.redis.prefix, f.webhook_id);
    let old_ms = chrono::Utc::now().timestamp_millis()
        - (stack.settings.delivery_log.max_age_secs as i64 + 3600) * 1000;
    let old = json!({"request_id": "old", "at_ms": old_ms, "translator": "slack", "status": 200,
        "outcome": "accepted", "body_bytes": 1, "latency_us": 1});
    let _: String = redis::cmd("XADD")
        .arg(&key)
        .arg(format!("{old_ms}-0"))
        .arg("request")
        .arg(old.to_string())
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(
        log(&stack, &f, "").await["deliveries"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "too old to show"
    );
    let mut ids = Vec::new();
    for n in 0..5 {
        let response = stack
            .post_slack(&f.token, &json!({"text": format!("n{n}")}).to_string())
            .await
            .unwrap();
        ids.push(request_id(&response));
    }
    let entries = log_until(&stack, &f, "", |e| {
        e.first()
            .is_some_and(|d| d["request_id"] == ids[4].as_str())
    })
    .await;
    let logged: Vec<&str> = entries
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(logged, [&ids[4], &ids[3], &ids[2]].map(String::as_str));
    let length: usize = redis::cmd("XLEN")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(
        length, 3,
        "the old entry and the two oldest are gone from Redis too"
    );
    // Paged by `next`.
    let page = log(&stack, &f, "?limit=2").await;
    let next = page["next"].as_str().unwrap().to_string();
    let rest = log(&stack, &f, &format!("?limit=2&before={next}")).await;
    assert_eq!(rest["deliveries"][0]["request_id"], ids[2].as_str());
    assert!(rest.get("next").is_none());

    for _ in 0..3 {
        let unknown = stack
            .post_slack("whk_not-a-token", r#"{"text":"x"}"#)
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let sources = stack
            .api_get("/api/v1/deliveries/unknown-tokens")
            .await
            .unwrap();
        if sources["sources"][0]["requests"] == 3 {
            assert_eq!(sources["sources"][0]["address"], "127.0.0.1");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{sources}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.stop().await;
}
