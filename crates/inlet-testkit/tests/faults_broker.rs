//! Broker faults (reliability.md, promise 1 and its traps) against a private
//! RabbitMQ node the tests are free to disturb: connections closed under a
//! stream, a memory alarm that blocks publishers, and a publish that routes
//! nowhere. The machine's shared broker is never touched. Each test ends
//! with the oracle: the posts are exactly the messages that got a 2xx.

use inlet_bus::lapin::types::FieldTable;
use inlet_bus::{Hop, Topology};
use inlet_testkit::oracle::{Answer, Senders, assert_exactly, send};
use inlet_testkit::servers::PrivateRabbit;
use inlet_testkit::{Services, TestStack};
use std::time::Duration;
use tokio::time::Instant;

/// A stack whose services all use the private broker.
async fn stack_on(rabbit: &PrivateRabbit) -> TestStack {
    let url = rabbit.url();
    TestStack::start_with(Services::ALL, |s| s.amqp.url = url)
        .await
        .unwrap()
}

/// The status of a service's `/readyz`, or `None` when it does not answer
/// within 5 s.
async fn ready_status(stack: &TestStack, service: &str) -> Option<u16> {
    let port = stack.ops_ports[service];
    let response = stack
        .http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

async fn eventually_ready(stack: &TestStack, service: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = ready_status(stack, service).await;
        if status == Some(200) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} /readyz is {status:?}, never 200 again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a blocking `rabbitmqctl` call without stalling the runtime thread
/// the services and senders need meanwhile.
fn ctl(call: impl FnOnce() -> anyhow::Result<()>) {
    tokio::task::block_in_place(call).unwrap();
}

/// Every client connection closed twice while four senders stream: each
/// service rebuilds its connection without a restart, refused messages are
/// retried with their Idempotency-Key, and nothing is lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_connections_closed_mid_stream_every_service_reconnects_losing_nothing() {
    let rabbit = PrivateRabbit::start().unwrap();
    let stack = stack_on(&rabbit).await;
    let f = stack.fixture().await.unwrap();
    let senders = Senders::start_on(&stack, &f.token, 4);
    senders
        .wait_for_progress(100, Duration::from_secs(20))
        .await;

    for _cut in 0..2 {
        // A connection of our own shows that the cut really happened.
        let witness = inlet_bus::connect(&rabbit.url(), "test-witness")
            .await
            .unwrap();
        ctl(|| rabbit.close_connections());
        let deadline = Instant::now() + Duration::from_secs(10);
        while witness.status().connected() {
            assert!(Instant::now() < deadline, "the broker kept its connections");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Accepted after the cut: ingress published again.
        senders
            .wait_for_progress(100, Duration::from_secs(30))
            .await;
    }
    for service in ["ingress", "formatter", "delivery"] {
        eventually_ready(&stack, service).await;
    }
    let accepted = senders.finish().await;
    // Posted, the messages accepted after the cuts show that the formatter
    // and delivery consume again.
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}

/// A memory alarm blocks every publisher: ingress answers 503 with
/// Retry-After after its confirm timeout instead of hanging, and its readyz
/// still answers. Once the alarm clears, the refused messages, retried with
/// their Idempotency-Key, are posted once each, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_alarm_gets_503_instead_of_a_hang_and_posts_flow_once_it_clears() {
    let rabbit = PrivateRabbit::start().unwrap();
    let stack = stack_on(&rabbit).await;
    let f = stack.fixture().await.unwrap();
    let port = stack.ingress_port;
    let key = |text: &str| format!("key-{text}");
    let mut accepted = Vec::new();
    let first = key("sender0-0");
    let answer = send(&stack.http, port, &f.token, "sender0-0", Some(&first)).await;
    assert_eq!(answer.map(|a| a.status), Some(200));
    accepted.push("sender0-0".to_string());

    ctl(|| rabbit.memory_alarm(true));
    // Until the broker blocks the publisher, a message may still pass.
    let mut refused = Vec::new();
    let mut n = 1;
    let deadline = Instant::now() + Duration::from_secs(20);
    while refused.len() < 3 {
        let text = format!("sender0-{n}");
        n += 1;
        let started = Instant::now();
        let answer = send(&stack.http, port, &f.token, &text, Some(&key(&text))).await;
        let waited = started.elapsed();
        // The confirm timeout is 2 s; a wait of many times that is a hang.
        assert!(waited < Duration::from_secs(10), "{text} waited {waited:?}");
        match answer {
            Some(Answer { status: 200, .. }) if refused.is_empty() => accepted.push(text),
            Some(Answer {
                status: 503,
                retry_after: Some(_),
            }) => refused.push(text),
            other => panic!("{text} under a memory alarm: {other:?}"),
        }
        assert!(Instant::now() < deadline, "publishes never blocked");
    }
    assert!(
        ready_status(&stack, "ingress").await.is_some(),
        "readyz hangs under the alarm"
    );

    ctl(|| rabbit.memory_alarm(false));
    // The sender retries what was refused, in order, then carries on.
    for text in refused {
        retry_until_accepted(&stack, port, &f.token, &text, &key(&text)).await;
        accepted.push(text);
    }
    let text = format!("sender0-{n}");
    retry_until_accepted(&stack, port, &f.token, &text, &key(&text)).await;
    accepted.push(text);
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}

