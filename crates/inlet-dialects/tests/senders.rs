//! Nothing a reader needs is lost: for every `tests/fixtures/slack/sender_*`
//! payload (one per real sender), every http(s) URL, every `<url|label>`
//! label and every link button's label found anywhere in the payload shows
//! up in the translated posts: their messages, their attachments or the
//! author's icon.

mod common;

use inlet_dialects::{TranslationRequest, Translator, WebhookView};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sender_fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slack");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("sender_") && name.ends_with(".json") && !name.contains(".expected.")
        })
        .collect();
    paths.sort();
    paths
}

/// Every string in `value`, keys excluded.
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The http(s) URLs in `text`, ending at whitespace or at a character
/// that closes Slack or markdown markup.
fn urls(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for scheme in ["http://", "https://"] {
        for (start, _) in text.match_indices(scheme) {
            let rest = &text[start..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '|' | '>' | ')' | '"'))
                .unwrap_or(rest.len());
            found.push(&rest[..end]);
        }
    }
    found
}

/// The labels of the `<url|label>` links in `text`.
fn link_labels(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices('<') {
        let rest = &text[start + 1..];
        let Some(end) = rest.find('>') else { continue };
        if let Some((target, label)) = rest[..end].split_once('|')
            && target.trim().starts_with("http")
            && !label.trim().is_empty()
        {
            found.push(label.trim());
        }
    }
    found
}

/// The labels of the buttons that open an http(s) URL, anywhere in
/// `value` (legacy actions: `text` is a string; Block Kit: an object).
fn button_labels<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| button_labels(v, out)),
        Value::Object(map) => {
            let is_link_button = map.get("type").and_then(Value::as_str) == Some("button")
                && map
                    .get("url")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.starts_with("http"));
            if is_link_button {
                let text = map.get("text");
                let label = text
                    .and_then(Value::as_str)
                    .or_else(|| text.and_then(|t| t.get("text")).and_then(Value::as_str));
                out.extend(label);
            }
            map.values().for_each(|v| button_labels(v, out));
        }
        _ => {}
    }
}

/// What a reader of the posts sees, with markdown's backslash escapes
/// and Slack's entities undone.
fn shown(body: &[u8]) -> String {
    let hook = WebhookView {
        display_name: "Sender test".into(),
        // A sender's icon is shown when the webhook allows it.
        allow_icon_override: true,
        ..WebhookView::default()
    };
    let req = TranslationRequest {
        content_type: Some("application/json"),
        body,
        webhook: &hook,
        ..Default::default()
    };
    let translation = common::dialect(Translator::Slack, &req).expect("the payload is accepted");
    let mut out = String::new();
    for draft in &translation.drafts {
        out.push_str(&draft.message);
        out.push('\n');
        if let Some(icon) = &draft.author.icon_url {
            out.push_str(icon);
            out.push('\n');
        }
        if let Some(attachments) = draft.props.get("attachments") {
            let mut texts = Vec::new();
            strings(attachments, &mut texts);
            out.push_str(&texts.join("\n"));
        }
    }
    out.replace('\\', "")
}

#[test]
fn senders_lose_no_link_and_no_label() {
    let fixtures = sender_fixtures();
    assert!(
        fixtures.len() >= 10,
        "found {} sender fixtures",
        fixtures.len()
    );
    let mut missing = Vec::new();
    for path in &fixtures {
        let body = std::fs::read(path).unwrap();
        let payload: Value = serde_json::from_slice(&body).unwrap();
        let shown = shown(&body);
        let mut texts = Vec::new();
        strings(&payload, &mut texts);
        let mut needed: Vec<&str> = texts
            .iter()
            .flat_map(|t| urls(t).into_iter().chain(link_labels(t)))
            .collect();
        button_labels(&payload, &mut needed);
        let name = path.file_name().unwrap().to_string_lossy();
        for item in needed {
            let item = item.replace("&amp;", "&");
            if !shown.contains(&item) {
                missing.push(format!("{name}: {item:?}"));
            }
        }
    }
    assert!(missing.is_empty(), "lost:\n{}", missing.join("\n"));
}
