//! Raw webhooks that travel several to a broker message (`RawBatch`):
//! ingress packs a busy shard's webhooks together, the formatter takes them
//! apart again (a bad one does not sink the others), and the dead-letter
//! archiver turns a batch the broker gave up on into one dead letter per
//! webhook.

use inlet_proto::Message;
use inlet_testkit::TestStack;
use lapin::BasicProperties;
use lapin::options::BasicPublishOptions;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn batch_properties() -> BasicProperties {
    inlet_bus::properties(None).with_type(inlet_proto::RAW_BATCH_TYPE.into())
}

async fn publish(
    stack: &TestStack,
    exchange: String,
    routing_key: String,
    body: &[u8],
    properties: BasicProperties,
) {
    let connection = inlet_bus::connect(&stack.settings.amqp.url, "test")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel.confirm_select(Default::default()).await.unwrap();
    channel
        .basic_publish(
            exchange.as_str().into(),
            routing_key.as_str().into(),
            BasicPublishOptions::default(),
            body,
            properties,
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let _ = connection.close(200, "done".into()).await;
}

/// The open dead letters, as `(message_id, stage, reason, payload)`.
async fn dead_letters(stack: &TestStack) -> Vec<(uuid::Uuid, String, String, Vec<u8>)> {
    let client = stack.pool.get().await.unwrap();
    client
        .query(
            "SELECT message_id, stage, reason, payload FROM dead_letters ORDER BY created_at, id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

async fn wait_for_dead_letters(
    stack: &TestStack,
    count: usize,
) -> Vec<(uuid::Uuid, String, String, Vec<u8>)> {
    inlet_testkit::eventually(&format!("{count} dead letters"), WAIT, || async {
        let letters = dead_letters(stack).await;
        match letters.len() >= count {
            true => Ok(letters),
            false => Err(format!("{} of them", letters.len())),
        }
    })
    .await
}

/// `inlet_ingress_publish_batch_webhooks`: (broker messages, webhooks).
fn batch_histogram(metrics: &str) -> (u64, u64) {
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} missing from ingress metrics"))
    };
    (
        value("inlet_ingress_publish_batch_webhooks_count") as u64,
        value("inlet_ingress_publish_batch_webhooks_sum") as u64,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_one_channel_travels_in_batches_and_every_webhook_lands_once() {
    let stack = TestStack::start_with(inlet_testkit::Services::ALL, |s| {
        // One publish of a shard in flight at a time: what arrives
        // meanwhile must leave as a batch.
        s.ingress.publish_in_flight = 1;
        s.ingress.rate_per_minute = 0;
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    // 300 webhooks at once on one channel (one shard); every third waits
    // for its verdict, which must come back through the batch.
    let sends = (0..300).map(|i| {
        let stack = &stack;
        let f = &f;
        async move {
            let body = serde_json::json!({ "text": format!("burst {i}") }).to_string();
            let path = if i % 3 == 0 {
                format!("/hooks/{}?wait=true", f.token)
            } else {
                format!("/hooks/{}", f.token)
            };
            let response = stack
                .http
                .post(stack.ingress_url(&path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (i, status, text)
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    for (i, status, text) in &answers {
        assert_eq!(*status, 200, "webhook {i}: {text}");
        if i % 3 == 0 {
            let verdict: Value = serde_json::from_str(text).unwrap();
            assert_eq!(verdict["ok"], true, "webhook {i}: {text}");
            assert_eq!(
                verdict["posts"][0]["message"],
                format!("burst {i}"),
                "webhook {i} waited and got: {text}"
            );
        }
    }
    let posts = stack
        .wait_for_posts(&f.channel_id, 300, WAIT)
        .await
        .unwrap();
    // Nothing doubled (and nothing else arrives late).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posts_after = stack.posts_of(&f.channel_id).await;
    assert_eq!(posts_after.len(), 300);
    let texts: HashSet<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts.len(), 300);
    let (messages, webhooks) = batch_histogram(&stack.metrics("ingress").await.unwrap());
    assert_eq!(webhooks, 300);
    assert!(
        messages < webhooks,
        "{webhooks} webhooks in {messages} broker messages: none was batched"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_an_undecodable_webhook_posts_the_others_and_dead_letters_it() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let first = f.raw_webhook("first of the batch");
    let last = f.raw_webhook("last of the batch");
    let garbage: [&[u8]; 2] = [b"\xff\xff not a protobuf message", b"\xff\xfe another"];
    let body = inlet_proto::encode_raw_batch([
        first.encode_to_vec().as_slice(),
        garbage[0],
        last.encode_to_vec().as_slice(),
        garbage[1],
    ]);
    let topology = inlet_bus::Topology::new(&stack.settings.amqp);
    let shard = inlet_core::shard_of(&f.channel_id, stack.settings.amqp.shards);
    publish(
        &stack,
        topology.exchange(inlet_bus::Hop::Raw),
        inlet_bus::Topology::routing_key(shard),
        &body,
        batch_properties(),
    )
    .await;

    let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(texts, ["first of the batch", "last of the batch"]);
    assert_eq!(posts[0].message_id.to_string(), first.message_id);
    let letters = wait_for_dead_letters(&stack, 2).await;
    assert_eq!(letters.len(), 2);
    for ((message_id, stage, reason, payload), bad) in letters.iter().zip(garbage) {
        assert_eq!(
            (stage.as_str(), reason.as_str()),
            ("formatter", "undecodable")
        );
        // Each bad webhook is a dead letter of its own, with its own bytes
        // (not the batch's) under an id of its own.
        assert_eq!(payload.as_slice(), bad);
        assert!(!message_id.is_nil());
    }
    assert_ne!(letters[0].0, letters[1].0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_broker_gives_up_on_becomes_one_replayable_dead_letter_per_webhook() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let webhooks = [f.raw_webhook("one"), f.raw_webhook("two")];
    let encoded: Vec<Vec<u8>> = webhooks.iter().map(|w| w.encode_to_vec()).collect();
    let body = inlet_proto::encode_raw_batch(encoded.iter().map(Vec::as_slice));
    // Dead-lettered by the broker after its delivery limit: what RabbitMQ
    // adds are the x-first-death-* headers.
    let topology = inlet_bus::Topology::new(&stack.settings.amqp);
    let headers = stack.first_death_headers(inlet_bus::Hop::Raw, 0);
    publish(
        &stack,
        topology.dead_letter_exchange(),
        String::new(),
        &body,
        batch_properties().with_headers(headers),
    )
    .await;

    let letters = wait_for_dead_letters(&stack, 2).await;
    assert_eq!(letters.len(), 2);
    for ((message_id, stage, reason, payload), (webhook, bytes)) in
        letters.iter().zip(webhooks.iter().zip(&encoded))
    {
        assert_eq!(message_id.to_string(), webhook.message_id);
        assert_eq!(
            (stage.as_str(), reason.as_str()),
            ("formatter", "delivery_limit")
        );
        assert_eq!(payload, bytes);
    }
    // Each is replayed on its own, as the webhook it was.
    for (message_id, ..) in &letters {
        let id: uuid::Uuid = {
            let client = stack.pool.get().await.unwrap();
            client
                .query_one(
                    "SELECT id FROM dead_letters WHERE message_id = $1",
                    &[message_id],
                )
                .await
                .unwrap()
                .get(0)
        };
        let response = stack
            .http
            .post(stack.api_url(&format!("/api/v1/dead-letters/{id}/replay")))
            .bearer_auth(&stack.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let posts = stack.wait_for_posts(&f.channel_id, 2, WAIT).await.unwrap();
    let mut texts: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    texts.sort();
    assert_eq!(texts, ["one", "two"]);
    stack.stop().await;
}
