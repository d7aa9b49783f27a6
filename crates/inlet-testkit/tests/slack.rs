//! The Slack dialect through the running services: channel overrides,
//! direct messages, locked, private, archived and cross-team cases, threads
//! and long messages.

use inlet_testkit::{Fixture, TestStack};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

async fn send(stack: &TestStack, f: &Fixture, body: Value) -> (StatusCode, String) {
    let response = stack.post_slack(&f.token, &body.to_string()).await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn patch_webhook(stack: &TestStack, f: &Fixture, body: Value) {
    stack.patch_webhook(&f.webhook_id, body).await;
}

/// Retries `body` until the answer is `expected` (a cache invalidation
/// travels through Redis), failing after a few seconds.
async fn eventually(stack: &TestStack, f: &Fixture, body: Value, expected: StatusCode) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, text) = send(stack, f, body.clone()).await;
        if status == expected {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {status} {text}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_goes_to_a_direct_channel_created_on_first_use() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let alice = stack.create_user(&f.team_id, "alice").await;
    assert_eq!(
        send(&stack, &f, json!({"text": "psst", "channel": "@alice"}))
            .await
            .0,
        200
    );
    assert_eq!(
        send(&stack, &f, json!({"text": "again", "channel": "@Alice"}))
            .await
            .0,
        200
    );
    let (status, body) = send(&stack, &f, json!({"text": "x", "channel": "@nobody"})).await;
    assert_eq!((status.as_u16(), body.as_str()), (400, "user_not_found"));

    let db = stack.pool.get().await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let channel_id: uuid::Uuid = loop {
        let row = db
            .query_opt(
                "SELECT id FROM channels WHERE kind = 'direct' AND team_id = $1",
                &[&f.team_id.parse::<uuid::Uuid>().unwrap()],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            break row.get(0);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no direct channel was created"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    let posts = stack
        .wait_for_posts(&channel_id.to_string(), 2, WAIT)
        .await
        .unwrap();
    assert_eq!(
        posts.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
        vec!["psst", "again"]
    );
    let members: Vec<uuid::Uuid> = db
        .query(
            "SELECT user_id FROM channel_members WHERE channel_id = $1 ORDER BY user_id",
            &[&channel_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut expected: Vec<uuid::Uuid> = vec![f.owner_id.parse().unwrap(), alice.parse().unwrap()];
    expected.sort();
    assert_eq!(members, expected);
    assert!(stack.posts_of(&f.channel_id).await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_webhook_refuses_other_channels_and_direct_messages() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    stack
        .create_channel(&f.team_id, json!({"name": "ops"}))
        .await;
    stack.create_user(&f.team_id, "alice").await;
    patch_webhook(&stack, &f, json!({"channel_locked": true})).await;
    let refused = eventually(
        &stack,
        &f,
        json!({"text": "x", "channel": "ops"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(refused, "action_prohibited");
    let (status, body) = send(&stack, &f, json!({"text": "x", "channel": "@alice"})).await;
    assert_eq!((status.as_u16(), body.as_str()), (403, "action_prohibited"));
    let (status, _) = send(
        &stack,
        &f,
        json!({"text": "home", "channel": "town-square"}),
    )
    .await;
    assert_eq!(status, 200, "its own channel by name is fine");
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(posts.len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_channel_takes_posts_only_when_the_owner_is_a_member() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let secret = stack
        .create_channel(&f.team_id, json!({"name": "secret", "private": true}))
        .await;
    let refused = eventually(
        &stack,
        &f,
        json!({"text": "x", "channel": "secret"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(refused, "action_prohibited");
    let add = stack
        .http
        .put(stack.api_url(&format!(
            "/api/v1/channels/{}/members/{}",
            &secret, f.owner_id
        )))
        .bearer_auth(&stack.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), 204);
    eventually(
        &stack,
        &f,
        json!({"text": "inside", "channel": "secret"}),
        StatusCode::OK,
    )
    .await;
    let posts = stack.wait_for_posts(&secret, 1, WAIT).await.unwrap();
    assert_eq!(posts[0].message, "inside");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archived_channel_answers_410_as_soon_as_it_is_archived() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    assert_eq!(send(&stack, &f, json!({"text": "before"})).await.0, 200);
    // Posted before the archive (a message still in flight when the channel
    // is archived is dead-lettered by the formatter, by design).
    stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    stack.archive_channel(&f.channel_id).await;
    let body = eventually(&stack, &f, json!({"text": "after"}), StatusCode::GONE).await;
    assert_eq!(body, "channel_is_archived");
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(
        posts.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
        vec!["before"]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_channel_is_out_of_reach() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let other = stack.fixture().await.unwrap();
    let (status, body) = send(
        &stack,
        &f,
        json!({"text": "x", "channel": other.channel_id}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (403, "action_prohibited"),
        "another team's channel id"
    );
    let (status, body) = send(&stack, &f, json!({"text": "x", "channel": "nowhere"})).await;
    assert_eq!((status.as_u16(), body.as_str()), (404, "channel_not_found"));
    // Both teams have a "town-square": a name resolves inside the webhook's team.
    assert_eq!(
        send(
            &stack,
            &f,
            json!({"text": "mine", "channel": "#town-square"})
        )
        .await
        .0,
        200
    );
    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(posts[0].message, "mine");
    assert!(stack.posts_of(&other.channel_id).await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_webhook_answers_no_service_until_enabled() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    patch_webhook(&stack, &f, json!({"enabled": false})).await;
    assert_eq!(
        eventually(&stack, &f, json!({"text": "x"}), StatusCode::NOT_FOUND).await,
        "no_service"
    );
    patch_webhook(&stack, &f, json!({"enabled": true})).await;
    eventually(&stack, &f, json!({"text": "back"}), StatusCode::OK).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_post_with_a_thread_key_is_the_root_of_the_others() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    for (text, key) in [
        ("deploy started", "deploy-42"),
        ("other", "deploy-43"),
        ("step 1", "deploy-42"),
        ("done", "deploy-42"),
    ] {
        assert_eq!(
            send(&stack, &f, json!({"text": text, "thread_key": key}))
                .await
                .0,
            200
        );
    }
    let posts = stack.wait_for_posts(&f.channel_id, 4, WAIT).await.unwrap();
    let root = &posts[0];
    assert_eq!(
        (root.message.as_str(), root.root_id),
        ("deploy started", None)
    );
    assert_eq!(posts[1].root_id, None, "another key is another thread");
    for reply in &posts[2..] {
        assert_eq!(reply.root_id, Some(root.id), "{}", reply.message);
        assert_eq!(reply.thread_key.as_deref(), Some("deploy-42"));
    }
    // An explicit root_id joins that thread; an unknown one becomes a root.
    assert_eq!(
        send(
            &stack,
            &f,
            json!({"text": "by id", "root_id": root.id.to_string()})
        )
        .await
        .0,
        200
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        send(&stack, &f, json!({"text": "lost", "root_id": unknown}))
            .await
            .0,
        200
    );
    let posts = stack.wait_for_posts(&f.channel_id, 6, WAIT).await.unwrap();
    assert_eq!(posts[4].root_id, Some(root.id));
    assert_eq!(posts[5].root_id, None);
    assert_eq!(posts[5].props["unresolved_root_id"], unknown.as_str());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_text_becomes_a_thread_of_parts_that_join_back() {
    let stack = TestStack::start_with(inlet_testkit::Services::ALL, |s| {
        s.limits.max_post_runes = 64
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    let text: String = (0..40)
        .map(|i| format!("line {i} of the report\n"))
        .collect();
    let attachment = json!({"fallback": "summary", "text": "the end"});
    assert_eq!(
        send(
            &stack,
            &f,
            json!({"text": text, "attachments": [attachment]})
        )
        .await
        .0,
        200
    );
    let parts = text.chars().count().div_ceil(64);
    let posts = stack
        .wait_for_posts(&f.channel_id, parts, WAIT)
        .await
        .unwrap();
    assert!(posts.len() >= parts);
    let joined: String = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(joined, text);
    assert!(posts.iter().all(|p| p.message.chars().count() <= 64));
    assert_eq!(posts[0].root_id, None);
    assert!(posts[1..].iter().all(|p| p.root_id == Some(posts[0].id)));
    assert!(
        posts[..posts.len() - 1]
            .iter()
            .all(|p| p.props.get("attachments").is_none())
    );
    assert!(
        posts.last().unwrap().props["attachments"].is_array(),
        "attachments ride on the last part"
    );
    let parts_seen: Vec<i32> = posts.iter().map(|p| p.part).collect();
    assert_eq!(parts_seen, (0..posts.len() as i32).collect::<Vec<_>>());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_bodies_markup_and_mentions_arrive_as_markdown() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    stack.create_user(&f.team_id, "alice").await;
    let boundary = "XyZ";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n<!here> build <https://ci.example/1|#1> failed, ping <@alice>\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nci\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let headers = [("content-type", content_type.as_str())];
    let response = stack.post_hook(&f.token, &headers, multipart).await;
    assert_eq!(response.status(), 200);
    let latin1 = stack
        .post_hook(
            &f.token,
            &[("content-type", "application/json; charset=iso-8859-1")],
            r#"{"text":"x"}"#,
        )
        .await;
    assert_eq!(latin1.status(), 415);
    assert_eq!(latin1.text().await.unwrap(), "unsupported_media_type");

    let posts = stack.wait_for_posts(&f.channel_id, 1, WAIT).await.unwrap();
    assert_eq!(
        posts[0].message,
        "`@here` build [#1](https://ci.example/1) failed, ping @alice"
    );
    assert_eq!(posts[0].username, "ci");
    // Once allowed, channel mentions notify.
    patch_webhook(&stack, &f, json!({"allow_channel_mentions": true})).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        assert_eq!(
            send(&stack, &f, json!({"text": "<!channel> deploy"}))
                .await
                .0,
            200
        );
        let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
        if posts.last().unwrap().message == "@channel deploy" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the setting never reached the formatter"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}
