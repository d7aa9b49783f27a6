//! The guarded calls and their inputs, built outside the measured call:
//! each input owns its data, and its one method is what is counted.

use inlet_core::token::{InvalidToken, TokenHash, WebhookToken};
use inlet_dialects::integrations::sign_hmac_sha256;
use inlet_dialects::{
    DialectName, Limits, Markup, Outcome, TranslationRequest, Translator, WebhookView,
};
use inlet_templates::{Compiled, Rendering, RequestView, TemplateSource};

/// A body for one of the dialects.
pub struct DialectInput {
    translator: Translator,
    body: &'static [u8],
    webhook: WebhookView,
}

impl DialectInput {
    /// What ingress and the formatter call for each webhook of the dialect.
    pub fn translate(&self) -> Outcome {
        self.translator.translate(&TranslationRequest {
            content_type: Some("application/json"),
            body: self.body,
            webhook: &self.webhook,
            ..TranslationRequest::default()
        })
    }
}

fn webhook(markup: Markup) -> WebhookView {
    WebhookView {
        display_name: "Guarded hook".into(),
        allow_username_override: true,
        allow_icon_override: true,
        markup,
        ..WebhookView::default()
    }
}

/// A Slack message with four attachments, fields and blocks.
pub fn slack_attachments() -> DialectInput {
    DialectInput {
        translator: Translator::Slack,
        body: include_bytes!("../inputs/slack_attachments.json"),
        webhook: webhook(Markup::Slack),
    }
}

/// A talkSpirit post in a named thread, with a contact.
pub fn talkspirit_thread_post() -> DialectInput {
    DialectInput {
        translator: Translator::Talkspirit,
        body: include_bytes!("../inputs/talkspirit_thread_post.json"),
        webhook: webhook(Markup::default()),
    }
}

/// A signed GitHub push of 20 commits, through the integration.
pub struct GithubPush {
    body: &'static [u8],
    headers: Vec<(String, String)>,
    secret: Vec<u8>,
    webhook: WebhookView,
}

pub fn github_push() -> GithubPush {
    let body: &'static [u8] = include_bytes!("../inputs/github_push_20_commits.json");
    let secret = b"guarded-secret".to_vec();
    let headers = [
        ("x-github-event", "push".to_string()),
        (
            "x-github-delivery",
            "5a1c0d2e-0000-4000-8000-000000000001".to_string(),
        ),
        ("x-hub-signature-256", sign_hmac_sha256(&secret, body)),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect();
    GithubPush {
        body,
        headers,
        secret,
        webhook: webhook(Markup::default()),
    }
}

impl GithubPush {
    pub fn translate(&self) -> Outcome {
        let github = DialectName::Integration("github".to_string());
        inlet_dialects::translate(
            &github,
            &TranslationRequest {
                content_type: Some("application/json"),
                body: self.body,
                headers: &self.headers,
                webhook: &self.webhook,
                signing_secret: Some(&self.secret),
                ..TranslationRequest::default()
            },
        )
    }
}

/// A message three times as long as a post may be, with markdown links
/// that the splitter must not cut.
pub struct LongMessage {
    text: String,
    max_runes: usize,
}

pub fn long_message() -> LongMessage {
    let max_runes = Limits::default().max_post_runes;
    let line = "Step done, see [the log](https://ci.example.com/runs/4711/log) — ok ✓\n";
    let repeats = 3 * max_runes / line.chars().count() + 1;
    LongMessage {
        text: line.repeat(repeats),
        max_runes,
    }
}

impl LongMessage {
    pub fn split(&self) -> Vec<&str> {
        inlet_dialects::split::split_message(&self.text, self.max_runes)
    }
}

/// The typical webhook template (20 lines, compiled once, as ingress keeps
/// it) and the 4 KiB body it is rendered over: the criterion bench's case
/// (crates/inlet-templates/benches/typical).
pub struct TypicalTemplate {
    compiled: Compiled,
    limits: inlet_templates::Limits,
    body: &'static [u8],
}

pub fn typical_template() -> TypicalTemplate {
    let limits = inlet_templates::Limits::default();
    let source = TemplateSource {
        message: include_str!("../../inlet-templates/benches/typical/message.jinja").into(),
        topic: Some(include_str!("../../inlet-templates/benches/typical/topic.jinja").into()),
        ..TemplateSource::default()
    };
    TypicalTemplate {
        compiled: inlet_templates::compile(&source, &limits)
            .expect("the typical template compiles"),
        limits,
        body: include_bytes!("../../inlet-templates/benches/typical/payload.json"),
    }
}

impl TypicalTemplate {
    /// What ingress does with each request of a templated webhook: read
    /// the body into the template's variables, then render (`None` when
    /// either fails).
    pub fn render(&self) -> Option<Rendering> {
        let context = inlet_templates::context(&RequestView {
            content_type: Some("application/json"),
            body: self.body,
            ..RequestView::default()
        })
        .ok()?;
        self.compiled.render(&context, &self.limits).ok()
    }
}

/// A webhook token as it arrives in a URL.
pub struct Token(String);

pub fn token() -> Token {
    Token("x8Kq2mZ0vN4rT6yB1cD3eF5gH7jL9pQs".to_string())
}

impl Token {
    /// What ingress does with each request's token: parse it, then hash it
    /// for the lookup.
    pub fn hash_it(&self) -> Result<TokenHash, InvalidToken> {
        WebhookToken::parse(&self.0).map(|token| token.hash())
    }
}
