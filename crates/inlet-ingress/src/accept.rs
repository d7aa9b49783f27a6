//! The one ingress pipeline, every door's ([`crate::door`]), in order:
//! translator → token → webhook (and the URL's channel; a webhook with a
//! template swaps the door's translator for it) → rate limit → body →
//! translation (a template renders here: `crate::template`) → posts charged → target channel → wait and
//! idempotency → publish with confirm (and wait for the verdict when
//! asked). Every refusal is counted by its reason; the door shapes the
//! answer ([`crate::answer`]).

use crate::State;
use crate::answer;
use crate::body::Body;
use crate::door::Door;
use crate::idempotency_key::{self, Claim};
use crate::integration::{query_without_key, vendor_headers};
use crate::outcome::{FirstPost, NotPosted, Outcome, Refused};
use crate::request::{header, now_micros, unavailable, wants_wait};
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_core::MessageId;
use inlet_dialects::{
    DialectName, EmptyDirectory, ErrorCode, IgnoreReason, Outcome as Translated, Refusal,
    Rejection, Target, ThreadRef, Translation, TranslationRequest, Translator,
};
use inlet_directory::resolve::{Destination, ResolveError, resolve};
use inlet_directory::{DialectLimits, DialectView};
use inlet_proto::v1::{Header, QueryParam, RawWebhook};
use inlet_redis::delivery_log::Request as LoggedRequest;
use inlet_redis::idempotency::Settlement;
use inlet_store::Webhook;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The posts a translation asks to publish.
struct ToPublish {
    /// The raw webhook's `dialect`: the door's, or `template`.
    dialect: DialectName,
    /// A template's rendered document: the raw webhook's body in place of
    /// the request's.
    document: Option<Vec<u8>>,
    event: Option<String>,
    posts: Vec<Translation>,
    /// The vendor's delivery id, the idempotency key when the sender sends
    /// none (decisions.md 12).
    vendor_key: Option<String>,
}

/// Runs one request through the pipeline and answers it in its door's
/// shape; counts it by the translator's metric label and status.
pub(crate) async fn run(
    state: &State,
    door: Door,
    http: &HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let started = Instant::now();
    let id = MessageId::new();
    let label = door.name().metric_label();
    let mut trace = Trace::default();
    let processed = process(state, &door, http, body, id, &mut trace).await;
    let verdict = trace.webhook.is_some().then(|| Verdict::of(&processed));
    let response = match processed {
        Ok((outcome, first)) => answer::outcome(door.shape(), outcome, id, http, first.as_ref()),
        Err(refused) => {
            if let Refused::Counted(refusal) = &refused {
                count_refusal(state, refusal, id);
            }
            answer::refused(door.shape(), &refused, id, http)
        }
    };
    if let Some(verdict) = verdict {
        let answered = (response.status().as_u16(), started.elapsed());
        trace.record(state, &door, id, verdict, answered);
    }
    let status = response.status().as_u16().to_string();
    let metrics = &state.metrics;
    metrics.requests.with_label_values(&[label, &status]).inc();
    metrics
        .duration
        .with_label_values(&[label])
        .observe(started.elapsed().as_secs_f64());
    response
}

fn count_refusal(state: &State, refusal: &Refusal, id: MessageId) {
    state
        .metrics
        .rejections
        .with_label_values(&[refusal.metric_reason()])
        .inc();
    let unavailable =
        matches!(refusal, Refusal::Dialect(r) if r.code == ErrorCode::ServiceUnavailable);
    if unavailable {
        tracing::warn!(message_id = %id, detail = %refusal.detail(), "webhook not accepted");
    } else {
        tracing::info!(message_id = %id, code = %refusal.code(), detail = %refusal.detail(), "webhook refused");
    }
}

/// One request on its way through the pipeline.
struct Request<'a> {
    door: &'a Door,
    http: &'a HttpRequest,
    id: MessageId,
    received_at_micros: i64,
}

