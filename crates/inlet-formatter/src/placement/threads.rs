//! Thread rules (pure). A thread key (Slack's `thread_key`, talkSpirit's
//! `thread_id`) is claimed in its channel by the first message that names
//! it, and that message's first post becomes the root; later messages with
//! the key reply to it, and a redelivered first message finds its own claim
//! and is a root again. A root id (`root_id`, `thread_ts`) is replied to
//! when it is a root post of the channel; otherwise the posts stand alone
//! and carry `unresolved_root_id`. The claim itself is made in `claims.rs`
//! (`inlet_store::repo::claims::claim` holds it under any concurrency).

use super::{Placed, Target};
use inlet_core::MessageId;
use inlet_store::repo::claims::Claim;
use serde_json::Value;
use uuid::Uuid;

/// The thread of `key`, whose holder is `holder` (none: this message).
pub(super) fn by_key(message: MessageId, key: &str, holder: Option<Claim>) -> Placed {
    let root = holder
        .filter(|claim| claim.message_id != message.as_uuid())
        .map(|claim| claim.root_post_id);
    Placed::into_one(Target {
        root,
        thread_key: Some(key.to_string()),
        case_id: None,
    })
}

/// A reply to `raw`, when `known` says it is a root post of the channel.
pub(super) fn by_root(raw: &str, known: Option<Uuid>) -> Placed {
    let mut placed = Placed::into_one(Target {
        root: known,
        ..Target::default()
    });
    if known.is_none() {
        placed
            .props
            .push(("unresolved_root_id", Value::from(raw.to_string())));
    }
    placed
}
