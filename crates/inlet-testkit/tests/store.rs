//! The store against a real PostgreSQL: migrations, the batch write and its
//! seq, deduplication, the watermark.

use inlet_store::repo::{channels, posts, teams};
use inlet_store::{ChannelKind, NewPost};
use inlet_testkit::TestDatabase;
use uuid::Uuid;

async fn pool(db: &TestDatabase) -> inlet_store::Pool {
    let settings = inlet_core::settings::DatabaseSettings {
        url: db.url.clone(),
        pool_size: 2,
        ..Default::default()
    };
    inlet_store::connect(&settings).unwrap()
}

/// A fresh database's pool, a client of it, and open channels named
/// `names` in one team.
async fn team_with_channels(
    names: &[&str],
) -> (
    TestDatabase,
    inlet_store::Pool,
    inlet_store::pool::Client,
    Vec<Uuid>,
) {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let client = pool.get().await.unwrap();
    let team = teams::create(&**client, "acme", "Acme").await.unwrap();
    let mut ids = Vec::new();
    for name in names {
        let channel = channels::create(&**client, team.id, name, name, ChannelKind::Open)
            .await
            .unwrap();
        ids.push(channel.id);
    }
    (db, pool, client, ids)
}

fn new_post(channel: Uuid, message: Uuid, part: i32, text: &str) -> NewPost {
    NewPost {
        id: inlet_core::post_id(message.into(), part as u32),
        channel_id: channel,
        root_id: None,
        thread_key: None,
        case_id: None,
        message: text.into(),
        username: "bot".into(),
        icon_url: None,
        props: serde_json::json!({"from_webhook": "true"}),
        webhook_id: None,
        dialect: "slack".into(),
        message_id: message,
        part,
        received_at: chrono::Utc::now(),
    }
}

