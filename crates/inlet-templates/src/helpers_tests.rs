//! One test per helper, through a real environment (as templates call
//! them).

use crate::{Limits, Rendering, RequestView, TemplateSource, compile, context};
use serde_json::json;

/// What `message` renders to over the JSON `body`.
fn outcome(message: &str, body: serde_json::Value) -> Result<Rendering, crate::TemplateError> {
    let source = TemplateSource {
        message: message.into(),
        ..Default::default()
    };
    let limits = Limits::default();
    let bytes = body.to_string();
    let ctx = context(&RequestView {
        body: bytes.as_bytes(),
        ..Default::default()
    })
    .unwrap();
    compile(&source, &limits).unwrap().render(&ctx, &limits)
}

/// Renders `message` over the JSON `body`.
fn render(message: &str, body: serde_json::Value) -> String {
    match outcome(message, body) {
        Ok(Rendering::Post(rendered)) => rendered.message,
        other => panic!("{other:?}"),
    }
}

#[test]
fn md_escape_shows_markup_as_typed() {
    assert_eq!(
        render(
            "{{ body.t | md_escape }}",
            json!({"t": "*a* _b_ [c](d) <e> `f` #1 |g| ~h~ \\"})
        ),
        "\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\`f\\` \\#1 \\|g\\| \\~h\\~ \\\\"
    );
    assert_eq!(render("x{{ body.missing | md_escape }}", json!({})), "x");
}

#[test]
fn link_makes_a_markdown_link_and_refuses_unsafe_schemes() {
    assert_eq!(
        render(
            "{{ link(body.u, body.t) }}",
            json!({"u": "https://x.example/a_(b)", "t": "see *this*"})
        ),
        "[see \\*this\\*](https://x.example/a_%28b%29)"
    );
    assert_eq!(
        render("{{ link(body.u) }}", json!({"u": "https://x.example"})),
        "[https://x.example](https://x.example)"
    );
    assert_eq!(
        render(
            "{{ link(body.u, 'click') }}",
            json!({"u": "javascript:alert(1)"})
        ),
        "click"
    );
    assert_eq!(
        render(
            "{{ link(body.u, 'm') }}",
            json!({"u": "MailTo:a@x.example"})
        ),
        "[m](MailTo:a@x.example)"
    );
    assert_eq!(
        render("{{ link(body.u, 'h') }}", json!({"u": "http:"})),
        "h"
    );
    assert_eq!(
        render("{{ link(body.u, 'é') }}", json!({"u": "htt€://x"})),
        "é"
    );
}

#[test]
fn bullets_make_a_list_from_an_array() {
    assert_eq!(
        render("{{ body.l | bullets }}", json!({"l": ["a", "b\nc", 3]})),
        "- a\n- b c\n- 3"
    );
    assert_eq!(
        render(
            "{{ body.l | bullets(ordered=true) }}",
            json!({"l": ["a", "b"]})
        ),
        "1. a\n2. b"
    );
    assert_eq!(render("x{{ body.none | bullets }}", json!({})), "x");
}

#[test]
fn table_makes_a_markdown_table_from_an_array_of_objects() {
    let rows = json!({"r": [{"n": "api", "s": {"v": "up"}}, {"n": "db|1", "s": {}}]});
    assert_eq!(
        render(
            "{{ table(body.r, ['n', 's.v'], headings=['Name', 'State']) }}",
            rows.clone()
        ),
        "| Name | State |\n| --- | --- |\n| api | up |\n| db\\|1 |  |"
    );
    assert_eq!(render("x{{ table(body.none, ['n']) }}", rows), "x");
}

/// Each template of `cases` renders its expected text over `body`.
fn assert_renders(body: &serde_json::Value, cases: &[(&str, &str)]) {
    for (template, expected) in cases {
        assert_eq!(render(template, body.clone()), *expected, "{template}");
    }
}

/// The error a template fails with over `body`.
fn render_error(message: &str, body: serde_json::Value) -> String {
    match outcome(message, body) {
        Err(error) => error.detail,
        other => panic!("{other:?}"),
    }
}

