//! Properties of the translations that must hold for any input: none of
//! them panics (any bytes, any JSON-ish payload, any Slack-ish text), every
//! integration request gets a verdict, and a long message is split into
//! parts that give back the whole text, none over the limit, with the
//! attachments on the last one. No translation holds a NUL anywhere, which
//! PostgreSQL could not store (decisions.md 39).

mod common;

use inlet_dialects::integrations::{IntegrationError, names};
use inlet_dialects::split::split_message;
use inlet_dialects::{
    Limits, Markup, Outcome, Target, ThreadRef, Translation, TranslationRequest, Translator,
    WebhookView,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn hook(markup: Markup, allow_channel_mentions: bool) -> WebhookView {
    WebhookView {
        display_name: "prop hook".into(),
        allow_username_override: true,
        allow_icon_override: true,
        allow_channel_mentions,
        markup,
        ..WebhookView::default()
    }
}

fn run(
    body: &[u8],
    content_type: Option<&str>,
    max_post_runes: usize,
    hook: &WebhookView,
) -> Option<Translation> {
    run_in(Translator::Slack, body, content_type, max_post_runes, hook)
}

fn run_in(
    translator: Translator,
    body: &[u8],
    content_type: Option<&str>,
    max_post_runes: usize,
    hook: &WebhookView,
) -> Option<Translation> {
    let req = TranslationRequest {
        content_type,
        body,
        webhook: hook,
        limits: Limits {
            max_post_runes,
            // The splitting properties cut short texts into many parts.
            max_posts_per_request: 10_000,
            ..Limits::default()
        },
        ..Default::default()
    };
    common::dialect(translator, &req).ok()
}

/// Text made of the pieces Slack markup is built from, so that the
/// translator's every branch is reached, not only plain words.
fn slackish_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<".to_string()),
        Just(">".to_string()),
        Just("|".to_string()),
        Just("`".to_string()),
        Just("```\n".to_string()),
        Just("*".to_string()),
        Just("_".to_string()),
        Just("~".to_string()),
        Just("\\".to_string()),
        Just("[".to_string()),
        Just("](".to_string()),
        Just(")".to_string()),
        Just("&amp;".to_string()),
        Just("&lt;".to_string()),
        Just("<!here>".to_string()),
        Just("@channel".to_string()),
        Just("@all".to_string()),
        Just("<@U1|bob>".to_string()),
        Just("<#C1>".to_string()),
        Just("<https://x.example/a|label>".to_string()),
        Just("<javascript:alert(1)|x>".to_string()),
        Just("https://x.example/@here".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{1}\u{85}\u{202e}".to_string()),
        "[a-zé😀]{1,6}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// The leaves of generated JSON: null, booleans, integers, Slack-ish
/// text, and the typed `words` a dialect looks for (types, actions, refs).
fn leaves(words: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        slackish_text().prop_map(Value::from),
        prop::sample::select(words).prop_map(Value::from),
    ]
    .boxed()
}

/// JSON values of `leaf`s, nested in arrays and in objects keyed by `keys`,
/// at most `depth` levels deep and about `size` nodes.
fn nested(
    leaf: impl Strategy<Value = Value> + 'static,
    keys: &'static [&'static str],
    depth: u32,
    size: u32,
) -> impl Strategy<Value = Value> {
    leaf.prop_recursive(depth, size, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..8).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}

/// The Slack payload's keys, at every level, and its typed words.
const SLACK_KEYS: &[&str] = &[
    "text",
    "channel",
    "username",
    "icon_url",
    "icon_emoji",
    "attachments",
    "blocks",
    "type",
    "props",
    "priority",
    "mrkdwn",
    "thread_key",
    "root_id",
    "thread_ts",
    "fields",
    "value",
    "short",
    "title",
    "color",
    "elements",
    "image_url",
    "accessory",
    "style",
    "url",
    "pretext",
    "title_link",
    "range",
    "user_id",
];
const SLACK_WORDS: &[&str] = &[
    "section",
    "header",
    "rich_text",
    "rich_text_section",
    "rich_text_list",
    "text",
    "link",
    "mrkdwn",
    "image",
    "context",
    "divider",
    "broadcast",
    "urgent",
    "custom_x",
    "true",
];

