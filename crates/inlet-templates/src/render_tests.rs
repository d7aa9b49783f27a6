//! The limits and outcomes of a render: each limit stops a runaway
//! template with its own clear error; syntax errors are placed.

use crate::{Context, ErrorKind, Field, Limits, Rendering, TemplateSource, compile};
use serde_json::json;
use std::time::Duration;

fn source(message: &str) -> TemplateSource {
    TemplateSource {
        message: message.into(),
        ..Default::default()
    }
}

fn render_error(message: &str, limits: &Limits) -> crate::TemplateError {
    compile(&source(message), limits)
        .unwrap()
        .render(&Context::from_json(&json!({"body": {}})), limits)
        .unwrap_err()
}

#[test]
fn every_field_renders_trimmed_and_empty_optional_fields_are_absent() {
    let template = TemplateSource {
        message: "  **{{ body.title }}**\n".into(),
        topic: Some("build-{{ body.id }}".into()),
        username: Some("{{ body.missing }}".into()),
        icon_url: None,
        case_id: Some("INC-{{ body.id }}".into()),
    };
    let limits = Limits::default();
    let ctx = Context::from_json(&json!({"body": {"title": "T", "id": 7}}));
    let Ok(Rendering::Post(rendered)) = compile(&template, &limits).unwrap().render(&ctx, &limits)
    else {
        panic!("not rendered");
    };
    assert_eq!(rendered.message, "**T**");
    assert_eq!(rendered.topic.as_deref(), Some("build-7"));
    assert_eq!(rendered.username, None);
    assert_eq!(rendered.case_id.as_deref(), Some("INC-7"));
}

#[test]
fn a_syntax_error_is_refused_with_its_field_line_and_column() {
    let template = TemplateSource {
        message: "ok".into(),
        topic: Some("line one\n  {{ body.x | }}".into()),
        ..Default::default()
    };
    let Err(error) = compile(&template, &Limits::default()) else {
        panic!("compiled");
    };
    assert_eq!(error.kind, ErrorKind::Syntax);
    assert_eq!(error.field, Field::Topic);
    assert_eq!(error.line, Some(2));
    assert!(error.column.is_some_and(|c| c > 3), "{error}");
}

#[test]
fn an_overlong_template_is_refused() {
    let Err(error) = compile(
        &source(&"x".repeat(crate::MAX_SOURCE_BYTES + 1)),
        &Limits::default(),
    ) else {
        panic!("compiled");
    };
    assert_eq!(error.kind, ErrorKind::TooLong);
}

#[test]
fn ignore_posts_nothing_and_gives_its_reason() {
    let limits = Limits::default();
    let rendered = compile(
        &source("{% if true %}{{ ignore('only main') }}{% endif %}"),
        &limits,
    )
    .unwrap()
    .render(&Context::from_json(&json!({})), &limits)
    .unwrap();
    assert_eq!(
        rendered,
        Rendering::Ignored {
            reason: "only main".into()
        }
    );
}

#[test]
fn a_huge_loop_runs_out_of_fuel() {
    let error = render_error(
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        &Limits::default(),
    );
    assert_eq!(error.kind, ErrorKind::Fuel);
    assert!(error.detail.contains("fuel limit"), "{error}");
}

#[test]
fn deep_recursion_is_stopped() {
    let error = render_error(
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        &Limits {
            fuel: 10_000_000,
            ..Limits::default()
        },
    );
    assert_eq!(error.kind, ErrorKind::Recursion, "{error}");
}

#[test]
fn enormous_output_is_cut_off() {
    let limits = Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    };
    let error = render_error("{% for i in range(500) %}xxxx{% endfor %}", &limits);
    assert_eq!(error.kind, ErrorKind::Output);
    assert!(error.detail.contains("1000 bytes"), "{error}");
}

#[test]
fn a_render_past_the_time_limit_is_an_error() {
    let limits = Limits {
        time: Duration::ZERO,
        ..Limits::default()
    };
    let error = render_error("{% for i in range(100) %}{{ i }}{% endfor %}", &limits);
    assert_eq!(error.kind, ErrorKind::Time);
    assert!(error.detail.contains("time limit"), "{error}");
}

#[test]
fn a_template_reads_nothing_but_the_request() {
    let limits = Limits::default();
    for probe in [
        "{% include 'x' %}",
        "{% import 'x' as y %}",
        "{{ env }}{{ self }}",
    ] {
        let outcome = compile(&source(probe), &limits)
            .map(|c| c.render(&Context::from_json(&json!({})), &limits));
        assert!(
            !matches!(outcome, Ok(Ok(Rendering::Post(ref r))) if !r.message.is_empty()),
            "{probe}: {outcome:?}"
        );
    }
}

#[test]
fn a_huge_value_made_without_output_is_stopped_or_never_made() {
    for template in [
        "{{ ('x' * 1000000000) | length }}",
        "{{ (range(10000) | list * 100000) | length }}",
        "{% set s = 'ab' %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s | length }}",
    ] {
        let started = std::time::Instant::now();
        let limits = Limits::default();
        let outcome = compile(&source(template), &limits)
            .unwrap()
            .render(&Context::from_json(&json!({})), &limits);
        match outcome {
            Ok(Rendering::Post(rendered)) => assert!(rendered.message.len() < 20, "{template}"),
            Ok(ignored) => panic!("{template}: {ignored:?}"),
            Err(error) => assert!(
                matches!(error.kind, ErrorKind::Fuel | ErrorKind::Render),
                "{template}: {error}"
            ),
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{template}");
    }
}
