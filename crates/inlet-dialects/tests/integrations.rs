//! Fixture-driven tests of the vendor integrations: every
//! `tests/fixtures/integrations/<name>/<case>.json` body is sent to
//! `integration/<name>` and the outcome compared with
//! `<case>.expected.json`. `<case>.request.json` may give `headers`,
//! `query`, `content_type`, `max_post_runes`, `max_posts_per_request`,
//! `secret` and `sign_with` (the secret the
//! sender signs with; the signature header is then computed). For GitHub
//! the event header defaults to the file name's part before `__`, as in
//! Zulip's tests. `sign_header` names another vendor's signature header
//! (bare hex HMAC-SHA256, or after `sign_prefix`); `sign_scheme` `stripe`
//! signs as Stripe does (`t=<sign_timestamp>,v1=…`), `sha1` as Intercom
//! does (`sha1=<hex>`). `now` is the arrival time (Unix seconds).
//! `INLET_FIXTURES_WRITE_MISSING=1` writes missing expected
//! files from the current output, to be reviewed.

mod common;

use inlet_dialects::integrations::{
    integration, names, sign_hmac_sha1, sign_hmac_sha256, sign_stripe,
};
use inlet_dialects::{Limits, Outcome, ThreadRef, TranslationRequest, Translator, WebhookView};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/integrations")
}

fn outcome_json(result: &Result<Outcome, inlet_dialects::integrations::IntegrationError>) -> Value {
    match result {
        Err(e) => json!({"error": e.code.as_str(), "status": e.status, "message": e.message}),
        Ok(Outcome::Refused(refusal)) => json!({"refused": refusal.to_string()}),
        Ok(Outcome::Ignored {
            event,
            reason,
            message,
        }) => {
            json!({"ignored": {"event": event, "reason": reason.as_str(), "message": message}})
        }
        Ok(Outcome::Posts {
            event,
            posts,
            idempotency_key,
        }) => {
            let posts: Vec<Value> = posts
                .iter()
                .map(|t| {
                    let key = match &t.thread {
                        Some(ThreadRef::Key(k)) => json!(k),
                        other => json!(format!("{other:?}")),
                    };
                    let messages: Vec<&str> = t.drafts.iter().map(|d| d.message.as_str()).collect();
                    let mut post = json!({
                        "target": common::target_json(&t.target),
                        "thread_key": key,
                        "topic": t.drafts[0].props.get("topic").cloned().unwrap_or(Value::Null),
                        "message": messages.join(""),
                    });
                    // Dialect posts (slack) may carry attachments.
                    if let Some(a) = t.drafts.last().and_then(|d| d.props.get("attachments")) {
                        post["attachments"] = a.clone();
                    }
                    post
                })
                .collect();
            json!({"event": event, "posts": posts, "idempotency_key": idempotency_key})
        }
    }
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect()
}

