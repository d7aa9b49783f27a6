//! Rendering a typical 20-line template over a 4 KiB payload, the compiled
//! template cached (as ingress keeps it per version): the target is at
//! most 20 µs per render (docs/templates.md "Limits").

use criterion::{Criterion, criterion_group, criterion_main};
use inlet_templates::{Limits, RequestView, TemplateSource, compile, context};
use std::hint::black_box;

/// The typical template and payload (also counted by the instruction
/// guard, crates/inlet-instructions): a CI run's notice, 20 lines, over a
/// 4 KiB body.
const MESSAGE: &str = include_str!("typical/message.jinja");
const TOPIC: &str = include_str!("typical/topic.jinja");
const PAYLOAD: &str = include_str!("typical/payload.json");

fn render(c: &mut Criterion) {
    let limits = Limits::default();
    let source = TemplateSource {
        message: MESSAGE.into(),
        topic: Some(TOPIC.into()),
        ..Default::default()
    };
    let compiled = compile(&source, &limits).expect("the bench template compiles");
    let bytes = PAYLOAD.trim_end();
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
    let bytes = PAYLOAD.trim_end();
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