async fn retry_until_accepted(stack: &TestStack, port: u16, token: &str, text: &str, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = send(&stack.http, port, token, text, Some(key)).await;
        if answer.as_ref().is_some_and(|a| a.status == 200) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{text} still refused after the alarm cleared: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The channel's raw shard queue unbound behind ingress's back: the broker
/// returns each message (`mandatory`), and ingress answers 503, never 2xx.
/// A restarted ingress declares the topology again and posts flow; what
/// was refused is not posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unroutable_publish_is_a_503_never_a_2xx_until_the_topology_is_restored() {
    let rabbit = PrivateRabbit::start().unwrap();
    let mut stack = stack_on(&rabbit).await;
    let f = stack.fixture().await.unwrap();
    let mut accepted = Vec::new();
    let answer = send(&stack.http, stack.ingress_port, &f.token, "sender0-0", None).await;
    assert_eq!(answer.map(|a| a.status), Some(200));
    accepted.push("sender0-0".to_string());

    // Route the channel's shard nowhere (a private broker: no other test
    // shares this topology).
    let topology = Topology::new(&stack.settings.amqp);
    let shard = inlet_core::shard_of(&f.channel_id, stack.settings.amqp.shards);
    let connection = inlet_bus::connect(&rabbit.url(), "test-saboteur")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_unbind(
            topology.queue(Hop::Raw, shard).into(),
            topology.exchange(Hop::Raw).into(),
            Topology::routing_key(shard).into(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    for n in 1..=3 {
        let text = format!("sender0-{n}");
        let answer = send(&stack.http, stack.ingress_port, &f.token, &text, None).await;
        let Some(Answer {
            status: 503,
            retry_after: Some(_),
        }) = answer
        else {
            panic!("{text} routed nowhere got {answer:?}, not 503 with Retry-After");
        };
    }

    // A restart declares the topology again; ready means declared.
    stack.stop_service("ingress").await;
    stack.spawn(Services::INGRESS).await.unwrap();
    for n in 4..=5 {
        let text = format!("sender0-{n}");
        let answer = send(&stack.http, stack.ingress_port, &f.token, &text, None).await;
        assert_eq!(answer.map(|a| a.status), Some(200), "{text} after restore");
        accepted.push(text);
    }
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    let _ = connection.close(200, "done".into()).await;
    stack.stop().await;
}

/// A full queue refuses publishes (`x-overflow: reject-publish`): the broker
/// nacks them, and ingress answers 503, never 2xx. Once there is room again
/// (the limit removed, the queue drained) the refused messages, retried, are
/// posted without restarting ingress; nothing else is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nacked_publish_is_a_503_never_a_2xx() {
    let rabbit = PrivateRabbit::start().unwrap();
    let mut stack = stack_on(&rabbit).await;
    let f = stack.fixture().await.unwrap();
    // Nobody drains the raw queues, and they hold at most one message.
    stack.stop_service("formatter").await;
    ctl(|| rabbit.set_policy("full", r"\.raw\.", r#"{"max-length": 1}"#));
    tokio::time::sleep(Duration::from_secs(2)).await; // policies apply asynchronously

    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for n in 0..5 {
        let text = format!("sender0-{n}");
        let answer = send(
            &stack.http,
            stack.ingress_port,
            &f.token,
            &text,
            Some(&text),
        )
        .await;
        match answer {
            Some(Answer { status: 200, .. }) => accepted.push(text),
            Some(Answer {
                status: 503,
                retry_after: Some(_),
            }) => refused.push(text),
            other => panic!("{text}: {other:?}"),
        }
    }
    // A quorum queue refuses once it is over its limit, so one or two fit.
    assert!(
        (1..=2).contains(&accepted.len()),
        "accepted while full: {accepted:?}"
    );
    assert!(refused.len() >= 3, "the others are nacked: {refused:?}");

    ctl(|| rabbit.clear_policy("full"));
    stack.spawn(Services::FORMATTER).await.unwrap();
    for text in refused {
        retry_until_accepted(&stack, stack.ingress_port, &f.token, &text, &text).await;
        accepted.push(text);
    }
    assert_exactly(&stack, &f.channel_id, &accepted).await;
    stack.stop().await;
}

/// A connection whose broker answers nothing any more is closed within
/// `CLOSE_TIMEOUT`. Every supervisor closes its broken connection before
/// reconnecting: a close that waited for the broker's `close-ok` held the
/// publisher (and so every request, answered 503) for as long as the node
/// stayed silent, which a node shutting down can be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_connection_to_a_silent_broker_does_not_wait_for_it() {
    let rabbit = tokio::task::block_in_place(PrivateRabbit::start).unwrap();
    let connection = inlet_bus::connect(&rabbit.url(), "inlet-close-test")
        .await
        .unwrap();
    tokio::task::block_in_place(|| rabbit.freeze(true)).unwrap();
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(15), inlet_bus::close(&connection)).await;
    let took = started.elapsed();
    tokio::task::block_in_place(|| rabbit.freeze(false)).unwrap();
    assert!(closed.is_ok(), "the close waited for the silent broker");
    assert!(
        took < inlet_bus::CLOSE_TIMEOUT + Duration::from_secs(1),
        "the close took {took:?}"
    );
}
