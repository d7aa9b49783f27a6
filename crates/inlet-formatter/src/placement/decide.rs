//! The pure placement decision: a translation and the claims read for it
//! give the targets of its posts, or a refusal. No I/O, so every rule is
//! unit-tested without a database (`tests.rs`).

use super::{Claims, Placed, Placements, Target, cases, threads};
use inlet_core::MessageId;
use inlet_dialects::{ThreadRef, Translation};

/// Where the posts of `message`'s `translation` go, given `claims`. A case
/// wins over a thread (only emakin has cases, and it has no threads).
pub fn decide(message: MessageId, translation: &Translation, claims: &Claims) -> Placements {
    if let Some(case) = &translation.case {
        return cases::place_case(message, case, claims);
    }
    Placements::Placed(match &translation.thread {
        None => Placed::into_one(Target::default()),
        Some(ThreadRef::Key(key)) => threads::by_key(message, key, claims.thread),
        Some(ThreadRef::Root(raw)) => threads::by_root(raw, claims.root),
    })
}