/// The talkSpirit and emakin payloads' keys and words (`@type` values, URLs).
const OTHER_DIALECT_KEYS: &[&str] = &[
    "title",
    "content",
    "url",
    "contact",
    "display_name",
    "icon",
    "thread_id",
    "text",
    "attachments",
    "@type",
    "displayName",
    "ext",
    "id",
    "references",
];
const OTHER_DIALECT_WORDS: &[&str] = &[
    "file",
    "link",
    "https://x.example/a (b)",
    "javascript:alert(1)",
    "",
    " ",
];

/// The vendors' keys (GitHub, GitLab, Gitea, Sentry, Grafana,
/// Alertmanager, Jira) and the words their events are told apart by.
const VENDOR_KEYS: &[&str] = &[
    "action",
    "object_kind",
    "object_attributes",
    "event_type",
    "repository",
    "full_name",
    "ref",
    "commits",
    "compare",
    "forced",
    "sender",
    "login",
    "pull_request",
    "issue",
    "comment",
    "number",
    "title",
    "html_url",
    "data",
    "alerts",
    "status",
    "labels",
    "annotations",
    "alertname",
    "webhookEvent",
    "transition",
    "text",
    "message",
];
const VENDOR_WORDS: &[&str] = &[
    "opened",
    "closed",
    "created",
    "push",
    "merge_request",
    "firing",
    "resolved",
    "refs/heads/main",
    "refs/tags/v1",
    "0000000000000000000000000000000000000000",
    "jira:issue_updated",
    "https://x.example/a",
];

/// JSON values whose keys are the Slack payload's, at every level.
fn slackish_json() -> impl Strategy<Value = Value> {
    nested(leaves(SLACK_WORDS), SLACK_KEYS, 5, 64)
}

/// JSON values whose keys are the talkspirit and emakin payloads', at
/// every level, with their typed leaves (`@type` values, ids, URLs).
fn other_dialects_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        leaves(OTHER_DIALECT_WORDS),
        any::<f64>().prop_map(Value::from),
        "[a-zé]{200,300}".prop_map(Value::from),
    ];
    nested(leaf, OTHER_DIALECT_KEYS, 4, 48)
}

/// JSON values whose keys are the vendors', at every level.
fn vendorish_json() -> impl Strategy<Value = Value> {
    nested(leaves(VENDOR_WORDS), VENDOR_KEYS, 4, 48)
}

/// The content types a body arrives with, none included.
fn content_types() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("multipart/form-data; boundary=b")),
    ]
}

/// Values of the vendors' event headers, and any short text.
fn event_header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("push"),
            Just("pull_request"),
            Just("issues"),
            Just("issue_comment"),
            Just("create"),
            Just("release"),
            Just("Push Hook"),
            Just("Merge Request Hook"),
            Just("Issue Hook"),
            Just("Note Hook"),
            Just("Pipeline Hook"),
            Just("issue"),
            Just("event_alert"),
            Just("installation"),
        ]
        .prop_map(str::to_string),
        "[a-zA-Z_ ]{0,16}",
    ]
}

/// Runs one request to `integration/<names()[pick]>` with the event header
/// under every vendor's name, with or without a signing secret.
fn run_integration(
    pick: usize,
    event: &str,
    content_type: Option<&str>,
    body: &[u8],
    signed: bool,
) -> Result<Outcome, IntegrationError> {
    let headers: Vec<(String, String)> = [
        "x-github-event",
        "x-gitlab-event",
        "x-gitea-event",
        "sentry-hook-resource",
        "x-hub-signature-256",
    ]
    .iter()
    .map(|name| (name.to_string(), event.to_string()))
    .collect();
    let webhook = hook(Markup::Markdown, false);
    let request = TranslationRequest {
        headers: &headers,
        query: &[],
        content_type,
        body,
        webhook: &webhook,
        signing_secret: signed.then_some(b"prop-secret".as_slice()),
        limits: Limits {
            max_post_runes: 40,
            // Small, so that capping an event's posts is exercised too.
            max_posts_per_request: 3,
            ..Limits::default()
        },
        ..Default::default()
    };
    common::integration(names()[pick % names().len()], &request)
}

