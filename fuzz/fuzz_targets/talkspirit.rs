//! Fuzzes the `talkspirit` dialect's entry point (JSON only: forms and
//! multipart must be refused), the content type picked by the input's
//! first byte. Any bytes must get a verdict and never a panic
//! (reliability.md B8).

#![no_main]

use inlet_dialects::Translator;
use inlet_fuzz::{DialectInput, assert_dialect_verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = DialectInput::decode(data);
    let result = Translator::Talkspirit.translate(&input.request());
    assert_dialect_verdict(&result, input.limits);
});