/// How the request ended, and for the message APIs its first post.
type Processed = (Outcome, Option<FirstPost>);

async fn process(
    state: &State,
    door: &Door,
    http: &HttpRequest,
    body: web::Payload,
    id: MessageId,
    trace: &mut Trace,
) -> Result<Processed, Refused> {
    let request = Request {
        door,
        http,
        id,
        received_at_micros: now_micros(),
    };
    let name = door.name();
    let translator = Translator::find(&name).map_err(|_| Refused::NoTranslator(name))?;
    let token = request.door.token(request.http).ok_or(Refused::NoToken)?;
    let webhook = crate::token::webhook_for(state, request.http, &token).await?;
    // A webhook with a template renders every door's requests through it
    // (docs/templates.md); the door still finds the token and shapes the
    // answer.
    let translator = match webhook.template {
        Some(_) => Translator::Template,
        None => translator,
    };
    trace.admitted(state, &webhook, token);
    admit(state, &request, &webhook).await?;
    let body = read_body(state, http, body, translator.metric_label()).await?;
    let facts = Facts::read(http, translator);
    trace.read(state, &body, &facts, translator);
    let to_publish = match translate(state, translator, &webhook, &facts, &body)? {
        Ok(to_publish) => to_publish,
        Err(not_posted) => {
            trace.event = Some(not_posted.event.clone());
            return Ok((Outcome::NotPosted(not_posted), None));
        }
    };
    trace.event = to_publish.event.clone();
    let posts = inlet_dialects::storable::posts_of(&to_publish.posts);
    crate::rate_limit::charge_posts(state, &webhook, posts).await;
    // The body is held (and counted in `ingress.body_budget_bytes`) until
    // the request is answered.
    let carried = match &to_publish.document {
        Some(document) => facts.carried(translator, document),
        None => facts.carried(translator, &body),
    };
    publish_posts(state, &request, &webhook, to_publish, carried, trace).await
}

/// Lets the request of `webhook` in once the URL's channel is checked and
/// the rate limit allows it.
async fn admit(state: &State, request: &Request<'_>, webhook: &Webhook) -> Result<(), Refused> {
    if let Some(channel) = request.door.path_channel()
        && channel != webhook.channel_id.to_string()
    {
        return Err(Rejection::new(
            ErrorCode::ChannelNotFound,
            "the URL names another channel than the webhook's",
        )
        .into());
    }
    crate::rate_limit::admit(state, webhook).await?;
    Ok(())
}

