//! `props.dropped`: what a translation left out of a post and why, so a
//! sender can see why a link or an icon is missing while the post still
//! goes through (dialects.md, common rules).

use crate::fields::Path;
use crate::url::is_web_url;
use serde_json::{Map, Value};

/// Reasons, worded once so that every dialect says the same thing.
pub const NOT_WEB_URL: &str = "not an http(s) URL";
pub const NOT_LINK_URL: &str = "not an http(s) or mailto URL";

/// The notes gathered while translating one payload.
#[derive(Debug, Default)]
pub struct Dropped(Vec<Value>);

impl Dropped {
    /// Notes that the value at `field` was left out.
    pub fn note(&mut self, field: &Path<'_>, reason: &str) {
        let mut entry = Map::new();
        entry.insert("field".into(), Value::from(field.to_string()));
        entry.insert("reason".into(), Value::from(reason));
        self.0.push(Value::Object(entry));
    }

    /// The URL at `field`, trimmed, if it is an http(s) URL; anything else
    /// that is not blank is noted and left out.
    pub fn keep_web_url<'v>(&mut self, raw: Option<&'v str>, field: &Path<'_>) -> Option<&'v str> {
        let url = raw.map(str::trim).filter(|u| !u.is_empty())?;
        if is_web_url(url) {
            return Some(url);
        }
        self.note(field, NOT_WEB_URL);
        None
    }

    /// The `props.dropped` value, if anything was dropped.
    pub fn into_value(self) -> Option<Value> {
        (!self.0.is_empty()).then_some(Value::Array(self.0))
    }
}
