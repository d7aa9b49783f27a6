//! Limits on management input, through the API: every field past its
//! limit is `400 bad_request` naming the field, and nothing is stored;
//! exactly at the limit it is accepted. Mention keywords are not usernames.

use inlet_testkit::{Fixture, Services, TestStack};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(stack: &TestStack, method: Method, path: &str, body: &Value) -> (u16, Value) {
    let response = stack
        .http
        .request(method, stack.api_url(path))
        .bearer_auth(&stack.admin_token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Rows of every table the management API writes, and the fixture's
/// webhook as stored: what a refused request must leave as it was.
async fn stored(stack: &TestStack, f: &Fixture) -> Vec<String> {
    let client = stack.pool.get().await.unwrap();
    let mut rows = Vec::new();
    for table in ["teams", "users", "channels", "webhooks"] {
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        rows.push(format!("{table}: {count}"));
    }
    let webhook: uuid::Uuid = f.webhook_id.parse().unwrap();
    let row = client
        .query_one(
            "SELECT row_to_json(w)::text FROM webhooks w WHERE id = $1",
            &[&webhook],
        )
        .await
        .unwrap();
    rows.push(row.get(0));
    rows
}

/// The requests of each create and update endpoint that takes a limited
/// field: (method, path, body, the field at fault), one field past its
/// limit at a time.
fn over_the_limits(f: &Fixture) -> Vec<(Method, String, Value, &'static str)> {
    let long = |n: usize| "é".repeat(n);
    let url = |bytes: usize| {
        let prefix = "https://example.com/";
        format!("{prefix}{}", "a".repeat(bytes - prefix.len()))
    };
    let webhook = |field: &str, value: Value| {
        let mut body = json!({"channel_id": f.channel_id, "owner_id": f.owner_id});
        body[field] = value;
        body
    };
    let patch = format!("/api/v1/webhooks/{}", f.webhook_id);
    let mut cases = vec![
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "t1", "display_name": long(65)}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "t".repeat(65)}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"team_id": f.team_id, "username": "u".repeat(65)}),
            "username",
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            json!({"team_id": f.team_id, "username": "u1", "display_name": long(65)}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/v1/channels".into(),
            json!({"team_id": f.team_id, "name": "c".repeat(65)}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/channels".into(),
            json!({"team_id": f.team_id, "name": "c1", "display_name": long(65)}),
            "display_name",
        ),
    ];
    for username in ["all", "channel", "here", "ALL", "Here"] {
        cases.push((
            Method::POST,
            "/api/v1/users".into(),
            json!({"team_id": f.team_id, "username": username}),
            "username",
        ));
    }
    let webhook_fields = [
        ("display_name", json!(long(65))),
        ("description", json!(long(1025))),
        ("username", json!(long(65))),
        ("icon_url", json!(url(2049))),
        ("icon_url", json!("ftp://example.com/a.png")),
        ("signing_secret", json!("1234567")),
        ("signing_secret", json!("s".repeat(257))),
    ];
    for (field, value) in webhook_fields {
        cases.push((
            Method::POST,
            "/api/v1/webhooks".into(),
            webhook(field, value.clone()),
            field,
        ));
        cases.push((Method::PATCH, patch.clone(), json!({ field: value }), field));
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_past_its_limit_is_a_400_naming_it_and_stores_nothing() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let before = stored(&stack, &f).await;
    let cases = over_the_limits(&f);
    for (method, path, body, field) in &cases {
        let (status, answer) = call(&stack, method.clone(), path, body).await;
        assert_eq!(status, 400, "{method} {path} {field}: {answer}");
        assert_eq!(answer["error"], "bad_request", "{answer}");
        assert_eq!(answer["field"], *field, "{method} {path}: {answer}");
        assert!(
            answer["detail"].as_str().unwrap().starts_with(field),
            "{answer}"
        );
    }
    assert_eq!(
        stored(&stack, &f).await,
        before,
        "a refused request stored something"
    );
    assert!(cases.len() >= 25, "{} cases", cases.len());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_exactly_at_its_limit_is_accepted() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let long = |n: usize| "é".repeat(n);
    let icon = format!("https://example.com/{}", "a".repeat(2048 - 20));
    assert_eq!(icon.len(), 2048);
    let accepted = [
        (
            Method::POST,
            "/api/v1/teams".to_string(),
            json!({"name": "t".repeat(64), "display_name": long(64)}),
        ),
        (
            Method::POST,
            "/api/v1/users".to_string(),
            json!({"team_id": f.team_id, "username": "u".repeat(64), "display_name": long(64)}),
        ),
        (
            Method::POST,
            "/api/v1/channels".to_string(),
            json!({"team_id": f.team_id, "name": "c".repeat(64), "display_name": long(64)}),
        ),
        (
            Method::POST,
            "/api/v1/webhooks".to_string(),
            json!({
                "channel_id": f.channel_id, "owner_id": f.owner_id,
                "display_name": long(64), "description": long(1024), "username": long(64),
                "icon_url": icon, "signing_secret": "s".repeat(256),
            }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/webhooks/{}", f.webhook_id),
            json!({
                "display_name": long(64), "description": long(1024), "username": long(64),
                "icon_url": icon, "signing_secret": "12345678",
            }),
        ),
    ];
    for (method, path, body) in accepted {
        let (status, answer) = call(&stack, method.clone(), &path, &body).await;
        assert!(
            status == 200 || status == 201,
            "{method} {path}: {status} {answer}"
        );
    }
    stack.stop().await;
}