/// Resolves the target channel (the ordering key), claims the
/// idempotency key and publishes the raw webhook; an event that carried
/// nothing to post is answered without publishing.
async fn publish_posts(
    state: &State,
    request: &Request<'_>,
    webhook: &Webhook,
    to_publish: ToPublish,
    carried: RawWebhook,
    trace: &mut Trace,
) -> Result<Processed, Refused> {
    let posts = &to_publish.posts;
    let Some(first) = posts.first() else {
        let not_posted = NotPosted {
            reason: "empty",
            event: to_publish.event.unwrap_or_default(),
            detail: "the event carried nothing to post".into(),
            unsupported_by: None,
        };
        return Ok((Outcome::NotPosted(not_posted), None));
    };
    let destination = resolve(&state.directory, webhook, &first.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => rejection,
            ResolveError::Unavailable(error) => unavailable(format!("directory: {error}")),
        })?;
    if let Destination::Channel(channel) = &destination {
        trace.channel_id = Some(channel.id);
    }
    // emakin promises a synchronous "already reported": case openings wait.
    let opens_case = posts
        .iter()
        .any(|t| t.case.as_ref().is_some_and(|c| c.opens.is_some()));
    let wait = wants_wait(request.http) || opens_case;
    let first_post = |message| {
        request
            .door
            .answers_first_post()
            .then(|| first_post(message, first, &destination))
    };
    let idempotency_key = idempotency_key::read(request.http)?.or(to_publish.vendor_key);
    let (message, taken_over) = match &idempotency_key {
        Some(key) => match idempotency_key::claim(state, webhook, key, request.id, wait).await? {
            Claim::Publish {
                message,
                taken_over,
            } => (message, taken_over),
            Claim::Answered(repeat) => {
                let message = match &*repeat {
                    Outcome::Repeat { first, .. } => *first,
                    _ => request.id,
                };
                return Ok((*repeat, first_post(message)));
            }
        },
        None => (request.id, false),
    };
    let raw = RawWebhook {
        message_id: message.to_string(),
        webhook_id: webhook.id.to_string(),
        team_id: webhook.team_id.to_string(),
        dialect: to_publish.dialect.to_string(),
        ordering_key: destination.ordering_key().as_str().to_string(),
        received_at_micros: request.received_at_micros,
        wait,
        idempotency_key: idempotency_key.clone().unwrap_or_default(),
        path_channel_id: request.door.path_channel().unwrap_or_default().to_string(),
        ..carried
    };
    let published = crate::publish::publish(state, &destination.ordering_key(), &raw, wait).await;
    if published.is_err()
        && let Some(key) = &idempotency_key
    {
        // Not accepted after all: the retry takes the claim over.
        let (hook, abandon) = (&raw.webhook_id, Settlement::Abandon);
        idempotency_key::settle(state, hook, key, &raw.message_id, abandon).await;
    }
    let outcome = published?;
    let outcome = if taken_over {
        repeat_of(message, outcome)
    } else {
        outcome
    };
    Ok((outcome, first_post(message)))
}

/// What a request that took over an earlier one's claim answers: the
/// earlier request's message id, as a repeat (the sender knows the
/// message by it if the first answer reached it after all).
fn repeat_of(first: MessageId, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Accepted => Outcome::Repeat {
            first,
            verdict: None,
            waited: false,
        },
        Outcome::Verdict(verdict) => Outcome::Repeat {
            first,
            verdict: Some(verdict),
            waited: true,
        },
        Outcome::Pending => Outcome::Repeat {
            first,
            verdict: None,
            waited: true,
        },
        other => other,
    }
}

/// The first post of `translation`, as the message APIs describe it.
fn first_post(
    message: MessageId,
    translation: &Translation,
    destination: &Destination,
) -> FirstPost {
    let draft = translation.drafts.first();
    FirstPost {
        message,
        channel: match (destination, &translation.target) {
            (Destination::Channel(channel), _) => channel.id.to_string(),
            (Destination::Direct { .. }, Target::DirectUser(username)) => format!("@{username}"),
            (Destination::Direct { user_id, .. }, _) => user_id.to_string(),
        },
        text: draft.map(|d| d.message.clone()).unwrap_or_default(),
        username: draft.map(|d| d.author.username.clone()).unwrap_or_default(),
        replies_to: match &translation.thread {
            Some(ThreadRef::Root(root)) => Some(root.clone()),
            _ => None,
        },
    }
}

/// The body, within `ingress.max_body_bytes` and the body timeout.
async fn read_body(
    state: &State,
    http: &HttpRequest,
    body: web::Payload,
    label: &str,
) -> Result<Body, Rejection> {
    let settings = &state.settings.ingress;
    let deadline = Duration::from_millis(settings.body_timeout_ms);
    let body = crate::body::read_limited(
        http,
        body,
        &state.body_budget,
        settings.max_body_bytes,
        deadline,
    )
    .await?;
    state
        .metrics
        .bytes
        .with_label_values(&[label])
        .observe(body.len() as f64);
    Ok(body)
}

/// What the request says besides its body.
struct Facts {
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    /// Never `api_key`.
    query: Vec<(String, String)>,
}