#[test]
fn table_headings_are_any_list_given_by_position_or_keyword() {
    let rows = json!({"r": [{"n": "api", "s": {"v": "up"}}], "h": ["Nom", 7]});
    assert_renders(
        &rows,
        &[
            (
                "{{ table(body.r, ['n', 's.v'], body.h) }}",
                "| Nom | 7 |\n| --- | --- |\n| api | up |",
            ),
            (
                "{{ table(body.r, ['n', 's.v'], ['A']) }}",
                "| A | s.v |\n| --- | --- |\n| api | up |",
            ),
            (
                "{{ table(body.r, ['n'], headings=none) }}",
                "| n |\n| --- |\n| api |",
            ),
        ],
    );
    let twice = render_error(
        "{{ table(body.r, ['n'], ['A'], headings=['B']) }}",
        rows.clone(),
    );
    assert!(
        twice.contains("unknown keyword argument 'headings'"),
        "{twice}"
    );
    let not_a_list = render_error("{{ table(body.r, ['n'], headings=5) }}", rows);
    assert!(not_a_list.contains("not iterable"), "{not_a_list}");
}

#[test]
fn datetime_formats_iso_and_epoch_values() {
    let body = json!({
        "iso": "2024-03-05T14:07:00+02:00",
        "naive": "2024-03-05T14:07:00",
        "day": "2024-03-05",
        "secs": 1_709_647_620,
        "millis": 1_709_647_620_000_i64,
        "text": "soon"
    });
    let t = "{{ body.iso | datetime }}/{{ body.naive | datetime }}/{{ body.day | datetime('%d %b %Y') }}/\
             {{ body.secs | datetime }}/{{ body.millis | datetime('%H:%M') }}/{{ body.text | datetime }}";
    assert_eq!(
        render(t, body),
        "2024-03-05 12:07 UTC/2024-03-05 14:07 UTC/05 Mar 2024/2024-03-05 14:07 UTC/14:07/soon"
    );
}

#[test]
fn datetime_with_an_unknown_specifier_is_an_error() {
    let source = TemplateSource {
        message: "{{ 0 | datetime('%Q') }}".into(),
        ..Default::default()
    };
    let limits = Limits::default();
    let error = compile(&source, &limits)
        .unwrap()
        .render(&crate::Context::from_json(&json!({})), &limits)
        .unwrap_err();
    assert!(error.detail.contains("unknown % specifier"), "{error}");
}

#[test]
fn truncate_words_cuts_at_a_word_boundary() {
    let body = json!({"t": "the quick brown fox jumps"});
    assert_renders(
        &body,
        &[
            ("{{ body.t | truncate_words(12) }}", "the quick…"),
            ("{{ body.t | truncate_words(10, end='...') }}", "the..."),
            (
                "{{ body.t | truncate_words(99) }}",
                "the quick brown fox jumps",
            ),
        ],
    );
    assert_eq!(super::shorten("abcdefghij", 5, "…"), "abcd…");
    assert_eq!(super::shorten("ab cd", 3, ""), "ab");
}

#[test]
fn defaults_fill_missing_and_null_fields_and_null_prints_as_nothing() {
    assert_eq!(
        render(
            "{{ body.a.b.c | default('none') }} {{ body.x or 'fallback' }}",
            json!({})
        ),
        "none fallback"
    );
    assert_eq!(
        render(
            "{{ body.n | d('–') }}/{{ body.n }}/{{ body.e | default('empty', true) }}/{{ body.e | default('kept') }}/{{ body.z | default(1) }}",
            json!({"n": null, "e": "", "z": 0})
        ),
        "–//empty//0"
    );
}

#[test]
fn get_reads_a_json_path_and_never_fails() {
    let body = json!({"pr": {"labels": [{"name": "bug"}], "n": 0}});
    assert_eq!(
        render(
            "{{ get(body, 'pr.labels[0].name') }} {{ get(body, 'pr.labels.0.name') }} \
             {{ get(body, 'pr.labels[5].name', 'none') }} {{ get(body, 'pr.n.x.y', '-') }} {{ get(body, 'pr.n') }}",
            body
        ),
        "bug bug none - 0"
    );
}

#[test]
fn one_line_keeps_single_spaced_text_and_joins_the_rest() {
    for (text, line) in [
        ("", ""),
        ("a b", "a b"),
        (" a", "a"),
        ("a ", "a"),
        ("a  b", "a b"),
        ("a\tb\nc", "a b c"),
        ("a\u{b}b", "a b"),
        ("é\u{a0}x", "é x"),
    ] {
        assert_eq!(super::one_line(text), line, "{text:?}");
    }
}

#[test]
fn shorten_counts_characters_not_bytes() {
    assert_eq!(super::shorten("ééé", 3, "…"), "ééé");
    assert_eq!(super::shorten("éé éé", 4, "…"), "éé…");
    assert_eq!(super::shorten("éé éé", 4, ""), "éé");
    assert_eq!(super::shorten("ab", 0, "…"), "…");
}
