//! A JSON body read once into a flat [`Document`] (its nodes in one list,
//! its text in one string), the engine's values made only for what a
//! template reaches: a body is read on every request, and a template looks
//! at a few of its fields. Reading it into values up front cost an
//! allocation per object, array and long string, and as many frees.
//!
//! A template sees no difference: an object is a map whose keys are in
//! sorted order, a repeated key keeps its last value, and lookups,
//! iteration, `length`, `tojson` and comparisons go through the same engine
//! calls; an array is the engine's own list.

use minijinja::value::{Enumerator, Object, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

mod scan;

/// Objects up to this many entries are searched key by key; larger ones
/// through their sorted entries ([`Document::sorted`]).
const LINEAR_SEARCH_ENTRIES: usize = 16;

/// Reads a JSON body (`serde_json`'s grammar, errors and nesting limit)
/// into the value a template sees.
pub(crate) fn read(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    // Checking the whole body's UTF-8 at once is cheaper than checking each
    // string; a body that is not UTF-8 is left to `serde_json` for an error
    // with its position.
    let document = match std::str::from_utf8(bytes) {
        Ok(text) => match scan::scan(text) {
            Some(document) => document,
            None => parse(serde_json::Deserializer::from_str(text), bytes.len())?,
        },
        Err(_) => parse(serde_json::Deserializer::from_slice(bytes), bytes.len())?,
    };
    Ok(Arc::new(document).value(0))
}

/// The document of a body that [`scan::scan`] gave up on, read by
/// `serde_json` (or its error).
fn parse<'de, R: serde_json::de::Read<'de>>(
    mut deserializer: serde_json::Deserializer<R>,
    len: usize,
) -> Result<Document, serde_json::Error> {
    let mut document = Document {
        // Unescaped text is never longer than its JSON.
        text: String::with_capacity(len),
        nodes: Vec::new(),
        sorted: Mutex::default(),
    };
    Reader(&mut document).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(document)
}

/// A JSON value as read: every node in document order, a container
/// followed by its children (an object's as key, value, key, value…).
#[derive(Debug)]
pub(crate) struct Document {
    /// The text of every string and key, one after the other.
    text: String,
    nodes: Vec<Node>,
    /// Large objects' entries as a map holds them (sorted by key, each key
    /// once), by object node: made the first time a template needs them
    /// and kept with the document, so that a lookup in a large object is a
    /// binary search and its `length` a count, however often a loop asks.
    sorted: Mutex<HashMap<usize, SortedEntries>>,
}

/// An object's (key, value) node pairs, sorted by key, each key once.
type SortedEntries = Arc<[(usize, usize)]>;

#[derive(Clone, Copy, Debug)]
enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// A string: `text[start..end]`.
    Str {
        start: usize,
        end: usize,
    },
    /// An object's key, `text[start..end]`, its value the next node; the
    /// object's key before it is `prev` (the object's own node for its
    /// first key).
    Key {
        start: usize,
        end: usize,
        prev: usize,
    },
    /// `len` items; the node after the array's last one is `next`.
    Array {
        len: usize,
        next: usize,
    },
    /// `len` entries (repeated keys counted each time); the node after
    /// the object's last one is `next`; its last key is `last` (its own
    /// node when it has none). Keys are linked from the last, so that a
    /// lookup stops at the first match: the last of a repeated key.
    Object {
        len: usize,
        next: usize,
        last: usize,
    },
}

impl Document {
    /// The node after `index` and all its children.
    fn next(&self, index: usize) -> usize {
        match self.nodes[index] {
            Node::Array { next, .. } | Node::Object { next, .. } => next,
            _ => index + 1,
        }
    }

    /// The text of the string node at `index`.
    fn str(&self, index: usize) -> &str {
        match self.nodes[index] {
            Node::Str { start, end } | Node::Key { start, end, .. } => &self.text[start..end],
            _ => "",
        }
    }

    /// The children of the container at `index`: an array's items, or an
    /// object's keys and values one after the other.
    fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.next(index);
        let mut child = index + 1;
        std::iter::from_fn(move || {
            (child < end).then(|| {
                let current = child;
                child = self.next(child);
                current
            })
        })
    }

    /// The (key, value) node pairs of the object at `index`, in document
    /// order.
    fn entries(&self, index: usize) -> Vec<(usize, usize)> {
        let mut entries = Vec::new();
        let mut key = match self.nodes[index] {
            Node::Object { last, .. } => last,
            _ => index,
        };
        while let Node::Key { prev, .. } = self.nodes[key] {
            entries.push((key, key + 1));
            key = prev;
        }
        entries.reverse();
        entries
    }

    /// Makes the string node at `key` a key of the object being read, after
    /// its key `last` (the object's own node before its first key); `last`
    /// becomes this key.
    fn add_key(&mut self, key: usize, last: &mut usize) {
        if let Node::Str { start, end } = self.nodes[key] {
            self.nodes[key] = Node::Key {
                start,
                end,
                prev: *last,
            };
            *last = key;
        }
    }

    /// The engine's value of the node at `index`: a map for an object
    /// (reading from this document), the engine's list for an array (its
    /// items made when the template reaches them).
    fn value(self: &Arc<Self>, index: usize) -> Value {
        match self.nodes[index] {
            Node::Null => Value::from(()),
            Node::Bool(v) => Value::from(v),
            Node::I64(v) => Value::from(v),
            Node::U64(v) => Value::from(v),
            Node::F64(v) => Value::from(v),
            Node::Str { .. } | Node::Key { .. } => Value::from(self.str(index)),
            Node::Array { len, .. } => {
                let mut items = Vec::with_capacity(len);
                items.extend(self.children(index).map(|index| Item {
                    document: Arc::clone(self),
                    index,
                }));
                Value::from(items)
            }
            Node::Object { .. } => Value::from_object(JsonObject {
                document: Arc::clone(self),
                index,
            }),
        }
    }
}