impl Facts {
    /// The dialects read neither headers nor query: only the requests of
    /// the translators that do pay for collecting them.
    fn read(http: &HttpRequest, translator: Translator) -> Self {
        let integration = matches!(translator, Translator::Integration(_));
        // A template sees the request's headers and query (never a secret:
        // `inlet_templates::context`); its raw webhook carries neither.
        let template = matches!(translator, Translator::Template);
        Self {
            content_type: header(http, "content-type"),
            headers: if integration || template {
                vendor_headers(http)
            } else {
                Vec::new()
            },
            query: if translator.reads_query() || template {
                query_without_key(http)
            } else {
                Vec::new()
            },
        }
    }

    /// The raw webhook's request fields: only what the translation reads,
    /// so a secret or a signature header never goes past the check that
    /// used it (decisions.md 40).
    fn carried(self, translator: Translator, body: &[u8]) -> RawWebhook {
        let headers = translator.carried_headers(&self.headers).into_iter();
        let query = translator.carried_query(&self.query).into_iter();
        RawWebhook {
            content_type: self.content_type.unwrap_or_default(),
            body: body.to_vec(),
            headers: headers
                .map(|(name, value)| Header { name, value })
                .collect(),
            query: query
                .map(|(name, value)| QueryParam { name, value })
                .collect(),
            ..RawWebhook::default()
        }
    }
}

/// The pairs whose names pass `shows`.
fn shown(pairs: &[(String, String)], shows: fn(&str) -> bool) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(name, _)| shows(name))
        .cloned()
        .collect()
}

/// The translator's verdict on the request: the posts to publish, or why
/// nothing is to be published; a refusal is counted and answered.
fn translate(
    state: &State,
    translator: Translator,
    webhook: &Webhook,
    facts: &Facts,
    body: &[u8],
) -> Result<Result<ToPublish, NotPosted>, Refused> {
    let secret = match translator.integration() {
        Some(_) => crate::token::signing_secret(state, webhook)?,
        None => None,
    };
    let templated = matches!(translator, Translator::Template);
    let view = webhook.dialect_view();
    let request = TranslationRequest {
        content_type: facts.content_type.as_deref(),
        body,
        headers: &facts.headers,
        query: &facts.query,
        webhook: &view,
        limits: state.settings.limits.dialect_limits(),
        // A syntactic check: names render in the formatter, with the team's.
        directory: &EmptyDirectory,
        signing_secret: secret.as_deref(),
        now: u64::try_from(now_micros() / 1_000_000).ok(),
    };
    if templated {
        let translated = crate::template::translate(state, webhook, &request);
        let document = translated.document.as_ref().map(|d| d.to_body());
        return next_step(state, translator, translated.outcome).map(|step| {
            step.map(|to_publish| ToPublish {
                document,
                ..to_publish
            })
        });
    }
    next_step(state, translator, translator.translate(&request))
}

/// What the pipeline does with the translator's outcome: publish its
/// posts, answer without publishing, or refuse; integrations' outcomes are
/// counted by event.
fn next_step(
    state: &State,
    translator: Translator,
    outcome: Translated,
) -> Result<Result<ToPublish, NotPosted>, Refused> {
    match outcome {
        Translated::Posts {
            event,
            posts,
            idempotency_key,
        } => {
            count_event(state, translator, event.as_deref(), "posted");
            Ok(Ok(ToPublish {
                dialect: translator.name(),
                document: None,
                event,
                posts,
                vendor_key: idempotency_key,
            }))
        }
        Translated::Ignored {
            event,
            reason,
            message,
        } => {
            count_event(state, translator, Some(&event), reason.as_str());
            let unsupported = reason == IgnoreReason::Unsupported;
            Ok(Err(NotPosted {
                reason: reason.as_str(),
                detail: message.unwrap_or_else(|| reason.sentence().to_string()),
                unsupported_by: translator
                    .integration()
                    .filter(|_| unsupported)
                    .map(|i| i.display_name()),
                event,
            }))
        }
        Translated::Refused(refusal) => {
            count_event(state, translator, Some("other"), "rejected");
            Err(Refused::Counted(refusal))
        }
    }
}

