//! A formatter killed with SIGKILL mid-stream and restarted: the final state
//! is the one a run without the crash gives — every accepted message posted
//! once, in receipt order, one root per thread key, seq gap-free.

use inlet_testkit::process::{ServiceProcess, assert_the_standby_takes_over_from_a_killed_active};
use inlet_testkit::{Services, TestStack};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

const FORMATTER: &str = env!("CARGO_BIN_EXE_inlet-formatter");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formatter_killed_mid_stream_changes_nothing_in_the_outcome() {
    let no_formatter = Services {
        formatter: false,
        ..Services::ALL
    };
    let stack = TestStack::start_with(no_formatter, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let formatter = ServiceProcess::spawn(FORMATTER, &stack);

    let total = 400;
    let sender = {
        let (http, url) = (
            stack.http.clone(),
            stack.ingress_url(&format!("/hooks/{}", f.token)),
        );
        tokio::spawn(async move {
            for n in 0..total {
                let body = json!({"text": format!("n{n}"), "thread_key": format!("key-{}", n % 5)});
                assert_eq!(
                    http.post(&url).json(&body).send().await.unwrap().status(),
                    200
                );
            }
        })
    };
    stack
        .wait_for_posts(&f.channel_id, 40, Duration::from_secs(30))
        .await
        .unwrap();
    formatter.kill();
    let restarted = ServiceProcess::spawn(FORMATTER, &stack);
    sender.await.unwrap();

    let posts = stack
        .wait_for_posts(&f.channel_id, total, Duration::from_secs(60))
        .await
        .unwrap();
    let texts: Vec<String> = posts.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        texts,
        (0..total).map(|n| format!("n{n}")).collect::<Vec<_>>(),
        "once each, in receipt order"
    );
    assert_eq!(
        posts.iter().map(|p| p.seq).collect::<Vec<_>>(),
        (1..=total as i64).collect::<Vec<_>>()
    );
    let mut roots = HashMap::new();
    for post in &posts {
        let key = post.thread_key.clone().unwrap();
        match post.root_id {
            None => assert!(
                roots.insert(key, post.id).is_none(),
                "a second root for {}",
                post.message
            ),
            Some(root) => assert_eq!(
                Some(&root),
                roots.get(&key),
                "{} is outside its thread",
                post.message
            ),
        }
    }
    assert_eq!(roots.len(), 5);
    restarted.kill();
    stack.stop().await;
}

/// Two formatter processes with one configuration (the first registered is
/// the active consumer of every shard, the second stands by); the active
/// one is SIGKILLed while four senders stream, and the standby carries on
/// (decisions.md 106): the oracle holds, each sender's order included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_of_two_formatters_sigkilled_under_load_its_standby_keeps_the_order() {
    let no_formatter = Services {
        formatter: false,
        ..Services::ALL
    };
    let stack = TestStack::start_with(no_formatter, |_| {}).await.unwrap();
    assert_the_standby_takes_over_from_a_killed_active(FORMATTER, &stack).await;
    stack.stop().await;
}
