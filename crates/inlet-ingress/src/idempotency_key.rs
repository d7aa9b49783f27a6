//! The sender's `Idempotency-Key` (or the vendor's delivery id, which
//! stands for it): read from the request, claimed in Redis so that a
//! repeat is answered as the first request was, and given back when the
//! request is not accepted after all.

use crate::State;
use crate::outcome::Outcome;
use actix_web::HttpRequest;
use inlet_core::MessageId;
use inlet_dialects::Rejection;
use inlet_proto::Message;
use inlet_proto::v1::Verdict;
use inlet_redis::idempotency::{self, Claimed};
use inlet_store::Webhook;

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

/// Claims the `Idempotency-Key`; `Some` when an earlier request holds it.
/// With Redis down the request goes on (delivery still deduplicates).
pub(crate) async fn repeat_of(
    state: &State,
    webhook: &Webhook,
    key: &str,
    id: MessageId,
    waited: bool,
) -> Option<Outcome> {
    let hook = webhook.id.to_string();
    let claimed = idempotency::claim(
        &state.redis,
        &state.settings.redis,
        &hook,
        key,
        &id.to_string(),
    )
    .await;
    match claimed {
        Ok(Claimed::First) => None,
        Ok(Claimed::Repeat {
            message_id,
            verdict,
        }) => {
            let first = message_id.parse().unwrap_or(id);
            let verdict = verdict.and_then(|bytes| Verdict::decode(bytes.as_slice()).ok());
            Some(Outcome::Repeat {
                first,
                verdict,
                waited,
            })
        }
        Err(error) => {
            tracing::warn!(%error, "idempotency check skipped: Redis unavailable");
            None
        }
    }
}

/// Gives the key back: the request was not accepted, and a retry must be
/// able to claim it.
pub(crate) async fn release(state: &State, webhook_id: &str, key: &str) {
    idempotency::release(&state.redis, &state.settings.redis, webhook_id, key).await;
}
