//! A JSON body read straight into the engine's values, its objects kept as
//! one sorted list of entries ([`JsonObject`]) rather than the engine's own
//! tree map: a body is read on every request and mostly read once, and a
//! list is built, searched and dropped for a fraction of the tree's
//! allocations and comparisons.
//!
//! A template sees no difference: keys are in the same (sorted) order, a
//! repeated key keeps its last value, and lookups, iteration, `length`,
//! `tojson` and comparisons go through the same engine calls.

use minijinja::value::{Enumerator, Object, ObjectExt, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::Arc;

/// Objects up to this many entries are searched in order.
const LINEAR_SEARCH_ENTRIES: usize = 16;

/// A JSON object: its entries sorted by key, each key once.
#[derive(Debug)]
pub(crate) struct JsonObject {
    entries: Vec<Entry>,
}

/// One key and its value.
#[derive(Debug)]
struct Entry {
    key: Value,
    /// The key's length in bytes: most keys searched past differ in
    /// length, and are skipped without reading their text.
    key_len: usize,
    value: Value,
}

impl JsonObject {
    /// The object of `entries` in the order they were read: sorted (a stable
    /// sort), and of a repeated key only the last kept, as a map would.
    fn new(mut entries: Vec<Entry>) -> Self {
        let sorted = entries.windows(2).all(|pair| key(&pair[0]) < key(&pair[1]));
        if !sorted {
            entries.sort_by(|a, b| key(a).cmp(key(b)));
            // Equal keys are now side by side in reading order: keep the
            // last of each run.
            entries.reverse();
            entries.dedup_by(|later, kept| key(later) == key(kept));
            entries.reverse();
        }
        Self { entries }
    }

    fn find(&self, name: &str) -> Option<&Value> {
        // Most objects are small: comparing for equality (length first) is
        // cheaper there than ordering at each step of a binary search.
        if self.entries.len() <= LINEAR_SEARCH_ENTRIES {
            return self
                .entries
                .iter()
                .find(|entry| entry.key_len == name.len() && key(entry) == name)
                .map(|entry| &entry.value);
        }
        self.entries
            .binary_search_by(|entry| key(entry).cmp(name))
            .ok()
            .map(|index| &self.entries[index].value)
    }
}

/// An entry's key as text (every key of a JSON object is a string).
fn key(entry: &Entry) -> &str {
    entry.key.as_str().unwrap_or_default()
}

impl Object for JsonObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.find(key.as_str()?).cloned()
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.find(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_rev_key_value_enumerator(|this| {
            Box::new(
                this.entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.clone())),
            )
        })
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A JSON value read into the engine's value.
pub(crate) struct Json(pub(crate) Value);

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor).map(Json)
    }
}

/// A JSON key (always a string) and its length in bytes.
struct Key(Value, usize);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object's key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(Value::from(v), v.len()))
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::from(()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::from(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((Key(key, key_len), Json(value))) = map.next_entry()? {
            entries.push(Entry {
                key,
                key_len,
                value,
            });
        }
        Ok(Value::from_object(JsonObject::new(entries)))
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
