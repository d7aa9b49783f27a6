//! Vendor integrations, Zulip-style (`integration/<name>`, dialects.md):
//! one module per vendor declares its events, reads the event type, checks
//! the sender's signature and formats each event as a stable thread key, a
//! display topic and a markdown body. The framework here does the rest,
//! the same for every vendor: `stream`, `topic`, `only_events` /
//! `exclude_events`, JSON-only bodies, mention neutralisation, long-text
//! splitting and the webhook props.
//!
//! Pure, like the rest of the crate: the services reach an integration
//! through the one registry of translators ([`crate::Translator`]) and act
//! on its [`crate::Outcome`].

mod airbrake;
mod alertmanager;
mod appveyor;
mod azuredevops;
mod bitbucket2;
mod bitbucket3;
mod buildbot;
mod circleci;
mod clubhouse;
mod error;
mod filter;
mod freshdesk;
mod git;
mod gitea;
mod github;
mod gitlab;
mod gocd;
mod gogs;
mod grafana;
mod harbor;
mod html;
mod intercom;
mod jira;
mod json;
mod linear;
mod netlify;
mod newrelic;
mod opsgenie;
mod pagerduty;
mod papertrail;
mod params;
mod payload;
mod pingdom;
mod pivotal;
mod raygun;
mod rundeck;
mod semaphore;
mod sentry;
mod signature;
mod slack;
mod sonarqube;
mod splunk;
mod statuspage;
mod stripe;
mod teamcity;
mod text;
mod travis;
mod updown;
mod uptimerobot;
mod vendor;
mod zabbix;
mod zapier;

pub use error::{
    IntegrationCode, IntegrationError, success_answer, unsupported_answer, unsupported_message,
};
pub use filter::{EventFilter, glob_match};
pub use params::{Headers, Params};
pub use signature::{HexSignature, HmacSha1, HmacSha256, verify_hmac};
pub use signature::{sign_hmac_sha1, sign_stripe};
pub use signature::{sign_hmac_sha256, sign_netlify_jws};

use crate::body::{JsonText, json_text_strict};
use crate::draft::{Drafted, Limits, Target, ThreadRef, Translation, TranslationRequest};
use crate::fields::Path;
use crate::notes::Dropped;
use crate::slack::{Requested, looks_like_uuid, requested_author};
use crate::translator::Outcome;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Why nothing is posted for an accepted request (all answered `200`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// `only_events` / `exclude_events` / `branches` left it out:
    /// `{"result":"success","msg":""}`.
    Filtered,
    /// Not an event the integration supports: the
    /// `UNSUPPORTED_WEBHOOK_EVENT_TYPE` answer ([`unsupported_answer`]).
    Unsupported,
    /// An event the integration knows and deliberately drops (a check run
    /// still in progress, a merge-queue push): plain success, as Zulip's
    /// "ignored" events.
    NotWanted,
}

impl IgnoreReason {
    /// Why nothing was posted, in a sentence (the `not_posted.detail` of a
    /// waiting sender's answer).
    pub fn sentence(self) -> &'static str {
        match self {
            IgnoreReason::Filtered => {
                "left out by the URL's `only_events`, `exclude_events`, `branches` or \
                 `ignore_private_repositories`"
            }
            IgnoreReason::Unsupported => "not an event this integration supports",
            IgnoreReason::NotWanted => "an event this integration deliberately does not post",
        }
    }

    /// The metric label for the ignored-events counter.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::Filtered => "filtered",
            IgnoreReason::Unsupported => "unsupported",
            IgnoreReason::NotWanted => "not_wanted",
        }
    }
}

/// One message an integration formats from an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Stable across retitles (`hello / PR #42`); the post's thread key.
    pub thread_key: String,
    /// What readers see (`hello / PR #42 Add dark mode`), in `props.topic`.
    pub topic: String,
    pub body_markdown: String,
}

/// What formatting an event gives: its messages or why none, or the
/// refusal (a payload that is not the vendor's).
pub type Formatting = Result<Formatted, IntegrationError>;

/// What a formatter makes of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Formatted {
    Messages(Vec<Message>),
    Ignore(IgnoreReason),
}

