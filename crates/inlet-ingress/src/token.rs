//! The webhook a request's token names (decisions.md 45), and the signing
//! secret it holds. Parsing and hashing are `inlet_core::token`'s; the
//! screen of tokens never issued here is [`crate::token_screen`]'s.

use crate::State;
use crate::request::unavailable;
use crate::token_screen::Screened;
use actix_web::HttpRequest;
use inlet_core::WebhookToken;
use inlet_dialects::{ErrorCode, Rejection};
use inlet_store::Webhook;
use std::time::Instant;

/// The webhook of `token`. Unknown, revoked and disabled tokens get one
/// and the same answer; a token never issued here costs no lookup, and a
/// source address that keeps naming unknown tokens is answered `429`
/// (decisions.md 45).
pub(crate) async fn webhook_for(
    state: &State,
    http: &HttpRequest,
    token: &str,
) -> Result<Webhook, Rejection> {
    let no_service = || Rejection::new(ErrorCode::NoService, "no such webhook");
    let checks = &state.metrics.token_checks;
    let peer = http.peer_addr().map(|a| a.ip());
    let now = Instant::now();
    let failed = || {
        if let Some(peer) = peer {
            state.failed_lookups.failed(peer, now);
            state.delivery_log.unknown_token(peer);
        }
        no_service()
    };
    let Ok(token) = WebhookToken::parse(token) else {
        return Err(failed());
    };
    let hash = token.hash();
    let screened = state.token_screen.judge(&token, &hash);
    // A signed token was given to its sender: never held back by others
    // sharing its address.
    if screened != Screened::Issued
        && let Some(wait) = peer.and_then(|p| state.failed_lookups.blocked(p, now))
    {
        checks.with_label_values(&["limited"]).inc();
        return Err(Rejection::rate_limited(
            "this address named too many unknown webhook tokens; retry later",
            wait,
        ));
    }
    if screened == Screened::Unknown {
        checks.with_label_values(&["screened"]).inc();
        return Err(failed());
    }
    checks.with_label_values(&["looked_up"]).inc();
    match state.directory.webhook_by_token(hash).await {
        Ok(Some(webhook)) => {
            // A use is a request that names an active webhook's token,
            // whatever becomes of its body: the owner sees the sender is alive.
            state.last_used.record(webhook.id, chrono::Utc::now());
            Ok((*webhook).clone())
        }
        Ok(None) => Err(failed()),
        // Never 404 when we do not know: vendors disable endpoints that 4xx.
        Err(error) => Err(unavailable(format!("token lookup: {error}"))),
    }
}

/// The webhook's signing secret, opened; a secret that cannot be opened
/// (no key, a changed key) is an outage, never a skipped check.
pub(crate) fn signing_secret(
    state: &State,
    webhook: &Webhook,
) -> Result<Option<Vec<u8>>, Rejection> {
    let Some(sealed) = &webhook.signing_secret_sealed else {
        return Ok(None);
    };
    let opened = match &state.secrets {
        Some(secrets) => secrets.open(sealed),
        None => Err(inlet_core::secrets::SecretError::NoKey),
    };
    opened.map(Some).map_err(|error| {
        tracing::error!(%error, webhook_id = %webhook.id, "cannot open a webhook's signing secret");
        unavailable("the webhook's signing secret cannot be read")
    })
}