/// An item of an array: a list of these is the engine's own list (the
/// same `Vec` object as of values), each item's value made when it is
/// reached. A template that only tests or counts a list makes none.
#[derive(Clone)]
struct Item {
    document: Arc<Document>,
    index: usize,
}

impl From<Item> for Value {
    fn from(item: Item) -> Value {
        item.document.value(item.index)
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.document.value(self.index), f)
    }
}

/// A JSON object of a [`Document`], as the engine sees it: a map.
#[derive(Debug)]
pub(crate) struct JsonObject {
    document: Arc<Document>,
    /// Its node.
    index: usize,
}

impl JsonObject {
    /// The value node of `name`: of a repeated key, the last one, as a map
    /// read in order would keep.
    fn find(&self, name: &str) -> Option<usize> {
        let document = &*self.document;
        let Node::Object { last, len, .. } = document.nodes[self.index] else {
            return None;
        };
        if len > LINEAR_SEARCH_ENTRIES {
            let sorted = self.sorted();
            return sorted
                .binary_search_by(|(key, _)| document.str(*key).cmp(name))
                .ok()
                .map(|at| sorted[at].1);
        }
        // A plain loop over the keys, from the last: lookups are most of
        // what a template does with a body.
        let mut key = last;
        let name = name.as_bytes();
        while let Node::Key { start, end, prev } = document.nodes[key] {
            // Comparing the length and the first byte skips most keys
            // without a call to compare their text.
            let text = &document.text.as_bytes()[start..end];
            if text.len() == name.len() && text.first() == name.first() && text == name {
                return Some(key + 1);
            }
            key = prev;
        }
        None
    }

    /// Its entries as a map holds them: sorted by key, each key once (its
    /// last value). A large object's are made once per document.
    fn sorted(&self) -> SortedEntries {
        if self.len() <= LINEAR_SEARCH_ENTRIES {
            return self.sort_entries().into();
        }
        let mut cache = self
            .document
            .sorted
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(self.index)
            .or_insert_with(|| self.sort_entries().into())
            .clone()
    }

    fn sort_entries(&self) -> Vec<(usize, usize)> {
        let document = &*self.document;
        let mut entries = document.entries(self.index);
        // A stable sort keeps equal keys in reading order: the last of
        // each run is kept.
        entries.sort_by(|a, b| document.str(a.0).cmp(document.str(b.0)));
        entries.reverse();
        entries.dedup_by(|later, kept| document.str(later.0) == document.str(kept.0));
        entries.reverse();
        entries
    }

    fn len(&self) -> usize {
        match self.document.nodes[self.index] {
            Node::Object { len, .. } => len,
            _ => 0,
        }
    }
}

impl Object for JsonObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.find(key).map(|value| self.document.value(value))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let pairs: Vec<(Value, Value)> = self
            .sorted()
            .iter()
            .map(|&(key, value)| (self.document.value(key), self.document.value(value)))
            .collect();
        Enumerator::RevKeyValueIter(Box::new(pairs.into_iter()))
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        // Repeated keys are rare: only then are the entries sorted to
        // count each key once.
        match self.len() {
            len @ (0 | 1) => Some(len),
            _ => Some(self.sorted().len()),
        }
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.len() != 0
    }
}

/// Reads one JSON value (and its children) onto the end of a document.
struct Reader<'d>(&'d mut Document);

impl Reader<'_> {
    fn push(self, node: Node) {
        self.0.nodes.push(node);
    }
}

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Node::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.push(Node::I64(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.push(Node::U64(v));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.push(Node::F64(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let start = self.0.text.len();
        self.0.text.push_str(v);
        let end = self.0.text.len();
        self.push(Node::Str { start, end });
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.push(Node::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let document = self.0;
        let at = document.nodes.len();
        document.nodes.push(Node::Array { len: 0, next: 0 });
        let mut len = 0;
        while seq.next_element_seed(Reader(document))?.is_some() {
            len += 1;
        }
        let next = document.nodes.len();
        document.nodes[at] = Node::Array { len, next };
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let document = self.0;
        let at = document.nodes.len();
        document.nodes.push(Node::Object {
            len: 0,
            next: 0,
            last: at,
        });
        let mut len = 0;
        let mut last = at;
        // Every key of a JSON object is a string: read as one.
        loop {
            let key = document.nodes.len();
            if map.next_key_seed(Reader(document))?.is_none() {
                break;
            }
            document.add_key(key, &mut last);
            map.next_value_seed(Reader(document))?;
            len += 1;
        }
        let next = document.nodes.len();
        document.nodes[at] = Node::Object { len, next, last };
        Ok(())
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