impl Formatted {
    pub fn one(thread_key: impl Into<String>, topic: impl Into<String>, body: String) -> Self {
        Formatted::Messages(vec![Message {
            thread_key: thread_key.into(),
            topic: topic.into(),
            body_markdown: body,
        }])
    }
}

/// What a text route ([`Integration::format_text`]) reads: the request's
/// headers, its body as text, and the URL's parameters.
pub struct TextRequest<'r> {
    pub headers: &'r Headers<'r>,
    pub json: &'r JsonText<'r>,
    pub params: &'r Params<'r>,
}

/// One vendor. Adding an integration is adding one module implementing
/// this, listing it in [`INTEGRATIONS`], and its fixtures.
pub trait Integration: Sync {
    /// The URL name (`github`).
    fn name(&self) -> &'static str;
    /// The vendor's name in messages (`GitHub`).
    fn display_name(&self) -> &'static str;
    /// Every event name the formatter can emit; `only_events` /
    /// `exclude_events` match against these.
    fn events(&self) -> &'static [&'static str];
    /// The event this request carries. A name not in [`Self::events`] is
    /// answered as unsupported.
    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError>;
    /// Checks the sender's signature when the webhook has a secret. The
    /// default is no signature scheme: nothing to check.
    fn verify(
        &self,
        _headers: &Headers<'_>,
        _body: &[u8],
        _secret: &[u8],
    ) -> Result<(), IntegrationError> {
        Ok(())
    }
    /// [`Self::verify`] with the request's arrival time (Unix seconds),
    /// for the schemes that sign a timestamp; what the framework calls.
    /// The default ignores the time.
    fn verify_at(
        &self,
        headers: &Headers<'_>,
        body: &[u8],
        secret: &[u8],
        _now: Option<u64>,
    ) -> Result<(), IntegrationError> {
        self.verify(headers, body, secret)
    }
    /// Other URL names it is served at (`shortcut` for `clubhouse`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// A vendor whose bodies are not all JSON (Pivotal Tracker's older
    /// XML) reads such a body into the JSON value [`Self::event_of`] and
    /// [`Self::format`] take; `None` (the default) for a JSON body, read
    /// by the framework.
    fn non_json_payload(
        &self,
        _content_type: Option<&str>,
        _body: &[u8],
    ) -> Option<Result<Value, IntegrationError>> {
        None
    }
    /// The vendor's delivery id, if it sends one.
    fn delivery_id(&self, _headers: &Headers<'_>) -> Option<String> {
        None
    }
    /// The request headers the translation reads (its event type and
    /// delivery id): the only ones carried past ingress, so never a secret
    /// or a signature, which only [`Self::verify`] reads, at ingress.
    fn headers(&self) -> &'static [&'static str] {
        &[]
    }
    /// A whole dialect reached through the integration URL (`slack`)
    /// translates the request itself, body reading included, and names its
    /// event; the framework then applies the event filter, `stream` and
    /// `topic`. `None` (the default) for vendor integrations, which go
    /// through [`Self::event_of`] and [`Self::format`].
    fn translate_request(&self, _req: &TranslationRequest<'_>) -> Option<DialectPosts> {
        None
    }
    /// Whether a body sent with a form content type that is in fact a JSON
    /// object is read as JSON, as Zulip reads these vendors' bodies
    /// whatever their content type (Grafana sends JSON as a form). A real
    /// form body (`payload=…`) is still refused.
    fn json_in_form_body(&self) -> bool {
        false
    }
    /// Whether a bare `null` body (Shortcut sends one) is answered with
    /// success and posts nothing, as Zulip answers it, rather than refused.
    fn null_body_ignored(&self) -> bool {
        false
    }
    /// Whether a form body's `payload` field holds the JSON payload, as
    /// Travis CI sends it (`payload=<JSON>`); a JSON body is read as usual.
    fn json_in_form_payload(&self) -> bool {
        false
    }
    /// Formats a declared event.
    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting;
    /// A quicker route for an integration's busiest events: the event name
    /// and its messages read straight from the body's text into typed
    /// fields ([`JsonText::typed`]), without building the JSON value that
    /// [`Self::event_of`] and [`Self::format`] take, which costs more than
    /// all the rest. `None` (the default, and the answer to anything
    /// unexpected) sends the request down that general route, which must
    /// give the same result: refusals are all its to make.
    fn format_text(&self, _request: &TextRequest<'_>) -> Option<(String, Formatted)> {
        None
    }
    /// Whether the vendor may post a JSON array (Updown's list of
    /// events): [`Self::event_of`] and [`Self::format`] then receive it
    /// as it is, where the others receive only objects.
    fn json_array_body(&self) -> bool {
        false
    }
    /// Whether `stream` and `topic` are percent-decoded a second time:
    /// Atlassian escapes the webhook URL's parameters twice (Zulip's
    /// `unquote_url_parameters`, for Jira).
    fn unquotes_url_parameters(&self) -> bool {
        false
    }
}

