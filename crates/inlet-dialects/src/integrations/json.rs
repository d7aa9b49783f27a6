//! JSON (`/api/v1/external/json`): any JSON object, pretty-printed in a
//! `json` code block, topic `JSON` (a tool for capturing payloads while
//! writing integrations). The body is re-indented from the raw text, so
//! the sender's key order is kept, as Zulip's output keeps it.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::text::fence_for;
use super::{Formatted, Formatting, Integration};
use serde_json::Value;

pub struct Json;

impl Integration for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn display_name(&self) -> &'static str {
        "JSON"
    }

    fn events(&self) -> &'static [&'static str] {
        &["json"]
    }

    fn event_of(&self, _: &Headers<'_>, _: &Value) -> Result<String, IntegrationError> {
        Ok("json".to_string())
    }

    fn format(&self, _event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        // The parsed payload has lost the key order (serde_json sorts
        // without `preserve_order`), so the raw text is re-indented.
        let pretty = match std::str::from_utf8(params.raw_body()) {
            Ok(raw) => reindent(raw),
            Err(_) => serde_json::to_string_pretty(payload)
                .map_err(|e| IntegrationError::invalid(e.to_string()))?,
        };
        Ok(Formatted::one("JSON", "JSON", code_block(&pretty)))
    }
}

/// The payload in a fenced `json` block whose fence outgrows any backtick
/// run in the text.
pub fn code_block(pretty: &str) -> String {
    let fence = fence_for(pretty, '`');
    format!("{fence}json\n{pretty}\n{fence}")
}

/// Re-indents valid JSON text with two spaces, keeping its key order
/// (`json.dumps(indent=2)`'s layout: `"k": v`, one item per line, `{}`
/// and `[]` when empty). The text must already have parsed as JSON.
pub fn reindent(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 2);
    let mut depth = 0usize;
    let mut chars = raw.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for s in chars.by_ref() {
                    out.push(s);
                    match (escaped, s) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|&n| n == '}' || n == ']') {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindent_keeps_key_order_and_layout() {
        let raw = r#" {"b": 1, "a": [1, {"x": "y, \"z\": {"}], "e": {}, "f": [ ] } "#;
        let expected = "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    {\n      \"x\": \"y, \\\"z\\\": {\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}";
        assert_eq!(reindent(raw), expected);
    }

    #[test]
    fn fences_outgrow_backticks_in_the_payload() {
        assert_eq!(code_block("\"```\""), "````json\n\"```\"\n````");
    }
}
