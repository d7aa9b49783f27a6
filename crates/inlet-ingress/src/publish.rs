//! Publishing an accepted raw webhook: through its shard's lane with the
//! broker's confirm (or the spool), then, for a waiting sender, the
//! pipeline's verdict. An accepted request's `Idempotency-Key` claim is
//! confirmed before its sender waits for the verdict. A refusal here is always `503`: the message is not
//! safe, the sender must retry.

use crate::State;
use crate::batcher::{NotPublished, Published};
use crate::outcome::Outcome;
use crate::request::unavailable;
use inlet_bus::PublishError;
use inlet_bus::replies::DIRECT_REPLY_TO;
use inlet_core::OrderingKey;
use inlet_dialects::Rejection;
use inlet_proto::Message;
use inlet_proto::v1::{RawWebhook, Verdict};
use inlet_redis::idempotency::Settlement;
use std::time::{Duration, Instant};

pub(crate) async fn publish(
    state: &State,
    key: &OrderingKey,
    raw: &RawWebhook,
    wait: bool,
) -> Result<Outcome, Rejection> {
    let shard = key.shard(state.settings.amqp.shards);
    let mut properties = inlet_bus::properties(Some(&raw.message_id))
        .with_timestamp((raw.received_at_micros / 1_000_000) as u64);
    let bytes = raw.encode_to_vec();
    let publisher = &state.publisher;
    let verdict = wait.then(|| {
        properties = std::mem::take(&mut properties)
            .with_reply_to(DIRECT_REPLY_TO.into())
            .with_correlation_id(raw.message_id.as_str().into());
        publisher.expect_verdict(&raw.message_id)
    });
    let started = Instant::now();
    let published = state.batcher.publish(shard, bytes, properties).await;
    state
        .metrics
        .confirm
        .observe(started.elapsed().as_secs_f64());
    if published.is_ok() && !raw.idempotency_key.is_empty() {
        // Accepted: a repeat of the key is answered as this request is.
        let (hook, key) = (&raw.webhook_id, &raw.idempotency_key);
        let (message, confirm) = (&raw.message_id, Settlement::Confirm);
        crate::idempotency_key::settle(state, hook, key, message, confirm).await;
    }
    let refused = match (published, verdict) {
        (Ok(Published::Confirmed), None) => return Ok(Outcome::Accepted),
        (Ok(Published::Confirmed), Some(verdict)) => {
            let timeout = Duration::from_millis(state.settings.ingress.wait_timeout_ms);
            return match tokio::time::timeout(timeout, verdict).await {
                Ok(Ok(bytes)) => Verdict::decode(bytes.as_slice())
                    .map(Outcome::Verdict)
                    .or(Ok(Outcome::Pending)),
                _ => {
                    publisher.forget_verdict(&raw.message_id);
                    Ok(Outcome::Pending)
                }
            };
        }
        // Nothing can answer a waiting sender before the broker is back.
        (Ok(Published::Spooled), verdict) => {
            if verdict.is_some() {
                publisher.forget_verdict(&raw.message_id);
            }
            return Ok(if wait {
                Outcome::Pending
            } else {
                Outcome::Accepted
            });
        }
        (Err(refused), verdict) => {
            if verdict.is_some() {
                publisher.forget_verdict(&raw.message_id);
            }
            refused
        }
    };
    Err(match refused {
        NotPublished::SpoolFailed => {
            unavailable("the message broker is unavailable and the spool is not writable")
        }
        NotPublished::Broker(error) => match error.as_ref() {
            PublishError::Unavailable => unavailable("the message broker is unavailable"),
            other => unavailable(format!("the message broker did not confirm: {other}")),
        },
    })
}
