//! Rendering a typical 20-line template over a 4 KiB payload, the compiled
//! template cached (as ingress keeps it per version): the target is at
//! most 20 µs per render (docs/templates.md "Limits").

use criterion::{Criterion, criterion_group, criterion_main};
use inlet_templates::{Limits, RequestView, TemplateSource, compile, context};
use std::hint::black_box;

const MESSAGE: &str = r#"{% set run = body.workflow_run %}
{% if run.conclusion == "success" %}:white_check_mark:{% else %}:x:{% endif %} **{{ link(run.html_url, run.name) }}** {{ run.conclusion | default("running") }}
{% if run.conclusion not in ["success", "failure", "cancelled"] %}{{ ignore("still running") }}{% endif %}
Branch `{{ run.head_branch }}` · commit {{ link(run.head_commit.url, run.head_commit.id[:7]) }}
> {{ run.head_commit.message | truncate_words(120) | md_escape }}

Started {{ run.run_started_at | datetime("%Y-%m-%d %H:%M") }} by {{ get(body, "sender.login", "someone") | md_escape }}
{% if run.jobs %}
{{ table(run.jobs, ["name", "conclusion", "duration"], headings=["Job", "Result", "Seconds"]) }}
{% endif %}
Changed files:
{{ run.head_commit.modified | bullets }}
{% for label in run.labels %}{% if loop.first %}Labels: {% endif %}`{{ label.name }}`{% if not loop.last %}, {% endif %}{% endfor %}
Repository: {{ body.repository.full_name }} ({{ body.repository.visibility | default("public") }})
Attempt {{ run.run_attempt }}{% if run.run_attempt > 1 %} (re-run){% endif %}
{{ get(body, "organization.login") | default("") }}"#;

fn payload() -> serde_json::Value {
    let jobs: Vec<_> = (0..8)
        .map(|i| serde_json::json!({"name": format!("job-{i}"), "conclusion": "success", "duration": 30 + i}))
        .collect();
    let modified: Vec<_> = (0..20)
        .map(|i| format!("src/module_{i}/file_{i}.rs"))
        .collect();
    let labels: Vec<_> = (0..5)
        .map(|i| serde_json::json!({"name": format!("label-{i}"), "color": "ededed"}))
        .collect();
    serde_json::json!({
        "action": "completed",
        "workflow_run": {
            "id": 30433642, "name": "Build and test", "head_branch": "main",
            "conclusion": "success", "run_attempt": 2,
            "html_url": "https://ci.example.com/octo/hello/actions/runs/30433642",
            "run_started_at": "2024-03-05T14:07:00Z",
            "head_commit": {
                "id": "acb5820ced9479c074f688cc328bf03f341a511d",
                "url": "https://ci.example.com/octo/hello/commit/acb5820",
                "message": "Update the README with the new installation steps and a longer explanation of why the cache is keyed by version, which readers asked about twice",
                "modified": modified
            },
            "jobs": jobs, "labels": labels
        },
        "repository": {"full_name": "octo/hello", "visibility": "private", "description": "x".repeat(2200)},
        "sender": {"login": "octocat", "avatar_url": "https://avatars.example.com/u/1"},
        "organization": {"login": "octo"}
    })
}

fn render(c: &mut Criterion) {
    let limits = Limits::default();
    let source = TemplateSource {
        message: MESSAGE.into(),
        topic: Some("{{ body.repository.full_name }} {{ body.workflow_run.head_branch }}".into()),
        ..Default::default()
    };
    let compiled = compile(&source, &limits).expect("the bench template compiles");
    let bytes = payload().to_string();
    assert!(
        (3800..=4600).contains(&bytes.len()),
        "payload is {} bytes",
        bytes.len()
    );
    c.bench_function("template_20_lines_4kib", |b| {
        b.iter(|| {
            let request = RequestView {
                content_type: Some("application/json"),
                body: black_box(bytes.as_bytes()),
                ..Default::default()
            };
            let ctx = context(&request).expect("JSON");
            black_box(compiled.render(&ctx, &limits).expect("renders"))
        })
    });
}

/// The two halves of the figure above: reading the request, and
/// rendering over what was read.
fn halves(c: &mut Criterion) {
    let limits = Limits::default();
    let source = TemplateSource {
        message: MESSAGE.into(),
        ..Default::default()
    };
    let compiled = compile(&source, &limits).expect("the bench template compiles");
    let bytes = payload().to_string();
    let request = RequestView {
        content_type: Some("application/json"),
        body: bytes.as_bytes(),
        ..Default::default()
    };
    c.bench_function("template_context_4kib", |b| {
        b.iter(|| black_box(context(black_box(&request)).expect("JSON")))
    });
    let ctx = context(&request).expect("JSON");
    c.bench_function("template_render_only_20_lines", |b| {
        b.iter(|| black_box(compiled.render(black_box(&ctx), &limits).expect("renders")))
    });
}

criterion_group!(benches, render, halves);
criterion_main!(benches);
