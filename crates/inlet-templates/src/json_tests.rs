//! A body read into a [`Document`](super::Document) renders exactly as the
//! same JSON read into the engine's own maps, whatever the template does
//! with it; and a body is JSON, or not, exactly as `serde_json` says, with
//! its error.

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
    "{{ body.n[0] }}|{{ body.n[-1] }}|{{ body.n[1:] | tojson }}|{{ body.n | length }}",
    "{{ body.n | reverse | list }}|{{ body.n | first }}|{{ body.n | last }}|{{ 1 in body.n }}",
    "{% for x in body.n %}{{ loop.index }}:{{ x }};{% endfor %}|{{ body.n | join(',') }}",
    "{{ body.n | pprint }}|{{ body.n is sequence }}|{% if body.n %}t{% endif %}",
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

#[test]
fn a_large_object_renders_as_the_engines_map_does() {
    // More keys than are searched one by one, one of them repeated.
    let mut entries: Vec<String> = (0..40).map(|i| format!(r#""k{i:02}": {i}"#)).collect();
    entries.push(r#""k07": "last""#.into());
    let body = format!(
        r#"{{"n": {{{}}}, "m": {{"x": 1}}, "b": 1, "a": 2, "e": {{}}}}"#,
        entries.join(", ")
    );
    assert_renders_alike(&body);
    let ctx = read(&body);
    assert_eq!(
        render(
            "{{ body.n.k07 }}|{{ body.n.k39 }}|{{ body.n.k40 }}|{{ body.n | length }}",
            &ctx
        ),
        "last|39||40"
    );
}

#[test]
fn a_loop_asking_a_large_objects_length_does_not_sort_it_each_time() {
    // Sorting 20,000 keys on every `length` would take this render past
    // its (generous) time limit.
    let entries: Vec<String> = (0..20_000).map(|i| format!(r#""k{i}": {i}"#)).collect();
    let ctx = read(&format!("{{{}}}", entries.join(",")));
    let limits = Limits {
        time: Duration::from_secs(5),
        ..Limits::default()
    };
    let source = TemplateSource {
        message: "{% for i in range(1000) %}{% if body | length != 20000 %}x{% endif %}\
                  {% if body.k19999 != 19999 %}y{% endif %}{% endfor %}ok"
            .into(),
        ..Default::default()
    };
    match compile(&source, &limits).unwrap().render(&ctx, &limits) {
        Ok(Rendering::Post(post)) => assert_eq!(post.message, "ok"),
        other => panic!("{other:?}"),
    }
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

/// What reading `body` gives: its `tojson`, or the error; `None` for a
/// body that is only white space (read as an empty object, not as JSON).
fn outcome(body: &str) -> Option<Result<String, String>> {
    if body.bytes().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let ours = context(&RequestView {
        content_type: Some("application/json"),
        body: body.as_bytes(),
        ..Default::default()
    })
    .map(|ctx| render("{{ body | tojson }}", &ctx));
    Some(ours)
}

/// What `serde_json` makes of `body`, as [`outcome`] says it.
fn serde_outcome(body: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(body)
        .map(|value| {
            let ctx = Context::from_json(&serde_json::json!({ "body": value }));
            render("{{ body | tojson }}", &ctx)
        })
        .map_err(|e| format!("the body is not JSON: {e}"))
}

fn assert_read_as_serde_json_does(body: &str) {
    if let Some(ours) = outcome(body) {
        assert_eq!(ours, serde_outcome(body), "{body:?}");
    }
}

#[test]
fn bodies_that_are_not_json_get_serde_jsons_error() {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(130), "}".repeat(130));
    for body in [
        "{",
        "[1,]",
        r#"{"a":1,}"#,
        "01",
        "1.",
        "-",
        "-01",
        "tru",
        "nul",
        "[1 2]",
        r#"{"a" 1}"#,
        "{1:2}",
        r#""\x""#,
        "\"\u{1}\"",
        r#""\ud800""#,
        "1 2",
        "[]]",
        "1e400",
        "[1e]",
        "\u{feff}{}",
        "{} x",
        r#""abc"#,
        r#"{"a":}"#,
        "[,1]",
        r#"{"a":1 "b":2}"#,
        "+1",
        ".5",
        "[1.5.3]",
        "[1-2]",
        r#""\u12""#,
        "NaN",
        &deep,
        &deep_object,
    ] {
        let ours = outcome(body).unwrap();
        assert!(ours.is_err(), "{body:?} was read");
        assert_eq!(ours, serde_outcome(body), "{body:?}");
    }
}

#[test]
fn bodies_read_as_serde_json_reads_them() {
    let nested = format!("{}1{}", "[".repeat(90), "]".repeat(90));
    for body in [
        " { \"a\" : [ 1 , -2 , 3.5 , -0 , 0 , 1e3 , 1E-2 , -0.0 ] ,\n\t\"b\" :\r{ } } ",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "999999999999999999",
        "1000000000000000000",
        "123456789012345678901234567890",
        "0.1",
        "2.5e-308",
        "[true,false,null]",
        r#""a\"b\\c\/d\b\f\n\r\tq\u00e9\ud83d\ude00""#,
        r#"{"\u0061":1,"a":2}"#,
        r#"{"é":"ü","":"","x":{"y":[{"z":[]}]}}"#,
        "\"\"",
        "[[],{},[{}]]",
        &nested,
    ] {
        let ours = outcome(body).unwrap();
        assert!(ours.is_ok(), "{body:?}: {ours:?}");
        assert_eq!(ours, serde_outcome(body), "{body:?}");
    }
}

proptest! {
    /// Any text made of JSON's pieces (most of them not JSON) is read, or
    /// refused with its error, as `serde_json` does.
    #[test]
    fn any_text_is_read_as_serde_json_reads_it(
        body in r#"[\[\]{}",:0-9.eE+\- \n\\a-z\u{e9}]{0,24}"#
    ) {
        assert_read_as_serde_json_does(&body);
    }

    /// Any JSON value, pretty-printed (white space everywhere), is read as
    /// `serde_json` reads it.
    #[test]
    fn any_pretty_body_is_read_as_serde_json_reads_it(value in json()) {
        let body = serde_json::json!({"n": value});
        assert_read_as_serde_json_does(&serde_json::to_string_pretty(&body).unwrap());
    }
}
