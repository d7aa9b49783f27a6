//! A broker that accepts connections and then never answers (a hung node,
//! a half-open load balancer) must not hold a service for ever: the
//! consumer and the publisher give up on the attempt after
//! `amqp.open_timeout_ms` and try again.

use inlet_bus::{ConsumerSet, Consuming, Hop, LaneSpec, Publisher};
use inlet_core::settings::AmqpSettings;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Accepts connections and keeps them open without a byte; counts them.
async fn silent_broker() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("amqp://guest:guest@{}/%2f", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

fn settings(url: String) -> AmqpSettings {
    AmqpSettings {
        url,
        shards: 2,
        open_timeout_ms: 300,
        reconnect_max_backoff_ms: 100,
        ..AmqpSettings::default()
    }
}

async fn wait_for_attempts(accepted: &AtomicUsize, attempts: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while accepted.load(Ordering::SeqCst) < attempts {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} connection attempts in 10 s",
            accepted.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_consumer_gives_up_on_a_silent_broker_and_tries_again() {
    let (url, accepted) = silent_broker().await;
    let amqp = settings(url);
    let consuming = Consuming::default();
    let cancel = CancellationToken::new();
    let spec = LaneSpec {
        name: "silent-test",
        hop: Hop::Raw,
        prefetch: 1,
        replica_index: 0,
        replicas: 1,
        lanes: 1,
        standby_delay: Duration::ZERO,
    };
    let stop = cancel.clone();
    let stopper = async {
        wait_for_attempts(&accepted, 3).await;
        stop.cancel();
    };
    let consume = |set: ConsumerSet, _round: CancellationToken| async move { set };
    let run = inlet_bus::run_lanes(&amqp, spec, &consuming, &cancel, consume);
    // The loop also stops on cancel while an attempt hangs.
    tokio::time::timeout(Duration::from_secs(15), async {
        tokio::join!(run, stopper);
    })
    .await
    .expect("the consume loop stops when cancelled");
    assert!(!consuming.all());
}

#[tokio::test]
async fn the_publisher_gives_up_on_a_silent_broker_and_tries_again() {
    let (url, accepted) = silent_broker().await;
    let cancel = CancellationToken::new();
    let publisher = Publisher::start(&settings(url), "silent-test", cancel.clone());
    wait_for_attempts(&accepted, 3).await;
    assert!(!publisher.is_connected());
    cancel.cancel();
}
