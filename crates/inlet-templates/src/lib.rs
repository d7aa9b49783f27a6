//! A webhook's own template (docs/templates.md): Jinja syntax through
//! `minijinja`, compiled once when it is saved ([`compile`], refusing a
//! syntax error with its line and column), rendered over one request
//! ([`Compiled::render`]) within a fuel (step) limit, a time limit and an
//! output size limit, into the document the `template` translator reads
//! ([`inlet_dialects::template::Rendered`]) or an "ignore" with a reason.
//!
//! Pure: a template sees the request (`body`, `headers`, `query`) and
//! nothing else; there is no loader, no include, no I/O.
//!
//! `context` turns a request into what the template sees, `helpers` are
//! the filters and functions it may call (`text` what they do to text),
//! `render` runs it within the limits, `translate` takes a request through
//! it to the registry's `Outcome`.

mod context;
mod error;
mod helpers;
mod json;
mod render;
mod text;
mod translate;

pub use context::{Context, RequestView, context, shows_header, shows_query};
pub use error::{ErrorKind, TemplateError};
pub use helpers::DEFAULT_DATETIME_FORMAT;
pub use render::{Compiled, Rendering, compile};
pub use translate::{Translated, translate};

use std::time::Duration;

/// A webhook's template: one template string per field of the post,
/// rendered into the same fields. Only `message` is required.
pub type TemplateSource = inlet_dialects::template::PostFields;

/// Longest template string of a field, in bytes: a template is written by
/// a person, and is stored with every version.
pub const MAX_SOURCE_BYTES: usize = 16 * 1024;

/// The limits one render runs within (config `[templates]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// minijinja's fuel: roughly one unit per instruction, and the memory
    /// of the values made. Bounds loops and recursion deterministically.
    pub fuel: u64,
    /// Wall-clock time of one render, all fields together.
    pub time: Duration,
    /// Bytes one field may render (the message's whole text before it
    /// is split into posts).
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 100_000,
            time: Duration::from_millis(250),
            max_output_bytes: 64 * 1024,
        }
    }
}

/// The fields of a template, in the order they render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Message,
    Topic,
    Username,
    IconUrl,
    CaseId,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Message,
        Field::Topic,
        Field::Username,
        Field::IconUrl,
        Field::CaseId,
    ];

    /// Its name in the API (`template.message`) and in errors.
    pub fn name(self) -> &'static str {
        match self {
            Field::Message => "message",
            Field::Topic => "topic",
            Field::Username => "username",
            Field::IconUrl => "icon_url",
            Field::CaseId => "case_id",
        }
    }

    /// This field's template string in `source`, if it has one.
    pub fn of(self, source: &TemplateSource) -> Option<&str> {
        match self {
            Field::Message => Some(&source.message),
            Field::Topic => source.topic.as_deref(),
            Field::Username => source.username.as_deref(),
            Field::IconUrl => source.icon_url.as_deref(),
            Field::CaseId => source.case_id.as_deref(),
        }
    }
}
