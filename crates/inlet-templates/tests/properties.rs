//! Arbitrary templates over arbitrary payloads never panic and always end
//! within the limits: an error or a rendering, and never more output than
//! the output limit, never much past the time limit.

mod common;

use inlet_templates::{Limits, Rendering, TemplateSource, compile};
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Pieces templates are made of, so that arbitrary ones parse often
/// enough to render (pure noise would almost never get past the parser).
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z *_#\n]{0,8}",
        Just("{{ body.a }}".to_string()),
        Just("{{ body.a.b[0] | default('x') }}".to_string()),
        Just("{{ body | tojson }}".to_string()),
        Just("{{ body.l | bullets }}".to_string()),
        Just("{{ table(body.l, ['a', 'b.c']) }}".to_string()),
        Just("{{ body.t | datetime }}".to_string()),
        Just("{{ body.a | truncate_words(5) }}".to_string()),
        Just("{{ link(body.a, body.t) }}".to_string()),
        Just("{{ get(body, 'a.b.0') }}".to_string()),
        Just("{{ body.a | md_escape }}".to_string()),
        Just("{% for x in range(1000) %}{{ x }}{% endfor %}".to_string()),
        Just(
            "{% for x in body.l %}{% for y in body.l %}{{ x }}{{ y }}{% endfor %}{% endfor %}"
                .to_string()
        ),
        Just("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}".to_string()),
        Just("{{ body.a * 100000 }}".to_string()),
        Just("{% if body.a %}".to_string()),
        Just("{% endif %}".to_string()),
        Just("{{ ignore('no') }}".to_string()),
        Just("{{ 1 / 0 }}".to_string()),
        Just("{{".to_string()),
        Just("}}".to_string()),
        "\\PC{0,6}",
    ]
}

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..8).prop_map(|pieces| pieces.concat())
}

fn payload() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("2024-03-05T14:07:00Z")),
    ];
    let value = leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(
        prop_oneof![Just("a"), Just("l"), Just("t"), Just("b")],
        value,
        0..4,
    )
    .prop_map(|m| {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_templates_end_within_the_limits(
        message in template(),
        topic in prop::option::of(template()),
        body in payload(),
    ) {
        let limits = Limits {
            fuel: 20_000,
            time: Duration::from_millis(50),
            max_output_bytes: 4096,
        };
        let source = TemplateSource { message, topic, ..Default::default() };
        let Ok(compiled) = compile(&source, &limits) else {
            return Ok(());
        };
        let ctx = common::body_context(&body);
        let started = Instant::now();
        let outcome = compiled.render(&ctx, &limits);
        // Fuel bounds the work; the deadline is checked at every write and
        // after every field, so a render ends soon after it.
        prop_assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        if let Ok(Rendering::Post(rendered)) = outcome {
            prop_assert!(rendered.message.len() <= limits.max_output_bytes);
            prop_assert!(rendered.topic.unwrap_or_default().len() <= limits.max_output_bytes);
        }
    }
}
