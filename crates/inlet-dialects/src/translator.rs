//! The one registry of translators: the three dialects, the two message
//! APIs, a webhook's rendered template and every vendor integration, found the same way (by the raw webhook's typed
//! [`DialectName`], parsed once from its wire string), called with the same
//! [`TranslationRequest`] and answering the same [`Outcome`]. Ingress
//! checks a request with it; the formatter translates it again with it.

use crate::draft::{Translation, TranslationRequest};
use crate::error::Rejection;
use crate::integrations::{self, IgnoreReason, Integration, IntegrationError};
use crate::{emakin, links, message_apis, slack, storable, talkspirit, template};
use inlet_proto::DialectName;
use std::fmt;

/// A translator: a dialect, or an integration of the registry.
#[derive(Clone, Copy)]
pub enum Translator {
    /// Slack and Mattermost incoming webhooks.
    Slack,
    /// talkSpirit-style senders: title, content, url, contact, thread_id.
    Talkspirit,
    /// emakin-style channel web hooks: text, typed attachments, cases.
    Emakin,
    /// Zulip's send-message API (`POST /api/v1/messages`).
    ZulipSend,
    /// Slack's `chat.postMessage`.
    SlackPostMessage,
    /// A webhook's template, as rendered by ingress ([`crate::template`]).
    Template,
    /// A vendor integration, Zulip-style (`integration/<name>`).
    Integration(&'static dyn Integration),
}

/// What a translator made of a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Publish these posts, in order: a dialect's one translation, an
    /// integration's one per vendor message (alertmanager may make
    /// several, each in its own thread; none at all is possible).
    Posts {
        /// An integration's event (a name from [`Integration::events`]).
        event: Option<String>,
        posts: Vec<Translation>,
        /// The vendor's delivery id (`X-GitHub-Delivery`), to be used as
        /// the `Idempotency-Key` when the request has none (decisions.md 12).
        idempotency_key: Option<String>,
    },
    /// Accepted with nothing to publish (integrations, decisions.md 18).
    Ignored {
        event: String,
        reason: IgnoreReason,
        /// For `Unsupported`: Zulip's "The '<event>' event isn't currently
        /// supported by the <Name> webhook; ignoring".
        message: Option<String>,
    },
    /// Refused: the payload cannot be posted.
    Refused(Refusal),
}

/// A refusal, in its translator's vocabulary: a dialect's codes, or an
/// integration's (Zulip's where Zulip has one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Dialect(#[from] Rejection),
    #[error(transparent)]
    Integration(#[from] IntegrationError),
}

impl Refusal {
    /// The code as senders see it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Dialect(rejection) => rejection.code.as_str(),
            Refusal::Integration(error) => error.code.as_str(),
        }
    }

    /// The metric label `reason` (always lower case), also the reason of a
    /// dead letter.
    pub fn metric_reason(&self) -> &'static str {
        match self {
            Refusal::Dialect(rejection) => rejection.code.as_str(),
            Refusal::Integration(error) => error.code.metric_reason(),
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            Refusal::Dialect(rejection) => rejection.code.http_status(),
            Refusal::Integration(error) => error.status,
        }
    }

    /// The sentence a person can act on.
    pub fn detail(&self) -> &str {
        match self {
            Refusal::Dialect(rejection) => &rejection.detail,
            Refusal::Integration(error) => &error.message,
        }
    }
}

impl Translator {
    /// The translator `name` names; an integration that is not in the
    /// registry is refused as `no_such_integration`.
    pub fn find(name: &DialectName) -> Result<Self, Refusal> {
        match name {
            DialectName::Slack => Ok(Translator::Slack),
            DialectName::Talkspirit => Ok(Translator::Talkspirit),
            DialectName::Emakin => Ok(Translator::Emakin),
            DialectName::ZulipSend => Ok(Translator::ZulipSend),
            DialectName::SlackPostMessage => Ok(Translator::SlackPostMessage),
            DialectName::Template => Ok(Translator::Template),
            DialectName::Integration(name) => integrations::integration(name)
                .map(Translator::Integration)
                .ok_or_else(|| IntegrationError::no_such_integration(name).into()),
        }
    }

