//! Renders the typical template of the bench (benches/typical) N times, to
//! count its instructions under callgrind:
//! `valgrind --tool=callgrind target/release/examples/render_many 101 [context|render]`
//! then `callgrind_annotate`; the difference between 101 and 1 renders,
//! divided by 100, is one request's cost without the start-up.

use inlet_templates::{Limits, RequestView, TemplateSource, compile, context};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let times: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let part = args.next().unwrap_or_default();
    let limits = Limits::default();
    let source = TemplateSource {
        message: include_str!("../benches/typical/message.jinja").into(),
        topic: Some(include_str!("../benches/typical/topic.jinja").into()),
        ..Default::default()
    };
    let compiled = compile(&source, &limits).expect("the typical template compiles");
    let request = RequestView {
        content_type: Some("application/json"),
        body: include_bytes!("../benches/typical/payload.json"),
        ..Default::default()
    };
    let read = context(&request).expect("the typical payload is JSON");
    for _ in 0..times {
        match part.as_str() {
            // Reading the body only.
            "context" => drop(black_box(context(black_box(&request)))),
            // Rendering over a body already read.
            "render" => drop(black_box(compiled.render(black_box(&read), &limits))),
            // A whole request, as ingress does it.
            _ => {
                let ctx = context(black_box(&request)).expect("the typical payload is JSON");
                drop(black_box(compiled.render(&ctx, &limits)));
            }
        }
    }
}
