//! Fuzzes the vendor integrations' entry point over every registered
//! integration: the input names the integration and the event header's
//! value, then carries the body. Any bytes must get a verdict and never a
//! panic (reliability.md B8).

#![no_main]

use inlet_dialects::{DialectName, translate};
use inlet_fuzz::{IntegrationInput, assert_integration_verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = IntegrationInput::decode(data);
    let name = DialectName::Integration(input.name.to_string());
    let result = translate(&name, &input.request());
    assert_integration_verdict(&result, input.limits);
});