fn message(channel: Uuid, texts: &[&str]) -> posts::MessagePosts {
    let id = Uuid::now_v7();
    let posts = texts
        .iter()
        .enumerate()
        .map(|(i, t)| new_post(channel, id, i as i32, t))
        .collect();
    posts::MessagePosts {
        message_id: id,
        posts,
        idempotency: None,
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let mut client = pool.get().await.unwrap();
    assert_eq!(
        inlet_store::migrate::run(&mut client).await.unwrap(),
        0,
        "the template is already migrated"
    );
    assert_eq!(inlet_store::migrate::run(&mut client).await.unwrap(), 0);
}

#[tokio::test]
async fn a_batch_gets_gap_free_seq_per_channel_and_redeliveries_write_nothing() {
    let (_db, _pool, mut client, ids) = team_with_channels(&["a", "b"]).await;
    let (a, b) = (ids[0], ids[1]);

    let batch = vec![
        message(a, &["a1"]),
        message(b, &["b1"]),
        message(a, &["a2", "a3"]),
    ];
    let outcome = posts::store_batch(&mut client, &batch).await.unwrap();
    assert_eq!(outcome.stored.len(), 4);
    assert!(outcome.duplicates.is_empty());

    // The same messages again (a redelivery), plus one new one.
    let mut again = batch.clone();
    again.push(message(a, &["a4"]));
    let outcome = posts::store_batch(&mut client, &again).await.unwrap();
    assert_eq!(outcome.stored.len(), 1);
    assert_eq!(outcome.duplicates.len(), 3);

    let in_a: Vec<(i64, String)> = posts::list(&**client, a, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.seq, p.message))
        .collect();
    let expected: Vec<(i64, String)> = vec![(1, "a1"), (2, "a2"), (3, "a3"), (4, "a4")]
        .into_iter()
        .map(|(s, m)| (s, m.to_string()))
        .collect();
    assert_eq!(in_a, expected);
    let in_b = posts::list(&**client, b, 0, 100).await.unwrap();
    assert_eq!(in_b.iter().map(|p| p.seq).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test]
async fn concurrent_batches_on_one_channel_never_share_or_skip_a_seq() {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let channel = {
        let client = pool.get().await.unwrap();
        let team = teams::create(&**client, "acme", "Acme").await.unwrap();
        channels::create(&**client, team.id, "busy", "Busy", ChannelKind::Open)
            .await
            .unwrap()
    };
    let writers = (0..2).map(|w| {
        let pool = pool.clone();
        tokio::spawn(async move {
            for i in 0..25 {
                let mut client = pool.get().await.unwrap();
                let text = format!("w{w}-{i}");
                posts::store_batch(&mut client, &[message(channel.id, &[&text])])
                    .await
                    .unwrap();
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    let client = pool.get().await.unwrap();
    let seqs: Vec<i64> = posts::list(&**client, channel.id, 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|p| p.seq)
        .collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<i64>>());
}

#[tokio::test]
async fn the_watermark_only_moves_forward_and_counts_what_is_pending() {
    let (_db, _pool, mut client, ids) = team_with_channels(&["a"]).await;
    let a = ids[0];
    posts::store_batch(&mut client, &[message(a, &["1", "2", "3"])])
        .await
        .unwrap();
    assert_eq!(posts::pending_count(&**client).await.unwrap(), 3);
    posts::mark_published(&**client, &[(a, 2)]).await.unwrap();
    posts::mark_published(&**client, &[(a, 1)]).await.unwrap();
    assert_eq!(posts::pending_count(&**client).await.unwrap(), 1);
    let pending = posts::unpublished(&**client, std::time::Duration::ZERO, 10)
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|(p, w)| (p.seq, *w)).collect::<Vec<_>>(),
        vec![(3, 2)]
    );
}

/// The relay's query reads the pending channels' posts above their
/// watermark, not the table: with many published posts elsewhere and a
/// pending channel whose posts are all within the grace (the usual state
/// under load), it must touch a handful of pages, not every post.
#[tokio::test]
async fn the_relay_reads_only_what_is_pending() {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let mut client = pool.get().await.unwrap();
    let team = teams::create(&**client, "acme", "Acme").await.unwrap();
    let mut published = Vec::new();
    for i in 0..8 {
        let c = channels::create(&**client, team.id, &format!("c{i}"), "C", ChannelKind::Open)
            .await
            .unwrap();
        let texts: Vec<String> = (0..1000).map(|n| format!("post {n}")).collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        posts::store_batch(&mut client, &[message(c.id, &texts)])
            .await
            .unwrap();
        published.push((c.id, 1000));
    }
    posts::mark_published(&**client, &published).await.unwrap();
    let pending = channels::create(&**client, team.id, "pending", "P", ChannelKind::Open)
        .await
        .unwrap();
    posts::store_batch(&mut client, &[message(pending.id, &["new"])])
        .await
        .unwrap();
    client.batch_execute("ANALYZE").await.unwrap();

    // Nothing is older than the grace: nothing to re-publish.
    let grace = std::time::Duration::from_secs(3600);
    assert!(
        posts::unpublished(&**client, grace, 500)
            .await
            .unwrap()
            .is_empty()
    );
    let plan: serde_json::Value = client
        .query_one(
            &format!(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {} ORDER BY c.id, p.seq LIMIT 500",
                posts::unpublished_sql()
            ),
            &[&grace.as_secs_f64(), &500i64],
        )
        .await
        .unwrap()
        .get(0);
    let top = &plan[0]["Plan"];
    let pages = top["Shared Hit Blocks"].as_i64().unwrap_or(0)
        + top["Shared Read Blocks"].as_i64().unwrap_or(0);
    assert!(
        pages < 50,
        "the relay's query touched {pages} pages: {plan}"
    );
}

/// A replayed message that fails again before its replay closes the old
/// letter is a new open letter: it must not be counted as the old one,
/// which the replay then closes.
#[tokio::test]
async fn a_message_failing_again_during_its_replay_is_a_new_open_letter() {
    use inlet_store::repo::dead_letters::{self, Closing, NewDeadLetter};
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let client = pool.get().await.unwrap();
    let letter = NewDeadLetter {
        message_id: Uuid::now_v7(),
        stage: dead_letters::Stage::Formatter,
        reason: "action_prohibited",
        detail: "not a member",
        dialect: Some("slack"),
        webhook_id: None,
        payload: b"raw",
    };
    let first = dead_letters::record(&**client, &letter).await.unwrap();
    // A redelivery of the same failure is the same letter.
    assert_eq!(
        dead_letters::record(&**client, &letter).await.unwrap(),
        first
    );

    // The replay marks the letter, publishes, and the message fails again
    // before the replay closes the letter.
    assert!(dead_letters::start_replay(&**client, first).await.unwrap());
    let second = dead_letters::record(&**client, &letter).await.unwrap();
    assert_ne!(
        second, first,
        "the new failure was absorbed by the replayed letter"
    );
    assert_eq!(
        dead_letters::record(&**client, &letter).await.unwrap(),
        second
    );
    assert!(
        dead_letters::close(&**client, first, Closing::Replayed)
            .await
            .unwrap()
    );

    let open: Vec<Uuid> = dead_letters::list_open(&**client, 10)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(open, vec![second]);
    // A closed letter cannot be replayed again.
    assert!(!dead_letters::start_replay(&**client, first).await.unwrap());
}

/// The posts a batch returns (which delivery publishes) are not read back
/// from the table; they must equal what a read of the table returns.
#[tokio::test]
async fn the_stored_posts_are_what_a_read_returns() {
    let (_db, _pool, mut client, ids) = team_with_channels(&["a", "b"]).await;
    let (a, b) = (ids[0], ids[1]);
    let mut first = message(a, &["héllo 🎉", "part two"]);
    for post in &mut first.posts {
        post.thread_key = Some("deploy-42".into());
        post.icon_url = Some("https://example.com/i.png".into());
        post.webhook_id = Some(Uuid::now_v7());
        post.props = serde_json::json!({
            "from_webhook": "true",
            "attachments": [{"color": "#36a64f", "fields": [{"title": "ms", "value": 1.5e-7}],
                "ts": 1_700_000_000_u64, "ratio": 100.0, "big": u64::MAX, "neg": -3, "empty": {}}],
            "z": null, "a": [true, false, "\u{1}\t\"quoted\""],
        });
        // Nanoseconds, which PostgreSQL does not keep.
        post.received_at = chrono::DateTime::from_timestamp(1_763_859_000, 123_456_789).unwrap();
    }
    let second = message(b, &["other channel"]);
    let outcome = posts::store_batch(&mut client, &[first, second])
        .await
        .unwrap();
    assert_eq!(outcome.stored.len(), 3);
    for stored in &outcome.stored {
        let read = posts::get(&**client, stored.id).await.unwrap();
        assert_eq!(stored, &read);
        assert_eq!(
            serde_json::to_string(stored).unwrap(),
            serde_json::to_string(&read).unwrap()
        );
    }
    assert_eq!(
        outcome.stored[0].received_at.timestamp_subsec_nanos(),
        123_456_000
    );
}

/// The pool hands out its most recently returned connection first, so a
/// steady load keeps reusing few connections (and their buffers).
#[tokio::test]
async fn the_pool_hands_out_the_most_recently_used_connection_first() {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let first = pool.get().await.unwrap();
    let second = pool.get().await.unwrap();
    let (first_pid, second_pid) = (backend(&first).await, backend(&second).await);
    assert_ne!(first_pid, second_pid);
    drop(first);
    drop(second);
    let next = pool.get().await.unwrap();
    assert_eq!(backend(&next).await, second_pid);
}

async fn backend(client: &inlet_store::pool::Client) -> i32 {
    let row = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap();
    row.get(0)
}

/// A dead letter's detail often quotes the payload; one holding a NUL,
/// which PostgreSQL's `text` cannot store, is still recorded (without the
/// NUL), and so is a rejection's: otherwise the stage would retry the
/// message for ever.
#[tokio::test]
async fn a_dead_letter_or_rejection_quoting_a_nul_is_recorded_without_it() {
    let db = TestDatabase::create().await.unwrap();
    let pool = pool(&db).await;
    let client = pool.get().await.unwrap();
    let letter = inlet_store::repo::dead_letters::NewDeadLetter {
        message_id: Uuid::now_v7(),
        stage: inlet_store::dead_letters::Stage::Formatter,
        reason: "channel_not_found",
        detail: "no channel named \"ops\0\"",
        dialect: Some("slack"),
        webhook_id: None,
        payload: b"bytes",
    };
    let id = inlet_store::repo::dead_letters::record(&**client, &letter)
        .await
        .unwrap();
    let detail: String = client
        .query_one("SELECT detail FROM dead_letters WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(detail, "no channel named \"ops\"");
    let message = Uuid::now_v7();
    inlet_store::repo::rejections::record(&**client, message, None, "already_reported", "case \0x")
        .await
        .unwrap();
    let detail: String = client
        .query_one(
            "SELECT detail FROM rejections WHERE message_id = $1",
            &[&message],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(detail, "case x");
}
