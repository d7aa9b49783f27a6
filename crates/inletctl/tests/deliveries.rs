//! `inletctl webhook deliveries` and `dry-run` against a real stack.

mod common;

use common::inletctl;
use inlet_testkit::TestStack;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhooks_deliveries_are_listed_filtered_and_run_dry_from_the_command_line() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let (ok, text) = inletctl(
        &stack,
        &["webhook", "update", &f.webhook_id, "--keep-bodies", "true"],
    );
    assert!(ok, "{text}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let (good, listed) = 'posting: loop {
        let good = stack
            .post_slack(&f.token, r#"{"text":"from the cli test"}"#)
            .await
            .unwrap();
        assert_eq!(good.status(), 200);
        let id = good.headers()["x-request-id"].to_str().unwrap().to_string();
        // The entry is written in the background and the request posted
        // once delivery stored it: wait for this request's line; its body
        // is kept once the directory has heard of keep_bodies.
        let listed_by = tokio::time::Instant::now() + Duration::from_secs(3);
        let (text, dry) = loop {
            let (ok, text) = inletctl(&stack, &["webhook", "deliveries", &f.webhook_id]);
            assert!(ok, "{text}");
            let line = text.lines().find(|line| line.contains(&id)).unwrap_or("");
            if line.contains("posted") {
                let (_, dry) = inletctl(&stack, &["webhook", "dry-run", &f.webhook_id, &id]);
                if dry.contains("from the cli test") {
                    break 'posting (id, text);
                }
                break (text, dry);
            }
            if tokio::time::Instant::now() > listed_by {
                break (text, String::new());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(tokio::time::Instant::now() < deadline, "{text}\n{dry}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(listed.contains("slack"), "{listed}");
    let bad = stack.post_slack(&f.token, r#"{"text": 1}"#).await.unwrap();
    assert_eq!(bad.status(), 400);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (ok, failed) = inletctl(
            &stack,
            &["webhook", "deliveries", &f.webhook_id, "--failed"],
        );
        assert!(ok, "{failed}");
        if failed.contains("invalid_payload") {
            assert!(
                !failed.contains(&good),
                "--failed lists only failures: {failed}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{failed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.stop().await;
}
