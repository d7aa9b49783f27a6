//! Fixture-driven tests: every `tests/fixtures/<dialect>/<case>.<ext>` body is
//! translated and compared with `<case>.expected.json`. An optional
//! `<case>.request.json` gives the content type, the webhook settings,
//! `limits` overrides and a fake team directory:
//! `{"directory": {"users": ["alice"], "channels": {"C123": "general"},
//! "user_ids": {"<uuid>": "bob"}}}`.
//! Adding a fixture adds a test; `INLET_FIXTURES_WRITE_MISSING=1` writes
//! the missing expected files from the current output, to be reviewed.

mod common;

use inlet_dialects::{
    DirectoryView, Limits, Markup, ThreadRef, Translation, TranslationRequest, Translator,
    WebhookView,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The team directory a fixture describes.
#[derive(Default)]
struct FakeDirectory {
    users: BTreeSet<String>,
    channels: BTreeMap<String, String>,
    /// User id → username.
    user_ids: BTreeMap<String, String>,
}

impl DirectoryView for FakeDirectory {
    fn user_exists(&self, username: &str) -> bool {
        self.users.contains(username)
    }
    fn channel_name(&self, channel_id: &str) -> Option<String> {
        self.channels.get(channel_id).cloned()
    }
    fn username_of(&self, user_id: &str) -> Option<String> {
        self.user_ids.get(user_id).cloned()
    }
}

fn directory_from(request: &Value) -> FakeDirectory {
    let dir = &request["directory"];
    FakeDirectory {
        users: dir["users"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect(),
        channels: dir["channels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(id, name)| Some((id.clone(), name.as_str()?.to_string())))
            .collect(),
        user_ids: dir["user_ids"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(id, name)| Some((id.clone(), name.as_str()?.to_string())))
            .collect(),
    }
}

fn limits_from(request: &Value) -> Limits {
    let limits = &request["limits"];
    let or = |key: &str, default: usize| {
        limits[key]
            .as_u64()
            .map_or(default, |n| usize::try_from(n).unwrap())
    };
    // Three attachments at most unless a fixture says otherwise, so that
    // `too_many_attachments` needs only a small fixture.
    let defaults = Limits::default();
    Limits {
        max_post_runes: or("max_post_runes", defaults.max_post_runes),
        max_attachments: or("max_attachments", 3),
        max_json_depth: or("max_json_depth", defaults.max_json_depth),
        max_posts_per_request: or("max_posts_per_request", defaults.max_posts_per_request),
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

/// The translation as the expected files write it; `thread`, `case` and a
/// post's `icon_emoji` appear only when set.
fn translation_json(t: &Translation) -> Value {
    let mut out = json!({
        "target": common::target_json(&t.target),
        "posts": t.drafts.iter().map(|d| {
            let mut post = json!({
                "message": d.message,
                "username": d.author.username,
                "icon_url": d.author.icon_url,
                "props": d.props,
            });
            if let Some(emoji) = &d.author.icon_emoji {
                post["icon_emoji"] = json!(emoji);
            }
            post
        }).collect::<Vec<_>>(),
    });
    match &t.thread {
        Some(ThreadRef::Key(k)) => out["thread"] = json!({"kind": "key", "value": k}),
        Some(ThreadRef::Root(r)) => out["thread"] = json!({"kind": "root", "value": r}),
        None => {}
    }
    if let Some(case) = &t.case {
        out["case"] = json!({"opens": case.opens, "references": case.references});
    }
    out
}

fn run_case(translator: Translator, body_path: &Path) -> Result<(), String> {
    let body = std::fs::read(body_path).unwrap();
    let request = common::request_of(body_path);
    let webhook = webhook_from(&request);
    let directory = directory_from(&request);
    let req = TranslationRequest {
        content_type: request["content_type"].as_str(),
        body: &body,
        webhook: &webhook,
        limits: limits_from(&request),
        directory: &directory,
        ..Default::default()
    };
    let result = common::dialect(translator, &req);
    let expected = common::expected_of(body_path, |path| write_expected(path, &result))?;
    let actual = match result {
        Ok(t) => translation_json(&t),
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
    common::verdict(body_path, matches, &expected, &actual)
}

/// Writes what the translator does now as a new expected file, for a
/// person to review (`INLET_FIXTURES_WRITE_MISSING=1`; never overwrites).
fn write_expected(path: &Path, result: &Result<Translation, inlet_dialects::Rejection>) {
    let value = match result {
        Ok(t) => translation_json(t),
        Err(r) => json!({"error": r.code.as_str(), "detail_contains": r.detail}),
    };
    let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
    std::fs::write(path, text).unwrap();
}

fn cases(dialect_dir: &str) -> Vec<PathBuf> {
    common::fixture_cases(&fixtures_root().join(dialect_dir), |_| true)
}

/// Runs every fixture of `dir` with `translator`, expecting at least `min`.
fn run_dialect(translator: Translator, dir: &str, min: usize) {
    let cases = cases(dir);
    assert!(
        cases.len() >= min,
        "expected the {dir} fixtures, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|p| run_case(translator, p).err())
        .collect();
    common::assert_no_failures(&failures);
}

#[test]
fn slack_fixtures() {
    run_dialect(Translator::Slack, "slack", 60);
}

#[test]
fn talkspirit_fixtures() {
    run_dialect(Translator::Talkspirit, "talkspirit", 20);
}

#[test]
fn emakin_fixtures() {
    run_dialect(Translator::Emakin, "emakin", 20);
}

#[test]
fn zulip_send_fixtures() {
    run_dialect(Translator::ZulipSend, "zulip-send", 8);
}

#[test]
fn slack_post_message_fixtures() {
    run_dialect(Translator::SlackPostMessage, "slack-post-message", 6);
}
