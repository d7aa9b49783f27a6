//! The instruction-count guard (run by scripts/test): each hot pure call
//! under callgrind, failing the run when it takes more instructions than
//! its committed baseline allows (`inlet_instructions::ceiling`).

use gungraun::prelude::*;
use gungraun::{Callgrind, EventKind};
use inlet_instructions::inputs::{
    self, DialectInput, GithubPush, LongMessage, Token, TypicalTemplate,
};
use std::hint::black_box;

/// Callgrind with `id`'s ceiling as a hard limit on instructions.
fn guarded(id: &str) -> LibraryBenchmarkConfig {
    let mut callgrind = Callgrind::default();
    if let Some(ceiling) = inlet_instructions::ceiling(id) {
        callgrind.hard_limits([(EventKind::Ir, ceiling)]);
    }
    let mut config = LibraryBenchmarkConfig::default();
    config.tool(callgrind);
    config
}

#[library_benchmark]
#[bench::slack_attachments(setup = inputs::slack_attachments, config = guarded("slack_attachments"))]
#[bench::talkspirit_thread_post(setup = inputs::talkspirit_thread_post, config = guarded("talkspirit_thread_post"))]
fn dialect(input: DialectInput) -> bool {
    black_box(matches!(
        black_box(&input).translate(),
        inlet_dialects::Outcome::Posts { .. }
    ))
}

#[library_benchmark]
#[bench::github_push_20_commits(setup = inputs::github_push, config = guarded("github_push_20_commits"))]
fn integration(input: GithubPush) -> bool {
    black_box(matches!(
        black_box(&input).translate(),
        inlet_dialects::Outcome::Posts { .. }
    ))
}

#[library_benchmark]
#[bench::split_long_message(setup = inputs::long_message, config = guarded("split_long_message"))]
fn split(input: LongMessage) -> usize {
    black_box(black_box(&input).split().len())
}

#[library_benchmark]
#[bench::token_hash(setup = inputs::token, config = guarded("token_hash"))]
fn token(input: Token) -> bool {
    black_box(black_box(&input).hash_it().is_ok())
}

#[library_benchmark]
#[bench::typical_template(setup = inputs::typical_template, config = guarded("typical_template"))]
fn template(input: TypicalTemplate) -> bool {
    black_box(matches!(
        black_box(&input).render(),
        Some(inlet_templates::Rendering::Post(_))
    ))
}

library_benchmark_group!(
    name = hot,
    benchmarks = [dialect, integration, split, token, template]
);

main!(library_benchmark_groups = hot);