/// What [`Integration::translate_request`] gives: the event name and the
/// posts, or the refusal.
pub type DialectPosts = Result<(String, Vec<Translation>), IntegrationError>;

/// Every integration, in URL-name order: the one list, its names derived.
static INTEGRATIONS: &[&dyn Integration] = &[
    &airbrake::Airbrake,
    &alertmanager::Alertmanager,
    &appveyor::AppVeyor,
    &azuredevops::AzureDevOps,
    &bitbucket2::Bitbucket2,
    &bitbucket3::Bitbucket3,
    &buildbot::Buildbot,
    &circleci::CircleCi,
    &clubhouse::Clubhouse,
    &freshdesk::Freshdesk,
    &gitea::Gitea,
    &github::GitHub,
    &gitlab::GitLab,
    &gocd::GoCd,
    &gogs::Gogs,
    &grafana::Grafana,
    &harbor::Harbor,
    &intercom::Intercom,
    &jira::Jira,
    &json::Json,
    &linear::Linear,
    &netlify::Netlify,
    &newrelic::NewRelic,
    &opsgenie::Opsgenie,
    &pagerduty::PagerDuty,
    &papertrail::Papertrail,
    &pingdom::Pingdom,
    &pivotal::Pivotal,
    &raygun::Raygun,
    &rundeck::Rundeck,
    &semaphore::Semaphore,
    &sentry::Sentry,
    &slack::Slack,
    &sonarqube::SonarQube,
    &splunk::Splunk,
    &statuspage::Statuspage,
    &stripe::Stripe,
    &teamcity::TeamCity,
    &travis::Travis,
    &updown::Updown,
    &uptimerobot::UptimeRobot,
    &zabbix::Zabbix,
    &zapier::Zapier,
];

static NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| INTEGRATIONS.iter().map(|i| i.name()).collect());

/// The integration served at `/api/v1/external/{name}`, by its name or
/// an alias.
pub fn integration(name: &str) -> Option<&'static dyn Integration> {
    INTEGRATIONS
        .iter()
        .copied()
        .find(|i| i.name() == name || i.aliases().contains(&name))
}

/// The URL names of every integration.
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// The headers of `all` that `integration`'s translation reads (names
/// compared case-insensitively): what ingress keeps on the raw message.
pub(crate) fn carried_headers(
    integration: &dyn Integration,
    all: &[(String, String)],
) -> Vec<(String, String)> {
    let wanted = integration.headers();
    all.iter()
        .filter(|(name, _)| wanted.iter().any(|w| w.eq_ignore_ascii_case(name)))
        .cloned()
        .collect()
}

/// Translates one request to `integration`: the posts, or why none.
pub(crate) fn translate(
    integration: &dyn Integration,
    req: &TranslationRequest<'_>,
) -> Result<Outcome, IntegrationError> {
    let headers = Headers::new(req.headers);
    let unquoted;
    let query = if integration.unquotes_url_parameters() {
        unquoted = params::unquote_stream_and_topic(req.query);
        &unquoted[..]
    } else {
        req.query
    };
    let params = Params::new(query, req.body)?;
    let filter = EventFilter::from_query(req.query)?;
    if let Some(secret) = req.signing_secret {
        integration.verify_at(&headers, req.body, secret, req.now)?;
    }
    if let Some(result) = integration.translate_request(req) {
        let (event, posts) = result?;
        if !filter.allows(&event) {
            return Ok(ignored(event, IgnoreReason::Filtered, None));
        }
        let posts = posts
            .into_iter()
            .map(|t| storable(with_params(t, &params)))
            .collect();
        return posted(integration, &headers, event, posts, req);
    }
    let (event, formatted) = match formatted(integration, &headers, &filter, &params, req)? {
        Ok(formatted) => formatted,
        Err(skipped) => return Ok(skipped),
    };
    let messages = match formatted {
        Formatted::Messages(messages) => messages,
        Formatted::Ignore(reason) => return Ok(ignored(event, reason, None)),
    };
    let target = params.target();
    let posts = messages
        .into_iter()
        .map(|m| storable(post(m, &params, target.clone(), req)))
        .collect();
    posted(integration, &headers, event, posts, req)
}

