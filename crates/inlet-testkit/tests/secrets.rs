//! Secrets never stored (reliability.md, Security): a vendor's secret or
//! signature header is read by ingress's check and never carried past it,
//! so it is in no RabbitMQ message, no dead letter, no API answer and no
//! log line; dead letters stored before that rule lose theirs to migration 5.

use inlet_proto::Message;
use inlet_proto::v1::{Header, RawWebhook};
use inlet_testkit::{Services, TestStack};
use std::time::Duration;

const SECRET: &str = "gitlab-shared-secret-7d41c9";

fn gitlab_push() -> Vec<u8> {
    let path = format!(
        "{}/../inlet-dialects/tests/fixtures/integrations/gitlab/push.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A GitLab request signed with the webhook's secret (`X-Gitlab-Token`) is
/// dead-lettered (its channel archived before the formatter sees it): the
/// dead letter, as stored (the raw message as RabbitMQ carried it) and as the
/// API shows it, has the event header but not the secret; nor has the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signing_secret_sent_as_a_header_is_never_stored_or_shown() {
    inlet_testkit::log_capture::install();
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    stack
        .patch_webhook(
            &f.webhook_id,
            serde_json::json!({ "signing_secret": SECRET }),
        )
        .await;
    let url = stack.ingress_url(&format!("/api/v1/external/gitlab?api_key={}", f.token));
    let http = stack.http.clone();
    let send = |token: &'static str| {
        http.post(&url)
            .header("content-type", "application/json")
            .header("X-Gitlab-Event", "Push Hook")
            .header("X-Gitlab-Token", token)
            .body(gitlab_push())
            .send()
    };
    // The directory cache learns of the new secret through Redis.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while send("not-the-secret").await.unwrap().status() != 401 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the secret is not checked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Held in the raw queue while the channel is archived.
    stack.stop_service("formatter").await;
    let accepted = send(SECRET).await.unwrap();
    assert_eq!(accepted.status(), 200);
    stack
        .api_post(
            &format!("/api/v1/channels/{}/archive", f.channel_id),
            serde_json::json!({}),
        )
        .await
        .unwrap();
    stack.spawn(Services::FORMATTER).await.unwrap();

    let client = stack.pool.get().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (id, payload) = loop {
        let row = client
            .query_opt("SELECT id::text, payload FROM dead_letters", &[])
            .await
            .unwrap();
        if let Some(row) = row {
            break (row.get::<_, String>(0), row.get::<_, Vec<u8>>(1));
        }
        assert!(tokio::time::Instant::now() < deadline, "no dead letter");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let raw = RawWebhook::decode(payload.as_slice()).unwrap();
    let names: Vec<&str> = raw.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["x-gitlab-event"], "only what the translation reads");
    assert!(
        !contains(&payload, SECRET),
        "the secret reached RabbitMQ and the dead letter"
    );

    let shown = stack
        .api_get_text(&format!("/api/v1/dead-letters/{id}"))
        .await
        .unwrap();
    assert!(shown.contains("x-gitlab-event"), "{shown}");
    assert!(!shown.contains(SECRET), "the API shows the secret: {shown}");
    let listed = stack.api_get_text("/api/v1/dead-letters").await.unwrap();
    assert!(!listed.contains(SECRET));
    let log = inlet_testkit::log_capture::captured();
    assert!(!log.contains(SECRET), "the secret reached the log");
    stack.stop().await;
}

/// Migration 5 removes every header no translation reads from the raw
/// webhooks of stored dead letters, and leaves the rest byte for byte (a
/// payload that does not parse as well).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_removes_secret_headers_from_stored_dead_letters() {
    let stack = TestStack::start_with(Services::NONE, |_| {}).await.unwrap();
    let header = |name: &str, value: &str| Header {
        name: name.into(),
        value: value.into(),
    };
    let stored = RawWebhook {
        message_id: "01a24e19-0000-7000-8000-000000000001".into(),
        webhook_id: "01a24e19-0000-7000-8000-000000000002".into(),
        dialect: "integration/gitlab".into(),
        received_at_micros: 1_765_000_000_000_000,
        content_type: "application/json".into(),
        body: br#"{"object_kind":"push"}"#.to_vec(),
        headers: vec![
            header("x-gitlab-token", SECRET),
            header("x-gitlab-event", "Push Hook"),
            header("x-hub-signature-256", "sha256=00ff"),
            header("x-gitlab-event-uuid", "u-1"),
            header("user-agent", "GitLab/17"),
        ],
        wait: true,
        ..Default::default()
    };
    let undecodable = format!("not protobuf {SECRET}").into_bytes();
    let client = stack.pool.get().await.unwrap();
    for (stage, payload) in [
        ("formatter", stored.encode_to_vec()),
        ("formatter", undecodable.clone()),
    ] {
        client
            .execute(
                "INSERT INTO dead_letters (id, message_id, stage, reason, detail, payload)
                 VALUES (gen_random_uuid(), gen_random_uuid(), $1, 'channel_is_archived', '', $2)",
                &[&stage, &payload],
            )
            .await
            .unwrap();
    }
    let (_, name, sql) = inlet_store::migrate::MIGRATIONS[4];
    assert_eq!(name, "scrub_secret_headers");
    client.batch_execute(sql).await.unwrap();

    let payloads: Vec<Vec<u8>> = client
        .query(
            "SELECT payload FROM dead_letters ORDER BY length(payload) DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let scrubbed = RawWebhook::decode(payloads[0].as_slice()).unwrap();
    let expected = RawWebhook {
        headers: vec![
            header("x-gitlab-event", "Push Hook"),
            header("x-gitlab-event-uuid", "u-1"),
        ],
        ..stored
    };
    assert_eq!(scrubbed, expected);
    assert_eq!(
        payloads[1], undecodable,
        "what does not parse is left alone"
    );
    stack.stop().await;
}