/// A verdict: posts (none over the limit; none at all for an Alertmanager
/// notification without alerts), an ignored event, or a client error
/// answered with its code's status.
fn assert_integration_verdict(result: &Result<Outcome, IntegrationError>) {
    match result {
        Ok(Outcome::Posts { posts, .. }) => {
            for translation in posts {
                assert!(!translation.drafts.is_empty(), "a post without drafts");
                assert!(
                    translation
                        .drafts
                        .iter()
                        .all(|d| d.message.chars().count() <= 40)
                );
            }
        }
        Ok(Outcome::Ignored { .. }) => {}
        Ok(Outcome::Refused(refusal)) => panic!("a refusal outside the refusals: {refusal}"),
        Err(error) => {
            assert_eq!(error.status, error.code.http_status(), "{error}");
            assert!((400..500).contains(&error.status), "{error}");
            assert!(
                !error.message.is_empty(),
                "{:?} without a message",
                error.code
            );
        }
    }
}

/// Whether no string of a translation (message, author, props keys and
/// values, thread, case, target) holds a NUL.
fn storable(t: &Translation) -> bool {
    fn value(v: &Value) -> bool {
        match v {
            Value::String(s) => !s.contains('\0'),
            Value::Array(items) => items.iter().all(value),
            Value::Object(map) => map.iter().all(|(k, v)| !k.contains('\0') && value(v)),
            _ => true,
        }
    }
    let nul = |s: &str| s.contains('\0');
    let target = match &t.target {
        Target::Default => false,
        Target::ChannelName(s) | Target::ChannelId(s) | Target::DirectUser(s) => nul(s),
    };
    let thread = match &t.thread {
        Some(ThreadRef::Key(s)) | Some(ThreadRef::Root(s)) => nul(s),
        None => false,
    };
    let case = t.case.as_ref().is_some_and(|c| {
        c.opens.as_deref().is_some_and(nul) || c.references.iter().any(|r| nul(r))
    });
    !target
        && !thread
        && !case
        && t.drafts.iter().all(|d| {
            let a = &d.author;
            !nul(&d.message)
                && !nul(&a.username)
                && !a.icon_url.as_deref().is_some_and(nul)
                && !a.icon_emoji.as_deref().is_some_and(nul)
                && d.props.iter().all(|(k, v)| !nul(k) && value(v))
        })
}