/// `inlet_integration_events_total`, for an integration's request; only
/// declared event names become label values (bounded).
fn count_event(state: &State, translator: Translator, event: Option<&str>, outcome: &str) {
    let Some(integration) = translator.integration() else {
        return;
    };
    let event = integration
        .events()
        .iter()
        .find(|e| Some(**e) == event)
        .copied()
        .unwrap_or("other");
    state
        .metrics
        .integration_events
        .with_label_values(&[integration.name(), event, outcome])
        .inc();
}

/// What the delivery log records of a request, gathered as the pipeline
/// goes; nothing is recorded before a webhook's token is found.
#[derive(Default)]
struct Trace {
    webhook: Option<Uuid>,
    /// The token, to be cut out of a kept body (only when bodies are kept).
    token: Option<String>,
    event: Option<String>,
    body_bytes: u64,
    body: Option<(String, bool)>,
    content_type: String,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    channel_id: Option<Uuid>,
}

/// What ingress made of a request, as the delivery log says it.
struct Verdict {
    outcome: &'static str,
    code: String,
    detail: String,
}

impl Verdict {
    fn of(processed: &Result<Processed, Refused>) -> Self {
        let (outcome, code, detail) = match processed {
            Ok((Outcome::Repeat { .. }, _)) => ("repeat", "", ""),
            Ok((Outcome::NotPosted(not_posted), _)) => {
                (not_posted.reason, "", not_posted.detail.as_str())
            }
            Ok(_) => ("accepted", "", ""),
            Err(Refused::Counted(refusal)) => ("rejected", refusal.code(), refusal.detail()),
            Err(_) => ("rejected", "", ""),
        };
        Self {
            outcome,
            code: code.to_string(),
            detail: detail.to_string(),
        }
    }
}

impl Trace {
    fn admitted(&mut self, state: &State, webhook: &Webhook, token: String) {
        if !state.delivery_log.enabled() {
            return;
        }
        self.webhook = Some(webhook.id);
        if webhook.keep_bodies {
            self.token = Some(token);
        }
    }

    /// The body's size; the body itself (and what its translator reads
    /// besides it) when the webhook keeps bodies.
    fn read(&mut self, state: &State, body: &[u8], facts: &Facts, translator: Translator) {
        self.body_bytes = body.len() as u64;
        if let Some(token) = &self.token {
            let max = state.settings.delivery_log.body_max_bytes;
            self.body = inlet_redis::delivery_log::kept_body(body, token, max);
            self.content_type = facts.content_type.clone().unwrap_or_default();
            if matches!(translator, Translator::Template) {
                // What the template saw, so that a dry run renders it again.
                self.headers = shown(&facts.headers, inlet_templates::shows_header);
                self.query = shown(&facts.query, inlet_templates::shows_query);
            } else {
                self.headers = translator.carried_headers(&facts.headers);
                self.query = translator.carried_query(&facts.query);
            }
        }
    }

    fn record(
        self,
        state: &State,
        door: &Door,
        id: MessageId,
        verdict: Verdict,
        answered: (u16, Duration),
    ) {
        let Some(webhook) = self.webhook else {
            return;
        };
        let (status, latency) = answered;
        let (body, body_truncated) = match self.body {
            Some((body, cut)) => (Some(body), cut),
            None => (None, false),
        };
        let request = LoggedRequest {
            request_id: id.to_string(),
            at_ms: id.unix_millis() as i64,
            translator: door.name().to_string(),
            event: self.event.unwrap_or_default(),
            status,
            outcome: verdict.outcome.to_string(),
            code: verdict.code,
            detail: verdict.detail,
            body_bytes: self.body_bytes,
            latency_us: latency.as_micros() as u64,
            channel_id: self.channel_id.map(|c| c.to_string()).unwrap_or_default(),
            content_type: self.content_type,
            body,
            body_truncated,
            headers: self.headers,
            query: self.query,
        };
        state.delivery_log.request(webhook, request);
    }
}
