//! Verdicts, sent after the commit: to a sender that waits (over the
//! direct reply-to, best effort) and into the sender's idempotency record
//! in Redis (so a repeat of the same `Idempotency-Key` answers the first
//! verdict). A stored message's verdict lists its posts; a dead-lettered
//! one's names the reason and the dead letter.

use crate::convert::Incoming;
use crate::worker::DeadLettered;
use inlet_bus::BatchSink;
use inlet_core::settings::RedisSettings;
use inlet_proto::Message;
use inlet_proto::v1::Verdict;
use inlet_redis::RedisConnection;
use inlet_store::repo::posts::{self, MessagePosts};
use inlet_store::{Pool, Post};

/// Sends the verdict of every message of the batch that someone asked for.
pub async fn send_all<S: BatchSink>(
    posted: &[&Incoming],
    stored: &[Post],
    pool: &Pool,
    redis: Redis<'_>,
    replies: &S,
) {
    for incoming in posted {
        let message = &incoming.message;
        if message.reply_to.is_empty() && message.idempotency_key.is_empty() {
            continue;
        }
        let Some(verdict) = posted_verdict(incoming, stored, pool).await else {
            continue;
        };
        let bytes = verdict.encode_to_vec();
        // Kept before it is told: a sender that repeats its key as soon as
        // it has the answer finds the verdict, not a `202`.
        if !message.idempotency_key.is_empty() {
            let (hook, key) = (&message.webhook_id, &message.idempotency_key);
            remember(redis, hook, key, &message.message_id, &bytes).await;
        }
        if !message.reply_to.is_empty() {
            replies
                .reply(&message.reply_to, &message.message_id, &bytes)
                .await;
        }
    }
}

/// The verdict of a stored message: its posts (of this batch, or stored
/// earlier). `None` when they cannot be read now: say nothing rather than
/// "no posts"; the sender has (or will get) 202 with the message id.
async fn posted_verdict(incoming: &Incoming, stored: &[Post], pool: &Pool) -> Option<Verdict> {
    let id = incoming.posts.message_id;
    let mut mine: Vec<&Post> = stored.iter().filter(|p| p.message_id == id).collect();
    let fetched;
    if mine.is_empty() {
        // A redelivery or a repeat: its posts were stored earlier.
        fetched = stored_earlier(pool, &incoming.posts).await?;
        mine = fetched.iter().collect();
    }
    let message = &incoming.message;
    Some(Verdict {
        message_id: message.message_id.clone(),
        ok: true,
        posts_json: serde_json::to_string(&mine).unwrap_or_else(|_| "[]".into()),
        case_id: message.case_id.clone(),
        post_id: mine.first().map(|p| p.id.to_string()).unwrap_or_default(),
        unresolved_references: message.unresolved_references.clone(),
        ..Default::default()
    })
}

/// The posts a message made in an earlier delivery; `None` when they
/// cannot be read (or there are none, which a committed message never has).
async fn stored_earlier(pool: &Pool, posts: &MessagePosts) -> Option<Vec<Post>> {
    let client = pool.get().await.ok()?;
    let mut id = posts.message_id;
    if let Some((webhook, key)) = &posts.idempotency
        && let Ok(Some(original)) = posts::idempotent_original(&**client, *webhook, key).await
    {
        id = original;
    }
    posts::by_message(&**client, id)
        .await
        .ok()
        .filter(|posts| !posts.is_empty())
}

/// Tells each dead-lettered message's waiting sender, and its
/// `Idempotency-Key` record, that it was not posted: the reason and the
/// dead letter's id (never `ok` with no posts).
pub async fn send_dead_lettered<S: BatchSink>(
    letters: &[DeadLettered],
    redis: Redis<'_>,
    replies: &S,
) {
    for letter in letters
        .iter()
        .filter(|l| !l.reply_to.is_empty() || !l.idempotency_key.is_empty())
    {
        let verdict = Verdict {
            message_id: letter.message_id.clone(),
            ok: false,
            error: letter.reason.clone(),
            detail: letter.detail.clone(),
            dead_letter_id: letter.dead_letter_id.to_string(),
            ..Default::default()
        };
        let bytes = verdict.encode_to_vec();
        if !letter.idempotency_key.is_empty() {
            let (hook, key) = (&letter.webhook_id, &letter.idempotency_key);
            remember(redis, hook, key, &letter.message_id, &bytes).await;
        }
        if !letter.reply_to.is_empty() {
            replies
                .reply(&letter.reply_to, &letter.message_id, &bytes)
                .await;
        }
    }
}

/// Redis, where verdicts are kept for repeats of an `Idempotency-Key`.
pub type Redis<'a> = (&'a RedisConnection, &'a RedisSettings);

async fn remember(redis: Redis<'_>, hook: &str, key: &str, message_id: &str, verdict: &[u8]) {
    let (connection, settings) = redis;
    inlet_redis::idempotency::remember(connection, settings, hook, key, message_id, verdict).await;
}