fn other_dialect(talkspirit: bool) -> Translator {
    if talkspirit {
        Translator::Talkspirit
    } else {
        Translator::Emakin
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn talkspirit_and_emakin_never_panic_on_arbitrary_bytes(
        body in prop::collection::vec(any::<u8>(), 0..300),
        content_type in content_types(),
        talkspirit in any::<bool>(),
    ) {
        let dialect = other_dialect(talkspirit);
        let _ = run_in(dialect, &body, content_type, 20, &hook(Markup::Markdown, false));
    }

    #[test]
    fn every_integration_gives_a_verdict_on_arbitrary_bytes(
        pick in 0usize..64,
        event in event_header(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        content_type in prop_oneof![
            Just(None),
            Just(Some("application/json")),
            Just(Some("application/x-www-form-urlencoded")),
            Just(Some("multipart/form-data; boundary=b")),
            Just(Some("application/json; charset=latin1")),
        ],
        signed in any::<bool>(),
    ) {
        let result = run_integration(pick, &event, content_type, &body, signed);
        assert_integration_verdict(&result);
    }

    #[test]
    fn every_integration_gives_a_verdict_on_arbitrary_payloads(
        pick in 0usize..64,
        event in event_header(),
        payload in vendorish_json(),
    ) {
        let body = serde_json::to_vec(&payload).unwrap();
        let result = run_integration(pick, &event, Some("application/json"), &body, false);
        assert_integration_verdict(&result);
        if let Ok(Outcome::Posts { posts, .. }) = &result {
            prop_assert!(posts.iter().all(storable), "a NUL left in {posts:?}");
        }
    }

    #[test]
    fn talkspirit_and_emakin_never_panic_on_arbitrary_payloads(
        payload in other_dialects_json(),
        talkspirit in any::<bool>(),
        mentions in any::<bool>(),
        max in 1usize..64,
    ) {
        let body = serde_json::to_vec(&payload).unwrap();
        let dialect = other_dialect(talkspirit);
        if let Some(t) = run_in(dialect, &body, None, max, &hook(Markup::Markdown, mentions)) {
            prop_assert!(storable(&t), "a NUL left in {t:?}");
        }
    }

    #[test]
    fn talkspirit_and_emakin_split_their_whole_message(
        text in slackish_text(),
        talkspirit in any::<bool>(),
        max in 1usize..40,
    ) {
        let payload = if talkspirit {
            json!({"title": "t", "content": format!("x {text}"), "thread_id": 1})
        } else {
            json!({"text": format!("x {text}"), "id": 7, "attachments": [
                {"@type": "file", "displayName": "a", "ext": "txt", "url": "https://x.example/a"},
            ]})
        };
        let body = serde_json::to_vec(&payload).unwrap();
        let dialect = other_dialect(talkspirit);
        let hook = hook(Markup::Markdown, false);
        let whole = run_in(dialect, &body, None, usize::MAX, &hook).expect("whole");
        let split = run_in(dialect, &body, None, max, &hook).expect("split");
        let joined: String = split.drafts.iter().map(|d| d.message.as_str()).collect();
        // A link is neutralised where it is one: in the whole, or in a part
        // (see the Slack property below); only then may the parts differ.
        let neutralised = whole.drafts[0].props.contains_key("dropped")
            || split.drafts.iter().any(|d| d.props.contains_key("dropped"));
        if !neutralised {
            prop_assert_eq!(&joined, &whole.drafts[0].message);
        }
        prop_assert_eq!(&split.thread, &whole.thread);
        prop_assert_eq!(&split.case, &whole.case);
        let last = split.drafts.len() - 1;
        for (i, draft) in split.drafts.iter().enumerate() {
            prop_assert!(draft.message.chars().count() <= max);
            prop_assert_eq!(draft.props.contains_key("attachments"), !talkspirit && i == last);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..300),
        content_type in content_types(),
    ) {
        let _ = run(&body, content_type, 20, &hook(Markup::Slack, false));
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in slackish_json(), slack in any::<bool>()) {
        let markup = if slack { Markup::Slack } else { Markup::Markdown };
        let body = serde_json::to_vec(&payload).unwrap();
        if let Some(t) = run(&body, None, 16, &hook(markup, slack)) {
            prop_assert!(storable(&t), "a NUL left in {t:?}");
        }
    }

    #[test]
    fn arbitrary_text_translates_without_panic(text in slackish_text(), slack in any::<bool>()) {
        let markup = if slack { Markup::Slack } else { Markup::Markdown };
        let body = serde_json::to_vec(&json!({"text": text})).unwrap();
        let _ = run(&body, None, 16_383, &hook(markup, false));
    }

    #[test]
    fn split_parts_join_back_and_fit(text in "(?s).{0,400}", max in 1usize..60) {
        let parts = split_message(&text, max);
        prop_assert!(!parts.is_empty());
        prop_assert_eq!(parts.concat(), text.clone());
        for part in &parts {
            prop_assert!(part.chars().count() <= max);
        }
    }

    #[test]
    fn split_slackish_text_joins_back_and_fits(text in slackish_text(), max in 1usize..40) {
        let parts = split_message(&text, max);
        prop_assert_eq!(parts.concat(), text.clone());
        prop_assert!(parts.iter().all(|p| p.chars().count() <= max));
    }

    #[test]
    fn a_split_translation_is_the_whole_translation_in_parts(text in slackish_text(), max in 1usize..40) {
        let body = serde_json::to_vec(&json!({
            "text": format!("x {text}"),
            "props": {"k": 1},
            "attachments": [{"text": "a"}],
        }))
        .unwrap();
        let hook = hook(Markup::Slack, false);
        let whole = run(&body, None, usize::MAX, &hook).expect("whole");
        let split = run(&body, None, max, &hook).expect("split");
        let joined: String = split.drafts.iter().map(|d| d.message.as_str()).collect();
        // Each part is rendered on its own, so a cut through a code span
        // can turn what was code in the whole into a link in a part, which
        // is then neutralised there: only then may the parts differ.
        let neutralised = whole.drafts[0].props.contains_key("dropped")
            || split.drafts.iter().any(|d| d.props.contains_key("dropped"));
        if !neutralised {
            prop_assert_eq!(&joined, &whole.drafts[0].message);
        }
        let last = split.drafts.len() - 1;
        for (i, draft) in split.drafts.iter().enumerate() {
            prop_assert!(draft.message.chars().count() <= max);
            prop_assert_eq!(&draft.props["k"], &json!(1));
            prop_assert_eq!(draft.props.contains_key("attachments"), i == last);
        }
    }
}
