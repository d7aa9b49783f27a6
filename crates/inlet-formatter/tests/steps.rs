//! The formatter's batch step driven by hand (style rule 7): deliveries are
//! handed to `process_batch` with a recording sink (`BatchWorker::step`), so what it
//! decides is seen without a broker consumer and without sleeping.

use inlet_bus::{BatchWorker, Consuming, Delivery, Publisher, Step};
use inlet_directory::Directory;
use inlet_proto::Message;
use inlet_proto::v1::RawWebhook;
use inlet_testkit::{Services, TestStack};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const ONLY_API: Services = Services {
    ingress: false,
    formatter: false,
    delivery: false,
    api: true,
};

fn worker(stack: &TestStack, background: &CancellationToken) -> inlet_formatter::Worker {
    let settings = stack.settings.clone();
    let registry = prometheus::Registry::new();
    let ttl = Duration::from_secs(1);
    inlet_formatter::Worker {
        directory: Arc::new(Directory::new(stack.pool.clone(), ttl, ttl)),
        publisher: Publisher::start(&settings.amqp, "formatter-steps", background.clone()),
        metrics: inlet_formatter::metrics::FormatterMetrics::register(&registry).unwrap(),
        consuming: Arc::new(Consuming::default()),
        redis: inlet_redis::manager(&settings.redis).unwrap(),
        settings,
    }
}

fn delivery(tag: u64, message_id: &str, data: Vec<u8>) -> Delivery {
    let mut delivery = Delivery::mock(tag, "".into(), "".into(), false, data);
    delivery.properties = inlet_bus::properties(Some(message_id));
    delivery
}

/// `(message_id, stage, reason)` of every dead letter, oldest first.
async fn dead_letters(stack: &TestStack) -> Vec<(Uuid, String, String)> {
    let client = stack.pool.get().await.unwrap();
    let rows = client
        .query(
            "SELECT message_id, stage, reason FROM dead_letters ORDER BY created_at, id",
            &[],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test]
async fn poison_handed_to_the_step_is_dead_lettered_and_acknowledged() {
    let stack = TestStack::start_with(ONLY_API, |_| {}).await.unwrap();
    let background = CancellationToken::new();
    let worker = worker(&stack, &background);
    let orphan = RawWebhook {
        message_id: Uuid::now_v7().to_string(),
        webhook_id: Uuid::now_v7().to_string(),
        dialect: "slack".into(),
        body: br#"{"text":"hi"}"#.to_vec(),
        ..Default::default()
    };
    let garbage_id = Uuid::now_v7().to_string();
    let batch = vec![
        delivery(1, &orphan.message_id, orphan.encode_to_vec()),
        delivery(2, &garbage_id, b"\xff\xff".to_vec()),
        delivery(3, "not-a-uuid", b"\xff".to_vec()),
    ];

    let (step, sink) = worker.step(batch).await;

    assert_eq!(step, Step::Next);
    assert_eq!(sink.acked, [1, 2, 3]);
    let letters = dead_letters(&stack).await;
    let reasons: Vec<(&str, &str)> = letters
        .iter()
        .map(|(_, stage, reason)| (stage.as_str(), reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("formatter", "webhook_not_found"),
            ("formatter", "undecodable"),
            ("formatter", "undecodable"),
        ]
    );
    assert_eq!(letters[0].0.to_string(), orphan.message_id);
    assert_eq!(letters[1].0.to_string(), garbage_id);
    assert!(
        !letters[2].0.is_nil(),
        "an id that does not parse is never nil"
    );
    background.cancel();
    stack.stop().await;
}
