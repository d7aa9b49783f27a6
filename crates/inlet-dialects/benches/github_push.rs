//! How long the GitHub integration takes for a push of 20 commits (the
//! most common GitHub delivery, at the listing cap), signature included.
//! Target: at most 50 µs.

use criterion::{Criterion, criterion_group, criterion_main};
use inlet_dialects::integrations::sign_hmac_sha256;
use inlet_dialects::{DialectName, Outcome, TranslationRequest, Translator, WebhookView};
use serde_json::json;
use std::hint::black_box;

fn push_body() -> Vec<u8> {
    let commits: Vec<_> = (0..20)
        .map(|i| {
            let sha = format!("{i:02}a1b2c3d4e5f60718293a4b5c6d7e8f9012345");
            json!({
                "id": sha,
                "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
                "distinct": true,
                "message": format!("Fix the thing number {i}\n\nLonger explanation of the change."),
                "timestamp": "2025-03-04T10:00:00+01:00",
                "url": format!("https://github.com/octo-org/hello-world/commit/{sha}"),
                "author": {"name": if i % 3 == 0 { "Mona Lisa" } else { "Octo Cat" }, "email": "m@example.com", "username": if i % 3 == 0 { "monalisa" } else { "octocat" }},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
                "added": [], "removed": [], "modified": ["README.md"]
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "ref": "refs/heads/main",
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        "created": false, "deleted": false, "forced": false,
        "compare": "https://github.com/octo-org/hello-world/compare/6113728f27ae...0d1a26e67d8f",
        "commits": commits,
        "repository": {"id": 1296269, "name": "hello-world", "full_name": "octo-org/hello-world",
                        "html_url": "https://github.com/octo-org/hello-world", "private": false},
        "pusher": {"name": "octocat", "email": "octocat@github.com"},
        "sender": {"login": "octocat", "id": 1, "html_url": "https://github.com/octocat"}
    }))
    .unwrap_or_default()
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
