//! talkSpirit threads, emakin cases, waiting for a verdict and sender
//! idempotency, through the running services.

use inlet_testkit::{Fixture, Services, TestStack};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

async fn post_json(
    stack: &TestStack,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = stack.http.post(stack.ingress_url(path)).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn emakin_path(f: &Fixture) -> String {
    format!("/hooks/channels/{}/{}", f.channel_id, f.token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn talkspirit_posts_with_the_same_thread_id_become_comments_of_the_first() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/v1/incoming/{}", f.token);
    let first = json!({"title": "Build 42", "url": "https://ci.example/42", "content": "started", "thread_id": "build-42"});
    let (status, body) = post_json(&stack, &path, first, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["ok"], true);
    assert!(body["id"].is_string());
    let (status, _) = post_json(
        &stack,
        &path,
        json!({"content": "passed", "thread_id": "build-42"}),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    assert!(
        posts[0]
            .message
            .starts_with("**[Build 42](https://ci.example/42)**"),
        "{}",
        posts[0].message
    );
    assert_eq!(posts[0].root_id, None);
    assert_eq!(posts[1].root_id, Some(posts[0].id));
    let (status, body) = post_json(&stack, &path, json!({"title": ""}), &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("no_text")));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emakin_case_opens_once_and_its_updates_join_its_thread() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = emakin_path(&f);
    let (status, opened) = post_json(
        &stack,
        &path,
        json!({"text": "Printer on fire", "id": "INC-1"}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["ok"], true);
    assert_eq!(opened["case_id"], "INC-1");
    assert_eq!(opened["posts"][0]["id"], opened["post_id"]);
    assert_eq!(opened["posts"][0]["case_id"], "INC-1");

    let (status, again) = post_json(
        &stack,
        &path,
        json!({"text": "Printer on fire", "id": "INC-1"}),
        &[],
    )
    .await;
    assert_eq!(
        (status, again["error"].as_str(), again["detail"].as_str()),
        (409, Some("already_reported"), Some("already reported"))
    );

    let (status, _) = post_json(
        &stack,
        &path,
        json!({"text": "Fire is out", "references": ["INC-1"]}),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let unknown = json!({"text": "About the other one", "references": ["INC-404"]});
    let (status, lost) = post_json(&stack, &format!("{path}?wait=true"), unknown, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(lost["unresolved_references"], json!(["INC-404"]));
    assert_eq!(lost["posts"][0]["root_id"], Value::Null);
    assert_eq!(
        lost["posts"][0]["props"]["unresolved_references"],
        json!(["INC-404"])
    );

    let case = stack
        .api_get(&format!("/api/v1/channels/{}/cases/INC-1", f.channel_id))
        .await
        .unwrap();
    let messages: Vec<&str> = case["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, vec!["Printer on fire", "Fire is out"]);
    assert_eq!(case["root_pending"], false);

    let wrong = format!("/hooks/channels/{}/{}", uuid::Uuid::now_v7(), f.token);
    let (status, body) = post_json(&stack, &wrong, json!({"text": "x"}), &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("channel_not_found"))
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_true_answers_the_posts_the_read_api_then_returns() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/hooks/{}?wait=true", f.token);
    let (status, body) = post_json(
        &stack,
        &path,
        json!({"text": "hello", "thread_key": "k"}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    let answered = &body["posts"][0];
    assert_eq!(answered["seq"], 1);
    let read = stack
        .api_get(&format!(
            "/api/v1/posts/{}",
            answered["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(&read, answered, "the verdict and the read API agree");
    let thread = stack
        .api_get(&format!(
            "/api/v1/posts/{}/thread",
            answered["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(thread["posts"][0], read);
    // A refusal in the pipeline comes back too (JSON, with its status).
    let (status, body) = post_json(
        &stack,
        &path,
        json!({"text": "x", "channel": "missing"}),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("channel_not_found"))
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_pipeline_answers_202_and_still_posts() {
    let no_formatter = Services {
        formatter: false,
        ..Services::ALL
    };
    let mut stack = TestStack::start_with(no_formatter, |s| s.ingress.wait_timeout_ms = 300)
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    let (status, body) = post_json(
        &stack,
        &format!("/hooks/{}?wait=true", f.token),
        json!({"text": "later"}),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["pending"].as_bool()),
        (202, Some(true)),
        "{body}"
    );
    stack.spawn(Services::FORMATTER).await.unwrap();
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(
        posts[0].message_id.to_string(),
        body["id"].as_str().unwrap()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_answers_the_first_verdict_and_posts_nothing() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let path = format!("/hooks/{}?wait=true", f.token);
    let key = [("Idempotency-Key", "delivery-7")];
    let (status, first) = post_json(&stack, &path, json!({"text": "once"}), &key).await;
    assert_eq!(status, 200);
    let (status, second) = post_json(&stack, &path, json!({"text": "once"}), &key).await;
    assert_eq!(status, 200);
    assert_eq!(second, first, "the repeat gets the first verdict");
    // Without waiting, the repeat gets the first message id.
    let response = stack
        .post_hook(
            &f.token,
            &[("Idempotency-Key", "delivery-7")],
            r#"{"text":"once"}"#,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-request-id"].to_str().unwrap(),
        first["id"].as_str().unwrap()
    );
    assert_eq!(
        stack.slack_status(&f.token, r#"{"text":"after"}"#).await,
        200
    );
    let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, vec!["once", "after"]);
    stack.stop().await;
}

/// Two formatter and two delivery replicas.
async fn replicated_stack() -> (TestStack, Fixture) {
    let mut stack = TestStack::start_with(Services::ALL, |s| {
        s.formatter.replicas = 2;
        s.delivery.replicas = 2;
    })
    .await
    .unwrap();
    let second = Services::FORMATTER.and(Services::DELIVERY);
    stack
        .spawn_with(second, |s| {
            s.formatter.replica_index = 1;
            s.delivery.replica_index = 1;
        })
        .await
        .unwrap();
    let f = stack.fixture().await.unwrap();
    (stack, f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_openings_of_one_case_make_one_case_and_fifteen_already_reported() {
    let (stack, f) = replicated_stack().await;
    let path = emakin_path(&f);
    let senders = (0..16).map(|i| {
        let (http, url) = (stack.http.clone(), stack.ingress_url(&path));
        tokio::spawn(async move {
            let body = json!({"text": format!("opening {i}"), "id": "INC-9"});
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for sender in senders.collect::<Vec<_>>() {
        statuses.push(sender.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [vec![200], vec![409; 15]].concat());
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(
        posts
            .iter()
            .filter(|p| p.case_id.as_deref() == Some("INC-9"))
            .count(),
        1
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_on_shared_thread_keys_get_one_root_per_key_and_ordered_replies() {
    let (stack, f) = replicated_stack().await;
    let (senders, per_sender, keys) = (8, 200, 20);
    let tasks = (0..senders).map(|s| {
        let (http, url) = (stack.http.clone(), stack.hook_url(&f.token));
        tokio::spawn(async move {
            for n in 0..per_sender {
                let body = json!({"text": format!("s{s} n{n}"), "thread_key": format!("key-{}", (s + n) % keys)});
                let status = http.post(&url).json(&body).send().await.unwrap().status();
                assert_eq!(status, 200);
            }
        })
    });
    for task in tasks.collect::<Vec<_>>() {
        task.await.unwrap();
    }
    let total = senders * per_sender;
    let posts = stack
        .wait_for_posts(&f.channel_id, total, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(posts.len(), total);
    assert_eq!(
        posts.iter().map(|p| p.seq).collect::<Vec<_>>(),
        (1..=total as i64).collect::<Vec<_>>()
    );
    let mut roots = std::collections::HashMap::new();
    for post in posts.iter().filter(|p| p.root_id.is_none()) {
        assert!(
            roots
                .insert(post.thread_key.clone().unwrap(), post.id)
                .is_none(),
            "two roots for one key"
        );
    }
    assert_eq!(roots.len(), keys);
    for post in &posts {
        let root = roots[post.thread_key.as_ref().unwrap()];
        assert!(
            post.id == root || post.root_id == Some(root),
            "{} is outside its thread",
            post.message
        );
    }
    // Each sender's posts on each key appear in the order it sent them.
    let mut last: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for post in &posts {
        let (sender, n) = post.message.split_once(' ').unwrap();
        let n: usize = n.trim_start_matches('n').parse().unwrap();
        let slot = last
            .entry((sender.to_string(), post.thread_key.clone().unwrap()))
            .or_insert(0);
        assert!(n >= *slot, "{} came after n{}", post.message, slot);
        *slot = n;
    }
    stack.stop().await;
}
