//! Verdicts, sent after the commit: to a sender that waits (over the
//! direct reply-to, best effort) and into the sender's idempotency record
//! in Redis (so a repeat of the same `Idempotency-Key` answers the first
//! verdict). A stored message's verdict lists its posts; a dead-lettered
//! one's names the reason and the dead letter.

use crate::worker::DeadLettered;
use inlet_core::settings::RedisSettings;
use inlet_proto::Message;
use inlet_proto::v1::{FormattedMessage, Verdict};
use inlet_redis::RedisConnection;
use inlet_store::repo::posts;
use inlet_store::{Pool, Post};
use lapin::Channel;
use uuid::Uuid;

/// Sends the verdict of every message of the batch that someone asked for.
pub async fn send_all(
    messages: &[FormattedMessage],
    stored: &[Post],
    pool: &Pool,
    redis: &RedisConnection,
    settings: &RedisSettings,
    replies: &Channel,
) {
    for message in messages
        .iter()
        .filter(|m| !m.reply_to.is_empty() || !m.idempotency_key.is_empty())
    {
        let mut mine: Vec<&Post> = stored
            .iter()
            .filter(|p| p.message_id.to_string() == message.message_id)
            .collect();
        let fetched;
        if mine.is_empty() {
            // A redelivery or a repeat: its posts were stored earlier. If
            // they cannot be read now, say nothing rather than "no posts":
            // the sender has (or will get) 202 with the message id.
            let Some(earlier) = stored_earlier(pool, message).await else {
                continue;
            };
            fetched = earlier;
            mine = fetched.iter().collect();
        }
        let verdict = Verdict {
            message_id: message.message_id.clone(),
            ok: true,
            posts_json: serde_json::to_string(&mine).unwrap_or_else(|_| "[]".into()),
            case_id: message.case_id.clone(),
            post_id: mine.first().map(|p| p.id.to_string()).unwrap_or_default(),
            unresolved_references: message.unresolved_references.clone(),
            ..Default::default()
        };
        let bytes = verdict.encode_to_vec();
        if !message.reply_to.is_empty() {
            inlet_bus::replies::send(replies, &message.reply_to, &message.message_id, &bytes).await;
        }
        if !message.idempotency_key.is_empty() {
            remember(redis, settings, message, &bytes).await;
        }
    }
}

/// The posts a message made in an earlier delivery; `None` when they
/// cannot be read (or there are none, which a committed message never has).
async fn stored_earlier(pool: &Pool, message: &FormattedMessage) -> Option<Vec<Post>> {
    let client = pool.get().await.ok()?;
    let mut id = Uuid::parse_str(&message.message_id).ok()?;
    if let (false, Ok(webhook)) = (
        message.idempotency_key.is_empty(),
        Uuid::parse_str(&message.webhook_id),
    ) && let Ok(Some(original)) =
        posts::idempotent_original(&**client, webhook, &message.idempotency_key).await
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
pub async fn send_dead_lettered(
    letters: &[DeadLettered],
    redis: &RedisConnection,
    settings: &RedisSettings,
    replies: &Channel,
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
        if !letter.reply_to.is_empty() {
            inlet_bus::replies::send(replies, &letter.reply_to, &letter.message_id, &bytes).await;
        }
        if !letter.idempotency_key.is_empty() {
            let (hook, key, id) = (
                &letter.webhook_id,
                &letter.idempotency_key,
                &letter.message_id,
            );
            inlet_redis::idempotency::remember(redis, settings, hook, key, id, &bytes).await;
        }
    }
}

async fn remember(
    redis: &RedisConnection,
    settings: &RedisSettings,
    message: &FormattedMessage,
    verdict: &[u8],
) {
    let (hook, key, id) = (
        &message.webhook_id,
        &message.idempotency_key,
        &message.message_id,
    );
    inlet_redis::idempotency::remember(redis, settings, hook, key, id, verdict).await;
}
