//! Replicas (reliability.md, promise 2): two ingress, two formatter and two
//! delivery instances with the same configuration share the work; an
//! ingress is killed under load and the other carries on. Only Inlet's own
//! services are disturbed, so this runs against the machine's shared
//! servers (its own database and prefixes). Ends with the oracle: exactly
//! the 2xx messages, once each, in order, seq gap-free. The formatter and
//! delivery replicas are killed as real processes, with SIGKILL, in their
//! crates' `crash.rs`: the in-process kill is no crash (a dropped worker's
//! connection tasks may run on), and the reordering it showed does not
//! happen there (decisions.md 106).

use inlet_testkit::oracle::{Senders, assert_exactly};
use inlet_testkit::{Services, TestStack};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Ingress, formatter and delivery.
const PIPELINE: Services = Services {
    ingress: true,
    formatter: true,
    delivery: true,
    api: false,
};

/// What one worker instance has done: the sum of a counter's series with
/// `outcome` (formatter: raw webhooks posted; delivery: posts stored).
async fn work_done(stack: &TestStack, ops_port: u16, service: &str) -> f64 {
    let (metric, outcome) = match service {
        "formatter" => ("inlet_formatter_messages_total{", "outcome=\"posted\""),
        _ => ("inlet_delivery_posts_total{", "outcome=\"stored\""),
    };
    let text = stack
        .http
        .get(format!("http://127.0.0.1:{ops_port}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{service} on ops port {ops_port}: {e:?}"))
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| line.starts_with(metric) && line.contains(outcome))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Waits until the channel holds `count` posts; how long that took.
async fn posts_reach(stack: &TestStack, channel_id: &str, count: usize) -> Duration {
    let started = Instant::now();
    let channel: uuid::Uuid = channel_id.parse().unwrap();
    while stack.posts(channel).await.unwrap().len() < count {
        assert!(
            started.elapsed() < Duration::from_secs(45),
            "posts stopped short of {count}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// Two instances of each service with the same settings (each registers on
/// every shard; the broker makes the first registered the active consumer
/// and keeps the other as standby). Two groups of senders stream, one per
/// ingress, as a load balancer spreads them. The `kill`ed services (in
/// order) are killed one after the other; after each, posts resume through
/// the other instance (a worker's standby shows work of its own), and the
/// time until they do is printed (operations.md, "Recovery times").
async fn kill_one_replica_of_each_under_load(kill: &[&str]) {
    let mut stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let first_ingress = stack.ingress_port;
    let first_ops = |stack: &TestStack, s: &str| stack.ops_ports[s];
    let active = [
        ("formatter", first_ops(&stack, "formatter")),
        ("delivery", first_ops(&stack, "delivery")),
    ];
    stack.spawn(PIPELINE).await.unwrap();
    let second_ingress = stack.ingress_port;
    let standby = [
        ("formatter", first_ops(&stack, "formatter")),
        ("delivery", first_ops(&stack, "delivery")),
    ];
    assert_ne!(first_ingress, second_ingress);

    let left_port = Arc::new(AtomicU16::new(first_ingress));
    let right_port = Arc::new(AtomicU16::new(second_ingress));
    let left = Senders::start_named(stack.http.clone(), left_port.clone(), &f.token, "left", 2);
    let right = Senders::start_named(stack.http.clone(), right_port, &f.token, "right", 2);
    left.wait_for_progress(50, Duration::from_secs(30)).await;
    right.wait_for_progress(50, Duration::from_secs(30)).await;

    // The first instances do the work; the second ones stand by.
    for ((service, active), (_, standby)) in active.into_iter().zip(standby) {
        assert!(work_done(&stack, active, service).await > 0.0, "{service}");
        assert_eq!(work_done(&stack, standby, service).await, 0.0, "{service}");
    }

    for service in kill {
        let accepted = left.accepted_so_far() + right.accepted_so_far();
        stack.kill_first(service).await;
        if *service == "ingress" {
            // The load balancer drops the dead instance; its senders move.
            left_port.store(second_ingress, Ordering::Relaxed);
        }
        // Everything accepted so far, and 50 more, posted: the standby
        // (or the other ingress) carries the stream.
        let took = posts_reach(&stack, &f.channel_id, accepted + 50).await;
        eprintln!("{service} killed: posts resumed within {took:?}");
        if let Some((_, standby)) = standby.iter().find(|(s, _)| s == service) {
            assert!(
                work_done(&stack, *standby, service).await > 0.0,
                "the standby {service} never took over"
            );
        }
    }
    let mut accepted = left.finish().await;
    accepted.extend(right.finish().await);
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}

/// A request in flight on the killed ingress has claimed its
/// `Idempotency-Key` but is never confirmed; the sender's retry on the
/// other ingress is told to retry (503) until the claim is stale, then
/// takes it over and publishes under the first message id (decisions.md
/// 76): nothing is lost, nothing doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_of_two_ingress_under_load_loses_nothing() {
    kill_one_replica_of_each_under_load(&["ingress"]).await;
}
