//! Where a message's posts go inside their channel: a thread (by key or by
//! root id), one or more emakin cases, or nowhere in particular. Placement
//! is two steps: the claims it stands on are read or made in PostgreSQL
//! (`claims.rs`, its only I/O), then the pure `decide` (`decide.rs`; the
//! thread rules in `threads.rs`, the case rules and the `already_reported`
//! refusal in `cases.rs`) turns the translation and those claims into
//! targets. `posts.rs` makes the posts of each target.

mod cases;
mod claims;
mod decide;
mod posts;
#[cfg(test)]
mod tests;
mod threads;

pub use claims::Claims;
pub use decide::decide;

use crate::format::FormatError;
use inlet_core::MessageId;
use inlet_dialects::{Rejection, Translation};
use inlet_directory::claims::ClaimCache;
use inlet_store::Pool;
use serde_json::Value;
use uuid::Uuid;

/// One thread the drafts are posted into (all parts, in order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// An existing root every part replies to (else the first part is a root).
    pub root: Option<Uuid>,
    pub thread_key: Option<String>,
    pub case_id: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Placed {
    pub targets: Vec<Target>,
    /// Props added to every post (`unresolved_root_id`, `unresolved_references`).
    pub props: Vec<(&'static str, Value)>,
    pub unresolved_references: Vec<String>,
}

#[derive(Debug, PartialEq)]
pub enum Placements {
    Placed(Placed),
    /// Refused by the rules (a case id already reported by another message).
    Rejected(Rejection),
}

impl Placed {
    /// Every post in one thread, with no extra props.
    fn into_one(target: Target) -> Self {
        Self {
            targets: vec![target],
            ..Self::default()
        }
    }
}

/// Places one translation of `message` in `channel`: its claims are read
/// or made (through `pool`, remembered in `cache`), then decided.
pub async fn place(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    message: MessageId,
    translation: &Translation,
) -> Result<Placements, FormatError> {
    let claims = claims::read_or_make(pool, cache, channel, message, translation).await?;
    Ok(decide(message, translation, &claims))
}
