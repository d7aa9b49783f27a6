//! A body read into [`JsonObject`]s renders exactly as the same JSON read
//! into the engine's own maps, whatever the template does with it.

use crate::{Context, Limits, Rendering, RequestView, TemplateSource, compile, context};
use proptest::prelude::*;
use std::time::Duration;

/// Templates that reach every way a map is used: lookup, membership,
/// iteration, length, truth, serialization, comparison and sorting.
const USES: &[&str] = &[
    "{{ body.b }}|{{ body['a'] }}|{{ body.missing }}|{{ body[0] }}",
    "{{ 'a' in body }}|{{ 'z' in body }}|{{ body | length }}|{{ body is mapping }}",
    "{% for k, v in body | items %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in body %}{{ k }},{% endfor %}|{{ body | list }}",
    "{{ body | tojson }}|{{ body.n | tojson }}",
    "{{ body }}|{{ body.n }}|{{ body | pprint }}",
    "{{ body == body }}|{{ body.n == body.m }}|{% if body.e %}e{% endif %}{% if body %}t{% endif %}",
    "{{ body | dictsort | list }}|{{ body | dictsort(reverse=true) | first }}",
    "{{ get(body, 'n.x.0') }}|{{ table([body.n, body.m], ['x', 'y']) }}",
];

fn render(template: &str, ctx: &Context) -> String {
    // Only the output is compared: a loaded machine must not reach the
    // time limit.
    let limits = Limits {
        time: Duration::from_secs(60),
        ..Limits::default()
    };
    let source = TemplateSource {
        message: template.into(),
        ..Default::default()
    };
    match compile(&source, &limits).unwrap().render(ctx, &limits) {
        Ok(Rendering::Post(post)) => post.message,
        other => format!("{other:?}"),
    }
}

fn read(body: &str) -> Context {
    context(&RequestView {
        content_type: Some("application/json"),
        body: body.as_bytes(),
        ..Default::default()
    })
    .unwrap()
}

/// Every use of `body` renders the same from a read body and from the
/// engine's maps.
fn assert_renders_alike(body: &str) {
    let engine = Context::from_json(&serde_json::json!({
        "body": serde_json::from_str::<serde_json::Value>(body).unwrap()
    }));
    let ours = read(body);
    for template in USES {
        assert_eq!(
            render(template, &ours),
            render(template, &engine),
            "{template} over {body}"
        );
    }
}

#[test]
fn an_object_renders_as_the_engines_map_does() {
    assert_renders_alike(
        r#"{"b": [1, "x"], "a": 2.5, "n": {"x": ["deep"], "y": null}, "m": {"y": true, "x": 1}, "e": {}}"#,
    );
}

#[test]
fn a_repeated_key_keeps_its_last_value() {
    let ctx = read(r#"{"b": 1, "a": 2, "b": 3, "a": 4, "c": 5}"#);
    assert_eq!(
        render("{{ body | tojson }}", &ctx),
        r#"{"a": 4, "b": 3, "c": 5}"#
    );
    assert_eq!(render("{{ body | length }}", &ctx), "3");
}

#[test]
fn keys_are_ordered_by_their_text() {
    let ctx = read(r#"{"b": 1, "B": 2, "é": 3, "a b": 4, "": 5}"#);
    assert_eq!(
        render("{% for k in body %}[{{ k }}]{% endfor %}", &ctx),
        "[][B][a b][b][é]"
    );
    assert_eq!(render("{{ body[''] }}{{ body['a b'] }}", &ctx), "54");
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,30}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-dxy]{0,3}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_body_renders_as_the_engines_maps_do(value in json()) {
        let body = serde_json::json!({"n": value.clone(), "m": value, "e": {}});
        assert_renders_alike(&body.to_string());
    }
}
