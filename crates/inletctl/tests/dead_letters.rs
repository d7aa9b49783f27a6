//! `inletctl dead-letters` against a real stack: a message the formatter
//! cannot decode is listed, shown and discarded through the command line.

use inlet_bus::{BasicProperties, Hop, Topology};
mod common;

use common::inletctl;
use inlet_testkit::TestStack;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_shown_and_discarded_from_the_command_line() {
    let stack = TestStack::start().await.unwrap();
    let (ok, text) = inletctl(&stack, &["dead-letters", "list"]);
    assert!(ok, "{text}");
    assert!(text.contains("no open dead letters"), "{text}");

    // Bytes that are no raw webhook, straight onto the raw exchange.
    let topology = Topology::new(&stack.settings.amqp);
    let connection = inlet_bus::connect(&stack.settings.amqp.url, "test")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .basic_publish(
            topology.exchange(Hop::Raw).into(),
            Topology::routing_key(0).into(),
            Default::default(),
            b"\xff not a protobuf message",
            BasicProperties::default(),
        )
        .await
        .unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let listed = loop {
        let (ok, text) = inletctl(&stack, &["dead-letters", "list"]);
        assert!(ok, "{text}");
        if text.contains("undecodable") {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never listed: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let id = listed.split_whitespace().next().unwrap().to_string();
    let (ok, shown) = inletctl(&stack, &["dead-letters", "show", &id]);
    assert!(ok, "{shown}");
    assert!(shown.contains("state: open"), "{shown}");
    assert!(shown.contains("formatter"), "{shown}");
    let (ok, text) = inletctl(&stack, &["dead-letters", "discard", &id]);
    assert!(ok, "{text}");
    assert!(text.contains(&format!("discarded {id}")), "{text}");
    let (ok, text) = inletctl(&stack, &["dead-letters", "discard", &id]);
    assert!(!ok, "a second discard must fail: {text}");
    assert!(text.contains("409"), "{text}");
    let (_, text) = inletctl(&stack, &["dead-letters", "list"]);
    assert!(text.contains("no open dead letters"), "{text}");
    let _ = connection.close(200, "done".into()).await;
    stack.stop().await;
}
