//! What a template sees of a request: `body` (the parsed JSON, or the
//! form's fields), `headers` (lower-case names, never a secret or a
//! signature) and `query` (never `api_key` or `token`). Nothing else.

use crate::json;
use minijinja::value::{Serde, Value};
use std::collections::BTreeMap;

/// The request as the template is to see it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestView<'a> {
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub headers: &'a [(String, String)],
    pub query: &'a [(String, String)],
}

/// Header names that hold or prove a secret: never shown to a template
/// (and so never carried past ingress; decisions.md 40).
const SECRET_HEADER_PARTS: [&str; 7] = [
    "authorization",
    "cookie",
    "signature",
    "token",
    "secret",
    "api-key",
    "password",
];

/// Query parameters that carry the webhook's token.
const SECRET_QUERY: [&str; 2] = ["api_key", "token"];

/// Whether a template may see this header.
pub fn shows_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !SECRET_HEADER_PARTS.iter().any(|part| name.contains(part))
}

/// What a template sees, ready to render: built once per request.
#[derive(Clone, Debug)]
pub struct Context(pub(crate) Value);

impl Context {
    /// The variables of a JSON object (`{"body": …, "headers": …}`):
    /// tests and tools; requests go through [`context`].
    pub fn from_json(variables: &serde_json::Value) -> Self {
        Context(Value::from(Serde(variables)))
    }

    /// A variable, as JSON (tests).
    pub fn get(&self, name: &str) -> serde_json::Value {
        self.0
            .get_attr(name)
            .ok()
            .and_then(|v| serde_json::to_value(&v).ok())
            .unwrap_or_default()
    }
}

/// Whether a template may see this query parameter.
pub fn shows_query(name: &str) -> bool {
    !SECRET_QUERY.contains(&name)
}

/// The template's variables for `request`; a body that is neither JSON nor
/// a form is refused with a sentence a sender can act on. The body is
/// read once into a flat document, and the engine's values are made only
/// for what the template reaches (see `json`).
pub fn context(request: &RequestView<'_>) -> Result<Context, String> {
    let body = body(request.content_type, request.body)?;
    let headers: BTreeMap<String, String> = request
        .headers
        .iter()
        .filter(|(name, _)| shows_header(name))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    let query: BTreeMap<String, String> = request
        .query
        .iter()
        .filter(|(name, _)| shows_query(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Ok(Context(minijinja::context! {
        body => body,
        headers => Value::from(headers),
        query => Value::from(query),
    }))
}

/// The body: a form's fields when it says it is a form, else JSON (any
/// value); an empty body is an empty object.
fn body(content_type: Option<&str>, bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::from(BTreeMap::<String, String>::new()));
    }
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media == "application/x-www-form-urlencoded" {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
            .map_err(|e| format!("the form body does not decode: {e}"))?;
        return Ok(Value::from(fields.into_iter().collect::<BTreeMap<_, _>>()));
    }
    json::read(bytes).map_err(|e| format!("the body is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn json_form_and_empty_bodies_are_read() {
        let json = context(&RequestView {
            body: br#"{"a": [1]}"#,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(json.get("body")["a"][0], 1);
        let form = context(&RequestView {
            content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
            body: b"name=x+y&n=2",
            ..Default::default()
        })
        .unwrap();
        assert_eq!(form.get("body")["name"], "x y");
        let empty = context(&RequestView::default()).unwrap();
        assert_eq!(empty.get("body"), serde_json::json!({}));
    }

    #[test]
    fn a_body_that_is_not_json_is_refused() {
        let error = context(&RequestView {
            body: b"{nope",
            ..Default::default()
        })
        .unwrap_err();
        assert!(error.starts_with("the body is not JSON"), "{error}");
    }

    #[test]
    fn a_body_that_is_not_utf8_is_refused_with_its_position() {
        let error = context(&RequestView {
            body: b"{\"a\": \"\xff\"}",
            ..Default::default()
        })
        .unwrap_err();
        assert!(error.starts_with("the body is not JSON"), "{error}");
        assert!(error.contains("column"), "{error}");
    }

    #[test]
    fn secrets_never_reach_the_template() {
        let headers = pairs(&[
            ("X-Event", "push"),
            ("Authorization", "Bearer s"),
            ("X-Hub-Signature-256", "sha256=1"),
            ("X-Gitlab-Token", "t"),
            ("Cookie", "c"),
        ]);
        let query = pairs(&[("api_key", "k"), ("token", "t"), ("env", "prod")]);
        let seen = context(&RequestView {
            headers: &headers,
            query: &query,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            seen.get("headers"),
            serde_json::json!({"x-event": "push"}),
            "only the harmless header"
        );
        assert_eq!(seen.get("query"), serde_json::json!({"env": "prod"}));
    }
}
