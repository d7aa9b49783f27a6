//! How long the GitHub integration takes for a push of 20 commits (the
//! most common GitHub delivery, at the listing cap), signature included.
//! Target: at most 50 µs.

use criterion::{Criterion, criterion_group, criterion_main};
use inlet_dialects::integrations::sign_hmac_sha256;
use inlet_dialects::{DialectName, Outcome, TranslationRequest, Translator, WebhookView};
use serde_json::{Value, json};
use std::hint::black_box;

/// A GitHub push without its commits, and the fields every commit shares
/// (inlet-bench's `github-push` mix sends the same push).
const GITHUB_PUSH: &str = include_str!("github-push.json");

fn push_body() -> Vec<u8> {
    let template: Value = serde_json::from_str(GITHUB_PUSH).unwrap_or_default();
    let commits = (0..20).map(|i| {
        let sha = format!("{i:02}a1b2c3d4e5f60718293a4b5c6d7e8f9012345");
        let (name, username) = match i % 3 {
            0 => ("Mona Lisa", "monalisa"),
            _ => ("Octo Cat", "octocat"),
        };
        let mut commit = template["commit"].clone();
        commit["url"] = format!("https://github.com/octo-org/hello-world/commit/{sha}").into();
        commit["id"] = sha.into();
        commit["message"] =
            format!("Fix the thing number {i}\n\nLonger explanation of the change.").into();
        commit["author"] = json!({"name": name, "email": "m@example.com", "username": username});
        commit
    });
    let mut push = template["push"].clone();
    push["commits"] = commits.collect();
    serde_json::to_vec(&push).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let body = push_body();
    println!("push body: {} bytes", body.len());
    let secret = b"bench-secret".to_vec();
    let headers = vec![
        ("x-github-event".to_string(), "push".to_string()),
        (
            "x-github-delivery".to_string(),
            "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_string(),
        ),
        (
            "x-hub-signature-256".to_string(),
            sign_hmac_sha256(&secret, &body),
        ),
    ];
    let webhook = WebhookView {
        display_name: "GitHub".into(),
        ..WebhookView::default()
    };
    let req = TranslationRequest {
        headers: &headers,
        content_type: Some("application/json"),
        body: &body,
        webhook: &webhook,
        signing_secret: Some(&secret),
        ..Default::default()
    };
    let github = Translator::find(&DialectName::Integration("github".into())).unwrap();
    assert!(matches!(github.translate(&req), Outcome::Posts { .. }));
    c.bench_function("github_push_20_commits", |b| {
        b.iter(|| github.translate(black_box(&req)))
    });
    // The same without a signing secret: what the HMAC costs apart.
    let unsigned = TranslationRequest {
        signing_secret: None,
        ..req
    };
    c.bench_function("github_push_20_commits_unsigned", |b| {
        b.iter(|| github.translate(black_box(&unsigned)))
    });
    // The floor: parsing the body into a JSON value, nothing else.
    c.bench_function("github_push_20_commits_json_parse_only", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
