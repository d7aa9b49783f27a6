//! emakin case rules (pure). An opening claims its case id in the channel;
//! a second opening of the same case id by another message is refused
//! `already_reported`, while a redelivery of the opening finds its own
//! claim and is placed the same again. A reference replies in the thread
//! of its case; a reference to no known case is kept as
//! `unresolved_references` (on the message and in every post's props).
//! The claim itself is made in `claims.rs` (`inlet_store::repo::cases`
//! holds it under any concurrency).

use super::{Claims, Placed, Placements, Target};
use inlet_core::{MessageId, post_id};
use inlet_dialects::draft::CaseRef;
use inlet_dialects::{ErrorCode, Rejection};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The root post an opening claims its case with: an opening that also
/// references cases joins its first known case's thread, else its own first
/// post is the root.
pub(super) fn opening_root(
    message: MessageId,
    case: &CaseRef,
    roots: &HashMap<String, Uuid>,
) -> Uuid {
    case.references
        .iter()
        .find_map(|reference| roots.get(reference).copied())
        .unwrap_or_else(|| post_id(message, 0))
}

/// The targets of an emakin message, or its refusal.
pub(super) fn place_case(message: MessageId, case: &CaseRef, claims: &Claims) -> Placements {
    if let Some(rejection) = already_reported(message, case, claims) {
        return Placements::Rejected(rejection);
    }
    let (resolved, unresolved): (Vec<&String>, Vec<&String>) = case
        .references
        .iter()
        .partition(|reference| claims.case_roots.contains_key(*reference));
    let unresolved: Vec<String> = unresolved.into_iter().cloned().collect();
    let mut placed = Placed {
        unresolved_references: unresolved.clone(),
        ..Placed::default()
    };
    if !unresolved.is_empty() {
        placed
            .props
            .push(("unresolved_references", Value::from(unresolved)));
    }
    placed.targets = if resolved.is_empty() {
        vec![Target {
            root: None,
            thread_key: None,
            case_id: case.opens.clone(),
        }]
    } else {
        resolved
            .into_iter()
            .map(|reference| Target {
                root: claims.case_roots.get(reference).copied(),
                thread_key: None,
                case_id: Some(reference.clone()),
            })
            .collect()
    };
    Placements::Placed(placed)
}

/// An opening whose case id another message holds.
fn already_reported(message: MessageId, case: &CaseRef, claims: &Claims) -> Option<Rejection> {
    let holder = claims.opening.filter(|_| case.opens.is_some())?;
    (holder.message_id != message.as_uuid())
        .then(|| Rejection::new(ErrorCode::AlreadyReported, "already reported"))
}