fn run_case(name: &str, body_path: &Path) -> Result<(), String> {
    let stem = body_path.file_stem().unwrap().to_str().unwrap();
    let body = std::fs::read(body_path).unwrap();
    let request = common::request_of(body_path);
    let mut headers = pairs(&request["headers"]);
    if name == "github"
        && request["headers"].get("X-GitHub-Event").is_none()
        && request["no_event_header"].as_bool() != Some(true)
    {
        let event = stem.split("__").next().unwrap();
        headers.push(("x-github-event".into(), event.into()));
    }
    if let Some(sign_with) = request["sign_with"].as_str() {
        // `sign_header` names the vendor's header; bare hex unless it is GitHub's.
        let header = request["sign_header"]
            .as_str()
            .unwrap_or("x-hub-signature-256")
            .to_ascii_lowercase();
        let signature = sign_hmac_sha256(sign_with.as_bytes(), &body);
        let hex = signature.trim_start_matches("sha256=").to_string();
        let value = match (
            request["sign_scheme"].as_str(),
            request["sign_prefix"].as_str(),
        ) {
            (Some("stripe"), _) => {
                let timestamp = request["sign_timestamp"].as_u64().unwrap();
                sign_stripe(sign_with.as_bytes(), timestamp, &body)
            }
            (Some("sha1"), _) => sign_hmac_sha1(sign_with.as_bytes(), &body),
            (_, Some(prefix)) => format!("{prefix}{hex}"),
            _ if header == "x-hub-signature-256" => signature,
            _ => hex,
        };
        headers.push((header, value));
    }
    let query = match &request["query"] {
        Value::Array(items) => items
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        other => pairs(other).into_iter().collect::<Vec<_>>(),
    };
    let webhook = WebhookView {
        display_name: "Vendor hook".into(),
        allow_channel_mentions: request["allow_channel_mentions"].as_bool().unwrap_or(false),
        ..WebhookView::default()
    };
    let secret = request["secret"].as_str().map(str::as_bytes);
    let limits = Limits {
        max_post_runes: request["max_post_runes"]
            .as_u64()
            .map_or(16_383, |n| n as usize),
        max_posts_per_request: request["max_posts_per_request"]
            .as_u64()
            .map_or(100, |n| n as usize),
        ..Limits::default()
    };
    let name = request["integration"].as_str().unwrap_or(name);
    let req = TranslationRequest {
        headers: &headers,
        query: &query,
        content_type: Some(
            request["content_type"]
                .as_str()
                .unwrap_or("application/json"),
        ),
        body: &body,
        webhook: &webhook,
        signing_secret: secret,
        limits,
        now: request["now"].as_u64(),
        ..Default::default()
    };
    let outcome = common::integration(name, &req);
    // The formatter translates again from what ingress carried: only the
    // headers the integration declares, and no secret (ingress checked the
    // signature). It must come to the same posts.
    if outcome.is_ok()
        && let Some(integration) = integration(name)
    {
        let carried = Translator::Integration(integration).carried_headers(&headers);
        let again = common::integration(
            name,
            &TranslationRequest {
                headers: &carried,
                signing_secret: None,
                ..req
            },
        );
        if again != outcome {
            return Err(format!(
                "{stem}: the formatter's translation differs from ingress's: {:?} / {:?}",
                again, outcome
            ));
        }
        let secretish = ["signature", "token", "secret", "authorization"];
        if let Some((name, _)) = carried
            .iter()
            .find(|(n, _)| secretish.iter().any(|s| n.contains(s)))
        {
            return Err(format!("{stem}: header {name} is carried past ingress"));
        }
    }
    let actual = outcome_json(&outcome);
    let expected = common::expected_of(body_path, |path| {
        let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        std::fs::write(path, text).unwrap();
    })?;
    common::verdict(body_path, actual == expected, &expected, &actual)
}

/// `<case>.expected.json` beside the body `<case>.json` or `<case>.xml`.
fn expected_of(case: &Path) -> PathBuf {
    case.with_extension("expected.json")
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    // Pivotal Tracker's older webhooks send XML.
    common::fixture_cases(dir, |n| n.ends_with(".json") || n.ends_with(".xml"))
}

#[test]
fn every_integration_fixture_gives_its_expected_outcome() {
    let mut count = 0;
    let mut failures = Vec::new();
    for name in names() {
        let dir = root().join(name);
        if !dir.exists() {
            continue;
        }
        for case in cases(&dir) {
            count += 1;
            if let Err(e) = run_case(name, &case) {
                failures.push(e);
            }
        }
    }
    assert!(
        count >= 80,
        "expected at least 80 integration fixtures, found {count}"
    );
    common::assert_no_failures(&failures);
}

/// Zulip's check: a formatter may only emit declared event names, or
/// `only_events` / `exclude_events` would silently miss it.
#[test]
fn every_posted_event_is_declared_by_its_integration() {
    for name in names() {
        let integration = integration(name).unwrap();
        let dir = root().join(name);
        for case in cases(&dir) {
            let expected: Value =
                serde_json::from_slice(&std::fs::read(expected_of(&case)).unwrap()).unwrap();
            if let Some(event) = expected["event"].as_str() {
                assert!(
                    integration.events().contains(&event),
                    "{}: {name} posted undeclared event {event:?}",
                    case.display()
                );
            }
        }
    }
}

