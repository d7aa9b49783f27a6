//! The common body read without serde's machinery: one pass over the
//! bytes straight into a [`Document`], strings left where they lie in a copy
//! of the body. `serde_json` stays the judge of what JSON is: this scanner
//! gives up (`None`) on anything it does not take exactly as `serde_json`
//! would (an error, deep nesting, a number other than a short plain
//! integer is handed to it), and the body is then read by `serde_json`,
//! which gives the error with its position.

use super::{Document, Node};

/// Deeper than this, `serde_json` reads the body (and applies its own
/// nesting limit, 128).
const MAX_DEPTH: usize = 100;

/// The document of `text`, or `None` when `serde_json` is to read it.
pub(super) fn scan(text: &str) -> Option<Document> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        document: Document {
            // Strings are ranges of this copy; unescaped strings go after it.
            text: text.to_string(),
            // About one node per 16 bytes of a typical body.
            nodes: Vec::with_capacity(text.len() / 16 + 4),
            sorted: Default::default(),
        },
    };
    scanner.whitespace();
    scanner.value(0)?;
    scanner.whitespace();
    (scanner.at == scanner.bytes.len()).then_some(scanner.document)
}

struct Scanner<'a> {
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
    document: Document,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips JSON's white space (space, tab, line feed, carriage return).
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Reads the value at `at` onto the document.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(),
            b't' => self.literal(b"true", Node::Bool(true)),
            b'f' => self.literal(b"false", Node::Bool(false)),
            b'n' => self.literal(b"null", Node::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], node: Node) -> Option<()> {
        if !self.bytes[self.at..].starts_with(word) {
            return None;
        }
        self.at += word.len();
        self.document.nodes.push(node);
        Some(())
    }

    fn object(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let at = self.document.nodes.len();
        self.document.nodes.push(Node::Object {
            len: 0,
            next: 0,
            last: at,
        });
        let mut last = at;
        self.at += 1;
        self.whitespace();
        let mut len = 0;
        if self.peek()? == b'}' {
            self.at += 1;
        } else {
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key = self.document.nodes.len();
                self.string()?;
                self.document.add_key(key, &mut last);
                self.whitespace();
                if self.peek()? != b':' {
                    return None;
                }
                self.at += 1;
                self.whitespace();
                self.value(depth)?;
                len += 1;
                if self.closed_after_item(b'}')? {
                    break;
                }
            }
        }
        let next = self.document.nodes.len();
        self.document.nodes[at] = Node::Object { len, next, last };
        Some(())
    }

    /// After a container's item: a comma and the white space after it
    /// (`false`, another item follows), or the container's `close`
    /// (`true`); anything else is not this scanner's to read (`None`).
    fn closed_after_item(&mut self, close: u8) -> Option<bool> {
        self.whitespace();
        let byte = self.peek()?;
        self.at += 1;
        if byte == close {
            return Some(true);
        }
        if byte != b',' {
            return None;
        }
        self.whitespace();
        Some(false)
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let at = self.document.nodes.len();
        self.document.nodes.push(Node::Array { len: 0, next: 0 });
        self.at += 1;
        self.whitespace();
        let mut len = 0;
        if self.peek()? == b']' {
            self.at += 1;
        } else {
            loop {
                self.value(depth)?;
                len += 1;
                if self.closed_after_item(b']')? {
                    break;
                }
            }
        }
        let next = self.document.nodes.len();
        self.document.nodes[at] = Node::Array { len, next };
        Some(())
    }

    /// A string at `at` (its opening quote): a range of the copy when it
    /// has no escape, else unescaped by `serde_json` after the copy.
    /// Inlined: it is read for every string and key.
    #[inline(always)]
    fn string(&mut self) -> Option<()> {
        let start = self.at + 1;
        let end = special_byte(self.bytes, start);
        match *self.bytes.get(end)? {
            b'"' => {
                self.at = end + 1;
                self.document.nodes.push(Node::Str { start, end });
                Some(())
            }
            b'\\' => self.escaped_string(),
            // A control character: an error.
            _ => None,
        }
    }

    /// A string with an escape: its end found (skipping escaped
    /// characters), then unescaped by `serde_json`.
    fn escaped_string(&mut self) -> Option<()> {
        let open = self.at;
        let mut end = open + 1;
        loop {
            end = special_byte(self.bytes, end);
            match *self.bytes.get(end)? {
                b'"' => break,
                b'\\' => end += 2,
                _ => return None,
            }
        }
        let literal = std::str::from_utf8(self.bytes.get(open..=end)?).ok()?;
        let unescaped: String = serde_json::from_str(literal).ok()?;
        let text = &mut self.document.text;
        let start = text.len();
        text.push_str(&unescaped);
        self.document.nodes.push(Node::Str {
            start,
            end: text.len(),
        });
        self.at = end + 1;
        Some(())
    }

    /// A number: a plain integer below 10¹⁸ read here, any other handed to
    /// `serde_json` (its grammar, and its choice of integer or float).
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        let mut end = start;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.bytes.get(end) {
            end += 1;
        }
        let token = &self.bytes[start..end];
        let plain = token.len() <= 18
            && token.iter().all(u8::is_ascii_digit)
            && (token[0] != b'0' || token.len() == 1);
        let node = if plain {
            Node::U64(token.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')))
        } else {
            let number: serde_json::Number =
                serde_json::from_str(std::str::from_utf8(token).ok()?).ok()?;
            if let Some(n) = number.as_u64() {
                Node::U64(n)
            } else if let Some(n) = number.as_i64() {
                Node::I64(n)
            } else {
                Node::F64(number.as_f64()?)
            }
        };
        self.document.nodes.push(node);
        self.at = end;
        Some(())
    }
}

/// The index of the first byte from `from` that ends a string's plain run
/// (a quote, a backslash or a control character), or the length: eight
/// bytes at a time. Inlined: it is called for every string and key.
#[inline(always)]
fn special_byte(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGHS: u64 = ONES << 7;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // A byte's high bit is set where it is below 0x20, or (after the
        // xor) where it equals the quote or the backslash; the lowest set
        // bit is exact.
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = word ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control | quote | backslash) & HIGHS;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}