/// The event and what the integration formats of it; `Err` when it is to
/// be skipped (unsupported, or left out by the event filter).
fn formatted(
    integration: &dyn Integration,
    headers: &Headers<'_>,
    filter: &EventFilter,
    params: &Params<'_>,
    req: &TranslationRequest<'_>,
) -> Result<Result<(String, Formatted), Outcome>, IntegrationError> {
    if let Some(payload) = integration.non_json_payload(req.content_type, req.body) {
        let payload = payload?;
        let event = integration.event_of(headers, &payload)?;
        return Ok(match screen(integration, filter, event) {
            Ok(event) => Ok((event.clone(), integration.format(&event, &payload, params)?)),
            Err(skipped) => Err(skipped),
        });
    }
    let form_payload;
    let (content_type, body) = if integration.json_in_form_body() && is_json_sent_as_form(req) {
        (Some("application/json"), req.body)
    } else if integration.json_in_form_payload() && is_form(req) && !is_json_sent_as_form(req) {
        form_payload = crate::body::form_payload(req.body)?;
        (Some("application/json"), form_payload.as_bytes())
    } else {
        (req.content_type, req.body)
    };
    let json = json_text_strict(content_type, body, req.limits.max_json_depth)?;
    if integration.null_body_ignored() && matches!(json.value(), Ok(Value::Null)) {
        return Ok(Err(ignored(
            "null".to_string(),
            IgnoreReason::NotWanted,
            None,
        )));
    }
    // Formatted before being screened: formatting is pure, so an event left
    // out costs only the time.
    let text_request = TextRequest {
        headers,
        json: &json,
        params,
    };
    if let Some((event, formatted)) = integration.format_text(&text_request) {
        return Ok(screen(integration, filter, event).map(|event| (event, formatted)));
    }
    let payload = if integration.json_array_body() {
        array_or_object(json.value()?)?
    } else {
        Value::Object(json.object()?)
    };
    let event = integration.event_of(headers, &payload)?;
    Ok(match screen(integration, filter, event) {
        Ok(event) => {
            let formatted = integration.format(&event, &payload, params)?;
            Ok((event, formatted))
        }
        Err(skipped) => Err(skipped),
    })
}

/// A body that may be an array of events (Updown) or an object.
fn array_or_object(value: Value) -> Result<Value, IntegrationError> {
    match value {
        Value::Array(_) | Value::Object(_) => Ok(value),
        _ => Err(IntegrationError::invalid(
            "body must be a JSON array of events or a JSON object",
        )),
    }
}

/// The posts of `event`, capped and checked for size, with the vendor's
/// delivery id as the idempotency key.
fn posted(
    integration: &dyn Integration,
    headers: &Headers<'_>,
    event: String,
    posts: Vec<Translation>,
    req: &TranslationRequest<'_>,
) -> Result<Outcome, IntegrationError> {
    let posts = cap_posts(posts, &req.limits, &event);
    crate::storable::check_size(&posts, req.body.len(), req.limits.max_posts_per_request)?;
    Ok(Outcome::Posts {
        event: Some(event),
        posts,
        idempotency_key: integration
            .delivery_id(headers)
            .filter(|k| !k.is_empty() && k.len() <= 255),
    })
}

/// A form content type over a body that is a JSON object (after a BOM
/// and blanks): a form body never starts with `{`.
fn is_json_sent_as_form(req: &TranslationRequest<'_>) -> bool {
    let body = req.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(req.body);
    is_form(req) && body.trim_ascii_start().starts_with(b"{")
}

