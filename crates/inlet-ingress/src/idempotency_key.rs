//! The sender's `Idempotency-Key` (or the vendor's delivery id, which
//! stands for it): read from the request, claimed in Redis so that a
//! repeat is answered as the first request was, confirmed once the
//! request is accepted, and given up when it is not accepted after all
//! (decisions.md 13, 76).

use crate::State;
use crate::outcome::Outcome;
use crate::request::unavailable;
use actix_web::HttpRequest;
use inlet_core::MessageId;
use inlet_dialects::Rejection;
use inlet_proto::Message;
use inlet_proto::v1::Verdict;
use inlet_redis::idempotency::{self, Claimed, Settlement};
use inlet_store::Webhook;
use std::time::Duration;

/// Longest accepted `Idempotency-Key`, in bytes.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The sender's `Idempotency-Key`, if any (at most 255 bytes).
pub(crate) fn read(req: &HttpRequest) -> Result<Option<String>, Rejection> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| Rejection::invalid("header `Idempotency-Key` must be visible ASCII"))?
        .trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(Rejection::invalid(
            "header `Idempotency-Key` must be 1..=255 bytes",
        ));
    }
    Ok(Some(key.to_string()))
}

/// Time allowed past the longest publish (about twice
/// `amqp.confirm_timeout_ms`: the lane's queue, then the confirm) before an
/// unconfirmed claim counts as left by a dead ingress.
const TAKEOVER_MARGIN: Duration = Duration::from_secs(2);

/// The longest `Retry-After` told to the repeat of a claim still pending.
const PENDING_RETRY_AFTER_SECS: u64 = 2;

/// What the claim of a request's `Idempotency-Key` decided.
pub(crate) enum Claim {
    /// Publish under `message`: the request's own id, or, taking over an
    /// unconfirmed claim, the first request's.
    Publish {
        message: MessageId,
        taken_over: bool,
    },
    /// An earlier request holds the key: answer this.
    Answered(Box<Outcome>),
}

/// How old an unconfirmed claim must be to be taken over.
pub(crate) fn stale_after(state: &State) -> Duration {
    2 * Duration::from_millis(state.settings.amqp.confirm_timeout_ms) + TAKEOVER_MARGIN
}

/// Claims the `Idempotency-Key` for the request `id`. A repeat of an
/// accepted request is answered as the first was; a repeat of one still
/// being published is refused with `503`; a repeat of one left
/// unconfirmed (its ingress died) publishes under the first message id.
/// With Redis down the request goes on (delivery still deduplicates).
pub(crate) async fn claim(
    state: &State,
    webhook: &Webhook,
    key: &str,
    id: MessageId,
    waited: bool,
) -> Result<Claim, Rejection> {
    let hook = webhook.id.to_string();
    let claimed = idempotency::claim(
        &state.redis,
        &state.settings.redis,
        &hook,
        key,
        &id.to_string(),
        stale_after(state),
    )
    .await;
    let own = Claim::Publish {
        message: id,
        taken_over: false,
    };
    match claimed {
        Ok(Claimed::First) => Ok(own),
        Ok(Claimed::TakenOver { message_id }) => {
            let Ok(first) = message_id.parse() else {
                return Ok(own);
            };
            tracing::info!(message_id = %first, "taking over an unconfirmed idempotency claim");
            Ok(Claim::Publish {
                message: first,
                taken_over: true,
            })
        }
        Ok(Claimed::Pending { stale_in, .. }) => {
            let mut rejection = unavailable(
                "an earlier request with this `Idempotency-Key` is still being published",
            );
            let secs = stale_in.as_secs_f64().ceil() as u64;
            rejection.retry_after_secs = Some(secs.clamp(1, PENDING_RETRY_AFTER_SECS));
            Err(rejection)
        }
        Ok(Claimed::Repeat {
            message_id,
            verdict,
        }) => {
            let first = message_id.parse().unwrap_or(id);
            let verdict = verdict.and_then(|bytes| Verdict::decode(bytes.as_slice()).ok());
            Ok(Claim::Answered(Box::new(Outcome::Repeat {
                first,
                verdict,
                waited,
            })))
        }
        Err(error) => {
            tracing::warn!(%error, "idempotency check skipped: Redis unavailable");
            Ok(own)
        }
    }
}

/// Ends the claim: confirmed once the request is accepted (the broker
/// confirmed it, or the spool holds it), so that a repeat is answered so;
/// given up when it was not accepted after all, so that the sender's retry
/// takes it over at once (under the same message id, since the publish may
/// have reached the broker unconfirmed).
pub(crate) async fn settle(
    state: &State,
    webhook_id: &str,
    key: &str,
    message: &str,
    settlement: Settlement,
) {
    let (redis, settings) = (&state.redis, &state.settings.redis);
    idempotency::settle(redis, settings, webhook_id, key, message, settlement).await;
}
