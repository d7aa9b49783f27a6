//! What the fuzz targets share: how a fuzzer's input becomes one request
//! to a dialect entry point, and the check that every request gets a
//! verdict (reliability.md B8).
//!
//! The encodings are kept simple on purpose, so that `seed_corpus.py` can
//! write the fixtures in them and a crash input can be read by eye:
//!
//! - dialect targets (`slack`, `talkspirit`, `emakin`): byte 0 holds the
//!   request's options ([`DialectOptions`]), the rest is the body;
//! - `integration`: byte 0 holds the options ([`IntegrationOptions`]), then
//!   a line with the integration name, a line with the event header's
//!   value, and the rest is the body.

use inlet_dialects::integrations::{IgnoreReason, IntegrationError, names};
use inlet_dialects::{
    DirectoryView, Limits, Markup, Outcome, Refusal, Rejection, Translation, TranslationRequest,
    WebhookView,
};

/// The content types a dialect request may carry; byte 0's low three bits
/// pick one. `MULTIPART_FROM_BODY` takes its boundary from the body's first
/// line, so that the fuzzer can keep a boundary and body that agree.
const DIALECT_CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/x-www-form-urlencoded"),
    Some(MULTIPART_FROM_BODY),
    Some("multipart/form-data"),
    Some("text/plain"),
    Some("application/json; charset=iso-8859-1"),
];

const MULTIPART_FROM_BODY: &str = "multipart/form-data; boundary=";

/// Limits small enough that splitting and the attachment cap are reached
/// by small inputs.
const TIGHT_LIMITS: Limits = Limits {
    max_post_runes: 40,
    max_attachments: 3,
    max_json_depth: 8,
    max_posts_per_request: 10,
};

/// The options byte of a dialect target's input.
#[derive(Clone, Copy, Debug)]
pub struct DialectOptions(u8);

impl DialectOptions {
    const SLACK_MARKUP: u8 = 1 << 3;
    const CHANNEL_MENTIONS: u8 = 1 << 4;
    const TIGHT_LIMITS: u8 = 1 << 5;
    const KNOWN_DIRECTORY: u8 = 1 << 6;

    fn content_type_index(self) -> usize {
        usize::from(self.0 & 0b111)
    }

    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    fn limits(self) -> Limits {
        if self.has(Self::TIGHT_LIMITS) {
            TIGHT_LIMITS
        } else {
            Limits::default()
        }
    }
}

/// One dialect request decoded from a fuzzer's input.
pub struct DialectInput<'a> {
    pub content_type: Option<String>,
    pub webhook: WebhookView,
    pub limits: Limits,
    directory: FuzzDirectory,
    pub body: &'a [u8],
}

impl<'a> DialectInput<'a> {
    /// Byte 0 is the options, the rest the body; an empty input is an
    /// empty body with every option off.
    pub fn decode(data: &'a [u8]) -> Self {
        let (options, body) = match data.split_first() {
            Some((first, rest)) => (DialectOptions(*first), rest),
            None => (DialectOptions(0), data),
        };
        let content_type = DIALECT_CONTENT_TYPES[options.content_type_index()].map(|ct| {
            if ct == MULTIPART_FROM_BODY {
                format!("{ct}{}", boundary_from_first_line(body))
            } else {
                ct.to_string()
            }
        });
        let markup = if options.has(DialectOptions::SLACK_MARKUP) {
            Markup::Slack
        } else {
            Markup::Markdown
        };
        Self {
            content_type,
            webhook: fuzz_webhook(markup, options.has(DialectOptions::CHANNEL_MENTIONS)),
            limits: options.limits(),
            directory: FuzzDirectory {
                knows_everyone: options.has(DialectOptions::KNOWN_DIRECTORY),
            },
            body,
        }
    }

    pub fn request(&self) -> TranslationRequest<'_> {
        TranslationRequest {
            content_type: self.content_type.as_deref(),
            body: self.body,
            webhook: &self.webhook,
            limits: self.limits,
            directory: &self.directory,
            ..Default::default()
        }
    }
}

/// `--b\r\n…` gives `b`: a multipart body opens with its boundary.
fn boundary_from_first_line(body: &[u8]) -> String {
    let line = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let boundary = line.strip_prefix(b"--").unwrap_or(line);
    String::from_utf8_lossy(boundary).into_owned()
}