#[test]
fn every_declared_event_has_a_fixture() {
    for name in names() {
        let integration = integration(name).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for case in cases(&root().join(name)) {
            let expected: Value =
                serde_json::from_slice(&std::fs::read(expected_of(&case)).unwrap()).unwrap();
            if let Some(event) = expected["event"].as_str() {
                seen.insert(event.to_string());
            }
        }
        for event in integration.events() {
            assert!(seen.contains(*event), "{name}: no fixture posts {event:?}");
        }
    }
}

/// The registry is in URL-name order, without duplicates, and each name
/// and alias finds its integration; no alias shadows another's name.
#[test]
fn registry_lists_every_integration_by_name() {
    assert!(
        names().windows(2).all(|w| w[0] < w[1]),
        "not in URL-name order, or a name twice: {:?}",
        names()
    );
    for name in [
        "alertmanager",
        "gitea",
        "github",
        "gitlab",
        "grafana",
        "jira",
        "json",
        "sentry",
        "slack",
    ] {
        assert!(names().contains(&name), "{name} is not listed");
    }
    for name in names() {
        let found = integration(name).unwrap();
        assert_eq!(found.name(), *name);
        for alias in found.aliases() {
            assert!(!names().contains(alias), "alias {alias} shadows a name");
            assert_eq!(integration(alias).unwrap().name(), *name);
        }
    }
    assert!(integration("bitbucket").is_none());
}

/// The README's list of integration URLs is the registry's, in its
/// order, and every integration has its page in `docs/integrations/`.
#[test]
fn readme_and_docs_follow_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let listed = readme
        .split("/api/v1/external/{")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or("");
    let expected = names().join("|");
    // The list is written from the registry: `INLET_WRITE_README=1` rewrites
    // it when an integration is added or renamed.
    if listed != expected && std::env::var_os("INLET_WRITE_README").is_some() {
        let written = readme.replacen(
            &format!("/api/v1/external/{{{listed}}}"),
            &format!("/api/v1/external/{{{expected}}}"),
            1,
        );
        std::fs::write(&readme_path, written).unwrap();
        panic!("README.md's list of integrations rewritten from the registry; review it");
    }
    assert_eq!(
        listed, expected,
        "README.md's `/api/v1/external/{{…}}` list is not the registry's: \
         INLET_WRITE_README=1 cargo test -p inlet-dialects --test integrations rewrites it"
    );
    for name in names() {
        let page = root.join(format!("docs/integrations/{name}.md"));
        assert!(page.exists(), "no {}", page.display());
    }
}

/// The `slack` integration is the `slack` dialect behind another URL:
/// without `stream` / `topic`, its posts are the dialect's, author and
/// props included.
#[test]
fn slack_integration_posts_what_the_slack_dialect_posts() {
    let dir = root().join("slack");
    let webhook = WebhookView {
        display_name: "Vendor hook".into(),
        allow_username_override: true,
        allow_icon_override: true,
        ..WebhookView::default()
    };
    for case in ["text", "attachments", "blocks__thread_key"] {
        let body = std::fs::read(dir.join(format!("{case}.json"))).unwrap();
        let req = TranslationRequest {
            content_type: Some("application/json"),
            body: &body,
            webhook: &webhook,
            ..Default::default()
        };
        let Ok(Outcome::Posts { event, posts, .. }) = common::integration("slack", &req) else {
            panic!("{case}: not posted");
        };
        assert_eq!(event.as_deref(), Some("message"));
        let dialect = common::dialect(Translator::Slack, &req).unwrap();
        // The same posts; only where they go differs on this URL, where the
        // payload's `channel` names the topic (Zulip's rule), not a channel.
        assert_eq!(posts.len(), 1, "{case}");
        let content =
            |t: &inlet_dialects::Translation| -> Vec<(String, Option<serde_json::Value>)> {
                t.drafts
                    .iter()
                    .map(|d| (d.message.clone(), d.props.get("attachments").cloned()))
                    .collect()
            };
        assert_eq!(content(&posts[0]), content(&dialect), "{case}");
    }
}