/// A request sent with the form content type.
fn is_form(req: &TranslationRequest<'_>) -> bool {
    req.content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// At most `max` posts for one event (`limits.max_posts_per_request`): a
/// vendor cannot reshape its payload, so instead of refusing it the first
/// posts are kept and the last kept one is followed, in its thread, by a
/// note of how many were left out (decisions.md 44).
fn cap_posts(posts: Vec<Translation>, limits: &Limits, event: &str) -> Vec<Translation> {
    let max = limits.max_posts_per_request;
    let total = crate::storable::posts_of(&posts);
    if total <= max || max < 2 {
        return posts;
    }
    let mut room = max - 1;
    let mut kept: Vec<Translation> = Vec::new();
    for mut translation in posts {
        if room == 0 {
            break;
        }
        translation.drafts.truncate(room);
        room -= translation.drafts.len();
        kept.push(translation);
    }
    let left_out = total - (max - 1);
    if let Some(last) = kept.last_mut()
        && let Some(model) = last.drafts.last().cloned()
    {
        let mut props = model.props;
        props.remove("attachments");
        let mut dropped = Dropped::default();
        dropped.note(
            &Path::ROOT.key("posts"),
            "over limits.max_posts_per_request",
        );
        if let Some(value) = dropped.into_value() {
            props.insert("dropped".into(), value);
        }
        let note = format!(
            "… and {left_out} more posts of this `{event}` event, left out: one request \
             makes at most {max} posts."
        );
        // The note is a post too: never longer than a post may be.
        let note: String = note.chars().take(limits.max_post_runes.max(1)).collect();
        last.drafts.push(crate::draft::Draft {
            message: note,
            author: model.author,
            props,
        });
    }
    kept
}

/// The last passes of every translation (decisions.md 39, 41): unsafe links
/// neutralised, NULs (which PostgreSQL cannot store) removed.
fn storable(mut translation: Translation) -> Translation {
    crate::translator::finish(&mut translation);
    translation
}

/// `event` back when it is to be formatted; else what to answer: it is not
/// one the integration declares, or the event filter leaves it out.
fn screen(
    integration: &dyn Integration,
    filter: &EventFilter,
    event: String,
) -> Result<String, Outcome> {
    if !integration.events().contains(&event.as_str()) {
        let message = unsupported_message(integration.display_name(), &event);
        return Err(ignored(event, IgnoreReason::Unsupported, Some(message)));
    }
    if !filter.allows(&event) {
        return Err(ignored(event, IgnoreReason::Filtered, None));
    }
    Ok(event)
}

fn ignored(event: String, reason: IgnoreReason, message: Option<String>) -> Outcome {
    Outcome::Ignored {
        event,
        reason,
        message,
    }
}

/// One message as a translation: the `topic` parameter wins over the
/// integration's thread key and topic; the body is neutralised and split.
fn post(
    message: Message,
    params: &Params<'_>,
    target: Target,
    req: &TranslationRequest<'_>,
) -> Translation {
    let message = match params.topic() {
        Some(topic) => Message {
            thread_key: topic.to_string(),
            topic: topic.to_string(),
            ..message
        },
        None => message,
    };
    topic_post(message, target, req)
}

/// One message in Zulip's shape (Markdown under a topic, posted as the
/// webhook) as a translation to `target`: its thread is the topic's. How
/// every integration posts, and how the send-message API does.
pub(crate) fn topic_post(
    message: Message,
    target: Target,
    req: &TranslationRequest<'_>,
) -> Translation {
    let hook = req.webhook;
    let (key, topic) = (message.thread_key, message.topic);
    let mut props = Map::new();
    let mut dropped = Dropped::default();
    let requested = Requested {
        name: None,
        icon_emoji: None,
        icon_url: None,
        icon_url_field: &Path::ROOT,
    };
    let author = requested_author(hook, &requested, &mut props, &mut dropped);
    props.insert("topic".into(), Value::from(text::display_topic(&topic)));
    let drafted = Drafted {
        message: message.body_markdown,
        author,
        props,
        dropped,
        attachments: Vec::new(),
    };
    let thread = Some(ThreadRef::Key(text::thread_key(&key)));
    drafted.into_translation(req, target, thread, None)
}

/// A dialect's translation under the URL parameters: `topic` names its
/// thread (and `props.topic`); `stream` is the channel when the payload
/// did not pick one.
fn with_params(mut t: Translation, params: &Params<'_>) -> Translation {
    if let Some(topic) = params.topic() {
        t.thread = Some(ThreadRef::Key(text::thread_key(topic)));
        for draft in &mut t.drafts {
            draft
                .props
                .insert("topic".into(), Value::from(text::display_topic(topic)));
        }
    }
    if t.target == Target::Default {
        t.target = params.target();
    }
    t
}

/// `stream`: a channel id (a UUID) or a channel name (`#` optional).
pub(crate) fn target_of(stream: Option<&str>) -> Target {
    match stream.map(str::trim).filter(|s| !s.is_empty()) {
        None => Target::Default,
        Some(s) if looks_like_uuid(s) => Target::ChannelId(s.to_ascii_lowercase()),
        Some(s) => Target::ChannelName(s.strip_prefix('#').unwrap_or(s).to_string()),
    }
}

/// What the tests of the text routes ([`Integration::format_text`])
/// compare them with.
#[cfg(test)]
pub(crate) mod text_route_tests {
    use super::{Formatted, Integration, IntegrationError, JsonText, Params, TextRequest, Value};
    use crate::integrations::params::Headers;

    /// What the general route makes of a request: the event, then its
    /// messages.
    pub fn general_route(
        integration: &dyn Integration,
        headers: &Headers<'_>,
        json: &JsonText<'_>,
        params: &Params<'_>,
    ) -> Result<(String, Formatted), IntegrationError> {
        let payload = Value::Object(json.object()?);
        let event = integration.event_of(headers, &payload)?;
        let formatted = integration.format(&event, &payload, params)?;
        Ok((event, formatted))
    }

    /// What the general route answers, or its refusal.
    pub type GeneralAnswer = Result<(String, Formatted), IntegrationError>;

    /// Runs `integration`'s text route and its general route over every
    /// body under every query: where the text route answers, the answers
    /// must be equal; where it leaves the request to the general route
    /// (`None`), `left` checks what the general route answered. Returns how
    /// many the text route answered.
    fn compare_routes(
        integration: &dyn Integration,
        headers: &Headers<'_>,
        bodies: &[Vec<u8>],
        queries: &[&[(&str, &str)]],
        left: impl Fn(&GeneralAnswer),
    ) -> usize {
        let mut read_from_text = 0;
        for body in bodies {
            let json = crate::body::json_text_strict(Some("application/json"), body, 64).unwrap();
            for query in queries {
                let query: Vec<(String, String)> = query
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let params = Params::new(&query, body).unwrap();
                let general = general_route(integration, headers, &json, &params);
                let request = TextRequest {
                    headers,
                    json: &json,
                    params: &params,
                };
                match integration.format_text(&request) {
                    Some(found) => {
                        read_from_text += 1;
                        assert_eq!(Ok(found), general);
                    }
                    None => left(&general),
                }
            }
        }
        read_from_text
    }

    /// `integration`'s `push__*` fixtures (at least `min_fixtures`) and
    /// `extra`, sent with `event_header`, through [`compare_routes`] under
    /// every query. Returns how many the text route answered, and how many
    /// pushes there were.
    pub fn compare_push_routes(
        integration: &dyn Integration,
        min_fixtures: usize,
        extra: &str,
        event_header: (&str, &str),
        queries: &[&[(&str, &str)]],
        left: impl Fn(&GeneralAnswer),
    ) -> (usize, usize) {
        let mut bodies = push_fixtures(integration.name());
        assert!(
            bodies.len() >= min_fixtures,
            "the push fixtures are missing"
        );
        bodies.push(extra.as_bytes().to_vec());
        let header = [(event_header.0.to_string(), event_header.1.to_string())];
        let headers = Headers::new(&header);
        let answered = compare_routes(integration, &headers, &bodies, queries, left);
        (answered, bodies.len())
    }

    /// The bodies of `vendor`'s `push__*` fixtures.
    fn push_fixtures(vendor: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/integrations")
            .join(vendor);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_str().unwrap();
                name.starts_with("push__") && name.matches('.').count() == 1
            })
            .map(|path| std::fs::read(path).unwrap())
            .collect()
    }
}