fn fuzz_webhook(markup: Markup, allow_channel_mentions: bool) -> WebhookView {
    WebhookView {
        display_name: "fuzz hook".into(),
        username: None,
        icon_url: None,
        allow_username_override: true,
        allow_icon_override: true,
        allow_channel_mentions,
        markup,
    }
}

/// A team directory that knows either nobody or everybody, so that both
/// sides of every directory question are reached.
struct FuzzDirectory {
    knows_everyone: bool,
}

impl DirectoryView for FuzzDirectory {
    fn user_exists(&self, _username: &str) -> bool {
        self.knows_everyone
    }

    fn channel_name(&self, channel_id: &str) -> Option<String> {
        self.knows_everyone
            .then(|| format!("channel-{}", channel_id.len()))
    }

    fn username_of(&self, user_id: &str) -> Option<String> {
        self.knows_everyone
            .then(|| format!("user-{}", user_id.len()))
    }
}

/// Fails (panics, which libFuzzer reports as a crash) unless a dialect's
/// answer is a verdict: one translation within the limits, or a client
/// error with a code and a detail.
pub fn assert_dialect_verdict(outcome: &Outcome, limits: Limits) {
    match outcome {
        Outcome::Posts { posts, .. } => {
            assert_eq!(
                posts.len(),
                1,
                "a dialect made {} translations",
                posts.len()
            );
            assert_translation_fits(&posts[0], limits);
        }
        Outcome::Refused(Refusal::Dialect(rejection)) => assert_rejection_is_a_verdict(rejection),
        other => panic!("a dialect answered {other:?}"),
    }
}

fn assert_rejection_is_a_verdict(rejection: &Rejection) {
    let status = rejection.code.http_status();
    assert!(
        (400..500).contains(&status),
        "a payload was refused with {status} ({}): only client errors are verdicts",
        rejection.code
    );
    assert!(
        !rejection.detail.is_empty(),
        "{} refused without a detail",
        rejection.code
    );
}

fn assert_translation_fits(translation: &Translation, limits: Limits) {
    assert!(
        !translation.drafts.is_empty(),
        "an accepted payload makes no post: {translation:?}"
    );
    for draft in &translation.drafts {
        let runes = draft.message.chars().count();
        assert!(
            runes <= limits.max_post_runes,
            "a post of {runes} runes, over the limit of {}",
            limits.max_post_runes
        );
    }
}

/// The content types an integration request may carry; byte 0's low two
/// bits pick one.
const INTEGRATION_CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    None,
    Some("application/x-www-form-urlencoded"),
    Some("application/json; charset=latin1"),
];

/// Every vendor's event header; each carries the input's event line (an
/// integration reads only its own).
const EVENT_HEADERS: [&str; 4] = [
    "x-github-event",
    "x-gitlab-event",
    "x-gitea-event",
    "sentry-hook-resource",
];

/// Every vendor's signature or token header; with a signing secret, each
/// carries the event line too, so that signature parsing sees any text.
const SIGNATURE_HEADERS: [&str; 4] = [
    "x-hub-signature-256",
    "x-gitlab-token",
    "x-gitea-signature",
    "sentry-hook-signature",
];

const FUZZ_SECRET: &[u8] = b"fuzz-secret";

/// The options byte of the integration target's input.
#[derive(Clone, Copy, Debug)]
pub struct IntegrationOptions(u8);

impl IntegrationOptions {
    const SIGNING_SECRET: u8 = 1 << 2;
    const QUERY: u8 = 1 << 3;
    const CHANNEL_MENTIONS: u8 = 1 << 4;
    const TIGHT_LIMITS: u8 = 1 << 5;

    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// One integration request decoded from a fuzzer's input.
pub struct IntegrationInput<'a> {
    pub name: &'static str,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub content_type: Option<&'static str>,
    pub webhook: WebhookView,
    pub signing_secret: Option<&'static [u8]>,
    pub limits: Limits,
    pub body: &'a [u8],
}

