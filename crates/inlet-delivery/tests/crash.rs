//! A delivery killed with SIGKILL again and again while messages stream in,
//! restarted each time (reliability.md F3/F4 for delivery): a kill lands
//! before a commit (the batch is redelivered and stored), between commit and
//! ack (the redelivery finds its posts and writes nothing), or between
//! commit and the Redis publish (the outbox relay publishes later). The
//! outcome is the one a run without crashes gives.

use inlet_testkit::oracle::{assert_exactly, send};
use inlet_testkit::process::{ServiceProcess, assert_the_standby_takes_over_from_a_killed_active};
use inlet_testkit::{Services, TestStack};
use std::time::Duration;

const DELIVERY: &str = env!("CARGO_BIN_EXE_inlet-delivery");

const TOTAL: usize = 300;

/// One sender, `sender0-0` … in order, at a steady pace so the kills land
/// mid-stream. Ingress is never disturbed here: every message must get 200.
async fn stream(stack: &TestStack, token: &str) -> tokio::task::JoinHandle<Vec<String>> {
    let (http, port, token) = (stack.http.clone(), stack.ingress_port, token.to_string());
    tokio::spawn(async move {
        let mut accepted = Vec::new();
        for n in 0..TOTAL {
            let text = format!("sender0-{n}");
            let answer = send(&http, port, &token, &text, None).await;
            assert_eq!(answer.map(|a| a.status), Some(200), "{text}");
            accepted.push(text);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        accepted
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_killed_again_and_again_mid_stream_loses_and_doubles_nothing() {
    let no_delivery = Services {
        delivery: false,
        ..Services::ALL
    };
    let stack = TestStack::start_with(no_delivery, |_| {}).await.unwrap();
    let f = stack.fixture().await.unwrap();
    let mut delivery = ServiceProcess::spawn(DELIVERY, &stack);
    let sender = stream(&stack, &f.token).await;

    for posted in [30, 110, 190] {
        stack
            .wait_for_posts(&f.channel_id, posted, Duration::from_secs(30))
            .await
            .unwrap();
        if posted == 30 {
            assert!(!sender.is_finished(), "the first kill must land mid-stream");
        }
        delivery.kill();
        delivery = ServiceProcess::spawn(DELIVERY, &stack);
    }
    let accepted = sender.await.unwrap();

    assert_exactly(&stack, &f.channel_id, &accepted).await;
    // One sender: the channel's order is its order, message for message.
    let channel: uuid::Uuid = f.channel_id.parse().unwrap();
    let texts: Vec<String> = stack
        .posts(channel)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.message)
        .collect();
    assert_eq!(texts, accepted, "once each, in receipt order");
    // Posts committed by a killed delivery before its Redis publish are
    // published by the outbox relay of the next one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stack.published_seq(channel).await.unwrap() < TOTAL as i64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "posts stored but never published on Redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    delivery.kill();
    stack.stop().await;
}

/// Two delivery processes with one configuration (the first registered is
/// the active consumer of every shard, the second stands by); the active
/// one is SIGKILLed while four senders stream, and the standby carries on
/// (decisions.md 106): the oracle holds, each sender's order included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_of_two_deliveries_sigkilled_under_load_its_standby_keeps_the_order() {
    let no_delivery = Services {
        delivery: false,
        ..Services::ALL
    };
    let stack = TestStack::start_with(no_delivery, |_| {}).await.unwrap();
    assert_the_standby_takes_over_from_a_killed_active(DELIVERY, &stack).await;
    stack.stop().await;
}
