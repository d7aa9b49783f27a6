//! Fixture-driven tests: every `tests/fixtures/<dialect>/<case>.<ext>` body is
//! translated and compared with `<case>.expected.json`. An optional
//! `<case>.request.json` gives the content type and webhook settings.
//! Adding a fixture adds a test.

use inlet_dialects::{
    Dialect, EmptyDirectory, Limits, Markup, RequestFacts, Target, WebhookView, translate,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn target_json(target: &Target) -> Value {
    match target {
        Target::Default => json!({"kind": "default"}),
        Target::ChannelName(n) => json!({"kind": "channel_name", "value": n}),
        Target::ChannelId(i) => json!({"kind": "channel_id", "value": i}),
        Target::DirectUser(u) => json!({"kind": "direct_user", "value": u}),
    }
}

fn webhook_from(request: &Value) -> WebhookView {
    let hook = &request["webhook"];
    WebhookView {
        display_name: hook["display_name"]
            .as_str()
            .unwrap_or("Fixture hook")
            .to_string(),
        username: hook["username"].as_str().map(str::to_string),
        icon_url: hook["icon_url"].as_str().map(str::to_string),
        allow_username_override: hook["allow_username_override"].as_bool().unwrap_or(true),
        allow_icon_override: hook["allow_icon_override"].as_bool().unwrap_or(true),
        allow_channel_mentions: hook["allow_channel_mentions"].as_bool().unwrap_or(false),
        markup: hook["markup"]
            .as_str()
            .and_then(Markup::parse)
            .unwrap_or_default(),
    }
}

fn run_case(dialect: &Dialect, body_path: &Path) -> Result<(), String> {
    let stem = body_path.file_stem().unwrap().to_str().unwrap();
    let dir = body_path.parent().unwrap();
    let body = std::fs::read(body_path).unwrap();
    let request: Value = std::fs::read(dir.join(format!("{stem}.request.json")))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(json!({}));
    let expected: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{stem}.expected.json")))
            .map_err(|e| format!("{stem}: missing expected file: {e}"))?,
    )
    .unwrap();
    let webhook = webhook_from(&request);
    let facts = RequestFacts {
        content_type: request["content_type"].as_str(),
        webhook: &webhook,
        limits: Limits {
            max_attachments: 3,
            ..Limits::default()
        },
        directory: &EmptyDirectory,
    };
    let actual = match translate(dialect, &facts, &body) {
        Ok(t) => json!({
            "target": target_json(&t.target),
            "posts": t.drafts.iter().map(|d| json!({
                "message": d.message,
                "username": d.author.username,
                "icon_url": d.author.icon_url,
                "props": d.props,
            })).collect::<Vec<_>>(),
        }),
        Err(r) => {
            json!({"error": r.code.as_str(), "detail_contains": expected["detail_contains"].clone(), "detail": r.detail})
        }
    };
    let matches = match expected.get("error") {
        Some(_) => {
            actual["error"] == expected["error"]
                && actual["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(expected["detail_contains"].as_str().unwrap_or("")))
        }
        None => actual == expected,
    };
    if matches {
        Ok(())
    } else {
        Err(format!(
            "{}: expected\n{}\ngot\n{}",
            body_path.display(),
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(&actual).unwrap()
        ))
    }
}

fn cases(dialect_dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_root().join(dialect_dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            !name.ends_with(".expected.json") && !name.ends_with(".request.json")
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn slack_fixtures() {
    let cases = cases("slack");
    assert!(
        cases.len() >= 10,
        "expected the slack fixtures, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|p| run_case(&Dialect::Slack, p).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