    /// Its name on the bus (`slack`, `integration/github`).
    pub fn name(&self) -> DialectName {
        match self {
            Translator::Slack => DialectName::Slack,
            Translator::Talkspirit => DialectName::Talkspirit,
            Translator::Emakin => DialectName::Emakin,
            Translator::ZulipSend => DialectName::ZulipSend,
            Translator::SlackPostMessage => DialectName::SlackPostMessage,
            Translator::Template => DialectName::Template,
            Translator::Integration(integration) => {
                DialectName::Integration(integration.name().to_string())
            }
        }
    }

    /// The `dialect` metric label ([`DialectName::metric_label`]).
    pub fn metric_label(&self) -> &'static str {
        match self {
            Translator::Integration(_) => "integration",
            dialect => dialect.name().metric_label(),
        }
    }

    /// The integration, for a vendor integration.
    pub fn integration(&self) -> Option<&'static dyn Integration> {
        match self {
            Translator::Integration(integration) => Some(*integration),
            _ => None,
        }
    }

    /// The headers of `all` the translation reads (names compared
    /// case-insensitively): what ingress keeps on the raw message, so never
    /// a secret or a signature (decisions.md 40). None for the dialects.
    pub fn carried_headers(&self, all: &[(String, String)]) -> Vec<(String, String)> {
        match self {
            Translator::Integration(integration) => {
                integrations::carried_headers(*integration, all)
            }
            _ => Vec::new(),
        }
    }

    /// Whether the translation reads the query: an integration's
    /// (`stream`, `topic`, the event filters) and Zulip's send-message
    /// (its arguments may come in the query).
    pub fn reads_query(&self) -> bool {
        matches!(self, Translator::Integration(_) | Translator::ZulipSend)
    }

    /// The query parameters the translation reads: all of an
    /// integration's or of Zulip's send-message (never `api_key`, which
    /// the caller removed), none of a dialect's.
    pub fn carried_query(&self, all: &[(String, String)]) -> Vec<(String, String)> {
        if self.reads_query() {
            all.to_vec()
        } else {
            Vec::new()
        }
    }

    /// Translates one request.
    pub fn translate(&self, req: &TranslationRequest<'_>) -> Outcome {
        let translated = match self {
            Translator::Slack => slack::translate(req),
            Translator::Talkspirit => talkspirit::translate(req),
            Translator::Emakin => emakin::translate(req),
            Translator::ZulipSend => message_apis::zulip_send::translate(req),
            Translator::SlackPostMessage => message_apis::slack_post_message::translate(req),
            Translator::Template => template::translate(req),
            Translator::Integration(integration) => {
                return integrations::translate(*integration, req)
                    .unwrap_or_else(|error| Outcome::Refused(error.into()));
            }
        };
        let checked = translated.and_then(|mut translation| {
            finish(&mut translation);
            let posts = std::slice::from_ref(&translation);
            storable::check_size(posts, req.body.len(), req.limits.max_posts_per_request)?;
            Ok(translation)
        });
        match checked {
            Ok(translation) => Outcome::Posts {
                event: None,
                posts: vec![translation],
                idempotency_key: None,
            },
            Err(rejection) => Outcome::Refused(rejection.into()),
        }
    }
}

impl fmt::Debug for Translator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Translator({})", self.name())
    }
}

/// Translates one request with the translator `name` names
/// ([`Translator::find`], then [`Translator::translate`]).
pub fn translate(name: &DialectName, req: &TranslationRequest<'_>) -> Outcome {
    match Translator::find(name) {
        Ok(translator) => translator.translate(req),
        Err(refusal) => Outcome::Refused(refusal),
    }
}

/// The last passes over every translation, of a dialect or an integration:
/// unsafe links neutralised, then nothing PostgreSQL cannot store.
pub(crate) fn finish(translation: &mut Translation) {
    links::neutralise_translation(translation);
    storable::make_storable(translation);
}
