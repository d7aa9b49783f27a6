//! Inlet's dialects: a pure function from (translator, request) to an
//! outcome: a refusal (an error code and a human detail), an event ignored
//! with its reason, or translations (the target channel and post drafts).
//!
//! Nothing here does I/O. Every translator, dialect or integration, is in
//! one registry ([`Translator`], found by the raw webhook's typed
//! [`DialectName`]) and answers one [`Outcome`]. Ingress calls it to refuse
//! bad payloads synchronously; the formatter calls it again to build the
//! posts.
//!
//! Shared by the dialects: `body` (bytes to a JSON object), `code` (where
//! the code is in a text), `markup` and `mrkdwn` (Slack markup to
//! markdown), `mentions` (neutralising `@channel`/`@here`/`@all`), `split`
//! (long messages), `fields` and `notes` (typed fields, `props.dropped`),
//! `links` (no `javascript:` link in any markdown) and `storable` (what
//! PostgreSQL cannot hold never leaves a translation).

pub mod body;
mod code;
pub mod draft;
pub mod emakin;
pub mod error;
mod fields;
pub mod integrations;
pub mod links;
mod markup;
mod mentions;
mod message_apis;
mod mrkdwn;
mod multipart;
mod notes;
pub mod slack;
pub mod split;
pub mod storable;
pub mod talkspirit;
pub mod template;
mod translator;
pub mod url;

pub use draft::{
    Author, DirectoryView, Draft, EmptyDirectory, Limits, Markup, Target, ThreadRef, Translation,
    TranslationRequest, WebhookView,
};
pub use error::{ErrorCode, Rejection};
pub use inlet_proto::DialectName;
pub use integrations::IgnoreReason;
pub use translator::{Outcome, Refusal, Translator, translate};
