//! What the test files share: the context of a request whose body is a
//! JSON value, as a sender's payload reaches a template.

use inlet_templates::{Context, RequestView, context};
use serde_json::Value;

/// The context of a request with `body` as its JSON body.
pub fn body_context(body: &Value) -> Context {
    let bytes = body.to_string();
    context(&RequestView {
        body: bytes.as_bytes(),
        ..Default::default()
    })
    .unwrap()
}
