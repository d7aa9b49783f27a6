//! Delivery's batch step driven by hand (style rule 7): deliveries are
//! handed to `process_batch` with a recording sink (`BatchWorker::step`), so the queue is
//! drained without a broker consumer and without sleeping.

use inlet_bus::{BatchWorker, Consuming, Delivery, Step};
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, FormattedPost};
use inlet_testkit::{Services, TestStack};
use std::sync::Arc;
use uuid::Uuid;

const ONLY_API: Services = Services {
    ingress: false,
    formatter: false,
    delivery: false,
    api: true,
};

fn worker(stack: &TestStack) -> inlet_delivery::Worker {
    let registry = prometheus::Registry::new();
    inlet_delivery::Worker {
        settings: stack.settings.clone(),
        pool: stack.pool.clone(),
        redis: inlet_redis::manager(&stack.settings.redis).unwrap(),
        metrics: inlet_delivery::metrics::DeliveryMetrics::register(&registry).unwrap(),
        consuming: Arc::new(Consuming::default()),
    }
}

fn message(channel_id: &str, webhook_id: &str, text: &str) -> FormattedMessage {
    let message_id = Uuid::now_v7().to_string();
    FormattedMessage {
        message_id: message_id.clone(),
        ordering_key: channel_id.into(),
        reply_to: "waiting-sender".into(),
        webhook_id: webhook_id.into(),
        posts: vec![FormattedPost {
            post_id: Uuid::now_v7().to_string(),
            channel_id: channel_id.into(),
            message: text.into(),
            username: "ci".into(),
            props_json: "{}".into(),
            webhook_id: webhook_id.into(),
            dialect: "slack".into(),
            message_id,
            received_at_micros: chrono::Utc::now().timestamp_micros(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn delivery(tag: u64, messages: Vec<FormattedMessage>) -> Delivery {
    let data = FormattedBatch { messages }.encode_to_vec();
    Delivery::mock(tag, "".into(), "".into(), false, data)
}

#[tokio::test]
async fn a_batch_handed_to_the_step_is_stored_answered_and_acknowledged() {
    let stack = TestStack::start_with(ONLY_API, |_| {}).await.unwrap();
    let fixture = stack.fixture().await.unwrap();
    let (channel, hook) = (&fixture.channel_id, &fixture.webhook_id);
    let worker = worker(&stack);

    let batch = vec![
        delivery(
            1,
            vec![message(channel, hook, "one"), message(channel, hook, "two")],
        ),
        delivery(2, vec![message(channel, hook, "three")]),
    ];
    let (step, sink) = worker.step(batch).await;

    assert_eq!(step, Step::Next);
    assert_eq!(sink.acked, [1, 2]);
    assert_eq!(
        sink.replies.lock().unwrap().len(),
        3,
        "every waiting sender is told"
    );
    let posts = stack.posts(channel.parse().unwrap()).await.unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    stack.stop().await;
}

#[tokio::test]
async fn an_undecodable_delivery_is_dead_lettered_and_acknowledged() {
    let stack = TestStack::start_with(ONLY_API, |_| {}).await.unwrap();
    let worker = worker(&stack);
    let garbage = Delivery::mock(7, "".into(), "".into(), false, b"\xff\xff".to_vec());

    let (step, sink) = worker.step(vec![garbage]).await;

    assert_eq!(step, Step::Next);
    assert_eq!(sink.acked, [7]);
    let client = stack.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT message_id, stage, reason, payload FROM dead_letters",
            &[],
        )
        .await
        .unwrap();
    let (id, stage, reason, payload): (Uuid, String, String, Vec<u8>) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(!id.is_nil(), "never the nil id");
    assert_eq!(
        (stage.as_str(), reason.as_str()),
        ("delivery", "undecodable")
    );
    assert_eq!(payload, b"\xff\xff", "the bytes are kept as they came");
    stack.stop().await;
}

/// A sink that, when a waiting sender is told, reads what a repeat of the
/// sender's `Idempotency-Key` would find at that moment.
struct RepeatProbe {
    redis: inlet_redis::RedisConnection,
    settings: inlet_core::settings::RedisSettings,
    webhook_id: String,
    key: String,
    /// Per verdict told: whether the repeat would find it.
    found: std::sync::Mutex<Vec<bool>>,
}

impl inlet_bus::BatchSink for RepeatProbe {
    async fn ack(&mut self, _: &[Delivery]) -> Result<(), lapin::Error> {
        Ok(())
    }

    async fn reply(&self, _: &str, _: &str, _: &[u8]) {
        let (hook, key) = (&self.webhook_id, &self.key);
        let repeat = Uuid::now_v7().to_string();
        let stale_after = std::time::Duration::from_secs(60);
        let claimed = inlet_redis::idempotency::claim(
            &self.redis,
            &self.settings,
            hook,
            key,
            &repeat,
            stale_after,
        )
        .await;
        let kept = matches!(
            claimed,
            Ok(inlet_redis::idempotency::Claimed::Repeat {
                verdict: Some(_),
                ..
            })
        );
        self.found.lock().unwrap().push(kept);
    }
}

/// A sender that repeats its `Idempotency-Key` the moment it has its answer
/// gets the same verdict, never `202`: the verdict is kept before the
/// sender is told.
#[tokio::test]
async fn a_verdict_is_kept_for_repeats_before_the_sender_is_told() {
    let stack = TestStack::start_with(ONLY_API, |_| {}).await.unwrap();
    let fixture = stack.fixture().await.unwrap();
    let (channel, hook) = (&fixture.channel_id, &fixture.webhook_id);
    let worker = worker(&stack);
    let mut sent = message(channel, hook, "kept first");
    sent.idempotency_key = format!("delivery-{}", Uuid::now_v7());
    let mut probe = RepeatProbe {
        redis: inlet_redis::manager(&stack.settings.redis).unwrap(),
        settings: stack.settings.redis.clone(),
        webhook_id: hook.to_string(),
        key: sent.idempotency_key.clone(),
        found: Default::default(),
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let batch = inlet_bus::Batch {
        deliveries: vec![delivery(1, vec![sent])],
        sink: &mut probe,
        cancel: &cancel,
    };

    assert_eq!(worker.process_batch(batch).await, Step::Next);
    assert_eq!(*probe.found.lock().unwrap(), [true]);
    stack.stop().await;
}
