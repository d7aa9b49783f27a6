//! How a request ended, before its door turns it into HTTP: accepted (and
//! the verdict, when the sender waited), not posted, or refused.

use inlet_core::MessageId;
use inlet_dialects::{DialectName, Refusal, Rejection};
use inlet_proto::v1::Verdict;

/// How an accepted request ended, before it becomes HTTP.
pub(crate) enum Outcome {
    Accepted,
    Verdict(Verdict),
    Pending,
    /// A repeat of an earlier request's `Idempotency-Key`.
    Repeat {
        first: MessageId,
        verdict: Option<Verdict>,
        waited: bool,
    },
    /// Nothing was published: the translator ignored the event, or it
    /// carried nothing to post (integrations, decisions.md 18).
    NotPosted(NotPosted),
}

/// What the message APIs answer of an accepted request's first post: it
/// is known before the post is stored, since its id derives from the
/// message's (`inlet_core::ids::post_id`).
pub(crate) struct FirstPost {
    /// The message whose first post it is: the request's, or for a repeat
    /// of an `Idempotency-Key` the first request's.
    pub message: MessageId,
    /// The channel's id; for a direct message to be opened, `@username`.
    pub channel: String,
    pub text: String,
    pub username: String,
    /// The post it replies to (`thread_ts`), if it names one.
    pub replies_to: Option<String>,
}

/// Why nothing was published, as a waiting sender is told.
pub(crate) struct NotPosted {
    /// `filtered`, `unsupported`, `not_wanted` or `empty`.
    pub reason: &'static str,
    pub event: String,
    pub detail: String,
    /// The integration's display name, when it does not support the event
    /// (Zulip's `UNSUPPORTED_WEBHOOK_EVENT_TYPE` answer).
    pub unsupported_by: Option<&'static str>,
}

/// Why a request was not accepted.
pub(crate) enum Refused {
    /// Counted in `inlet_ingress_rejections_total` by its reason.
    Counted(Refusal),
    /// The URL names no translator: only an integration's name can be
    /// unknown (`404`, before any other check).
    NoTranslator(DialectName),
    /// No token where the integrations' door looks for one (`401`).
    NoToken,
}

impl From<Rejection> for Refused {
    fn from(rejection: Rejection) -> Self {
        Refused::Counted(rejection.into())
    }
}
