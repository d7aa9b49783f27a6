//! Fuzzes the `slack` dialect's entry point with Slack and Mattermost
//! payloads: JSON, form `payload=` and multipart bodies, the content type
//! picked by the input's first byte. Any bytes must get a verdict and
//! never a panic (reliability.md B8).

#![no_main]

use inlet_dialects::{Dialect, translate};
use inlet_fuzz::{DialectInput, assert_dialect_verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = DialectInput::decode(data);
    let result = translate(&Dialect::Slack, &input.facts(), input.body);
    assert_dialect_verdict(&result, input.limits);
});
