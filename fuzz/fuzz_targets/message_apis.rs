//! Fuzzes the message APIs' translators, Zulip's send-message and Slack's
//! `chat.postMessage` (forms and JSON), each over the same input, the
//! content type picked by the input's first byte. Any bytes must get a
//! verdict and never a panic (reliability.md B8).

#![no_main]

use inlet_dialects::Translator;
use inlet_fuzz::{DialectInput, assert_dialect_verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = DialectInput::decode(data);
    for translator in [Translator::ZulipSend, Translator::SlackPostMessage] {
        let result = translator.translate(&input.request());
        assert_dialect_verdict(&result, input.limits);
    }
});