impl<'a> IntegrationInput<'a> {
    /// Options byte, name line, event line, body; missing parts are empty.
    pub fn decode(data: &'a [u8]) -> Self {
        let (options, rest) = match data.split_first() {
            Some((first, rest)) => (IntegrationOptions(*first), rest),
            None => (IntegrationOptions(0), data),
        };
        let (name_line, rest) = split_line(rest);
        let (event_line, body) = split_line(rest);
        let event = String::from_utf8_lossy(event_line).into_owned();
        let secret = options.has(IntegrationOptions::SIGNING_SECRET);
        let mut headers: Vec<(String, String)> = EVENT_HEADERS
            .iter()
            .map(|name| (name.to_string(), event.clone()))
            .collect();
        if secret {
            headers.extend(
                SIGNATURE_HEADERS
                    .iter()
                    .map(|name| (name.to_string(), event.clone())),
            );
        }
        let query = if options.has(IntegrationOptions::QUERY) {
            fuzz_query(&event)
        } else {
            Vec::new()
        };
        Self {
            name: integration_name(name_line),
            headers,
            query,
            content_type: INTEGRATION_CONTENT_TYPES[usize::from(options.0 & 0b11)],
            webhook: fuzz_webhook(
                Markup::Markdown,
                options.has(IntegrationOptions::CHANNEL_MENTIONS),
            ),
            signing_secret: secret.then_some(FUZZ_SECRET),
            limits: if options.has(IntegrationOptions::TIGHT_LIMITS) {
                TIGHT_LIMITS
            } else {
                Limits::default()
            },
            body,
        }
    }

    pub fn request(&self) -> TranslationRequest<'_> {
        TranslationRequest {
            headers: &self.headers,
            query: &self.query,
            content_type: self.content_type,
            body: self.body,
            webhook: &self.webhook,
            signing_secret: self.signing_secret,
            limits: self.limits,
            directory: &inlet_dialects::EmptyDirectory,
            // A fixed arrival time, so that signed timestamps are judged.
            now: Some(FUZZ_NOW),
        }
    }
}

/// The arrival time the fuzzed requests are given (Unix seconds).
const FUZZ_NOW: u64 = 1_700_000_000;

/// The bytes before the first `\n`, and those after it.
fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[]),
    }
}

/// A registered integration: the one the line names, else the one its
/// first byte picks, so that every input reaches a real integration.
fn integration_name(line: &[u8]) -> &'static str {
    let registered = names();
    if let Some(name) = registered.iter().find(|n| n.as_bytes() == line) {
        return name;
    }
    let pick = usize::from(line.first().copied().unwrap_or(0));
    registered[pick % registered.len()]
}

/// The URL parameters every integration reads, with the event line as the
/// topic and as an event filter.
fn fuzz_query(event: &str) -> Vec<(String, String)> {
    vec![
        ("stream".into(), "general".into()),
        ("topic".into(), event.into()),
        ("only_events".into(), format!("{event},push,issue*")),
        ("exclude_events".into(), "*_deleted".into()),
        ("branches".into(), "main,release/*".into()),
    ]
}

/// Fails unless an integration's answer is a verdict: posts, an ignored
/// event with its reason, or a client error whose status is its code's.
pub fn assert_integration_verdict(outcome: &Outcome, limits: Limits) {
    match outcome {
        // No posts is a verdict too: an Alertmanager notification without
        // alerts is answered 200 with nothing published (ingress).
        Outcome::Posts { posts, .. } => {
            for translation in posts {
                assert_translation_fits(translation, limits);
            }
        }
        Outcome::Ignored {
            reason, message, ..
        } => {
            if *reason == IgnoreReason::Unsupported {
                assert!(message.is_some(), "an unsupported event without its answer");
            }
        }
        Outcome::Refused(Refusal::Dialect(rejection)) => {
            panic!("an integration refused in a dialect's words: {rejection}")
        }
        Outcome::Refused(Refusal::Integration(error)) => assert_error_is_a_verdict(error),
    }
}

fn assert_error_is_a_verdict(error: &IntegrationError) {
    assert_eq!(
        error.status,
        error.code.http_status(),
        "{} answered with another status",
        error.code
    );
    assert!(
        (400..500).contains(&error.status),
        "an integration request was refused with {} ({}): only client errors are verdicts",
        error.status,
        error.code
    );
    assert!(
        !error.message.is_empty(),
        "{} refused without a message",
        error.code
    );
}
