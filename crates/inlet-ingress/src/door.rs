//! The entry points of ingress, one route each: where each finds the
//! webhook's token, which translator reads its body and which shape its
//! answers take. Every door leads to the one pipeline ([`crate::accept`]).

use crate::State;
use crate::accept;
use crate::access_log::Route;
use crate::answer::Shape;
use crate::integration;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use inlet_dialects::DialectName;

/// The doors' route patterns, as `crate::Ingress` registers them and the
/// access log writes them.
pub(crate) mod routes {
    pub const SLACK: &str = "/hooks/{token}";
    pub const TALKSPIRIT: &str = "/v1/incoming/{token}";
    pub const EMAKIN: &str = "/hooks/channels/{channel_id}/{token}";
    pub const EXTERNAL: &str = "/api/v1/external/{integration}";
    pub const ZULIP_SEND: &str = "/api/v1/messages";
    pub const SLACK_POST_MESSAGE: &str = "/api/chat.postMessage";
}

/// One entry point, with what its URL told.
pub(crate) enum Door {
    /// `POST /hooks/{token}`: Slack and Mattermost senders.
    Slack { token: String },
    /// `POST /v1/incoming/{token}`: talkSpirit senders.
    Talkspirit { token: String },
    /// `POST /hooks/channels/{channel_id}/{token}`: emakin senders; the
    /// path's channel must be the webhook's.
    Emakin { channel: String, token: String },
    /// `POST /api/v1/external/{integration}`: vendor integrations in
    /// Zulip's style; the token is `api_key` or the HTTP Basic password.
    External { integration: String },
    /// `POST /api/v1/messages`: Zulip's send-message API; the token is the
    /// HTTP Basic password (the API key Zulip's clients send), or `api_key`.
    ZulipSend,
    /// `POST /api/chat.postMessage`: Slack's; the token is
    /// `Authorization: Bearer`, or the `token` query parameter.
    SlackPostMessage,
}

impl Door {
    /// The translator's name, as the raw webhook carries it.
    pub fn name(&self) -> DialectName {
        match self {
            Door::Slack { .. } => DialectName::Slack,
            Door::Talkspirit { .. } => DialectName::Talkspirit,
            Door::Emakin { .. } => DialectName::Emakin,
            Door::External { integration } => DialectName::Integration(integration.clone()),
            Door::ZulipSend => DialectName::ZulipSend,
            Door::SlackPostMessage => DialectName::SlackPostMessage,
        }
    }

    /// The webhook token the request names, if it names one.
    pub fn token(&self, http: &HttpRequest) -> Option<String> {
        match self {
            Door::Slack { token } | Door::Talkspirit { token } | Door::Emakin { token, .. } => {
                Some(token.clone())
            }
            Door::External { .. } | Door::ZulipSend => integration::api_key(http),
            Door::SlackPostMessage => integration::bearer_token(http),
        }
    }

    /// The channel the URL names (emakin), to be the webhook's.
    pub fn path_channel(&self) -> Option<&str> {
        match self {
            Door::Emakin { channel, .. } => Some(channel),
            _ => None,
        }
    }

    /// Whether the answer describes the first post (the message APIs do:
    /// Slack's `ts`, Zulip's `id`).
    pub fn answers_first_post(&self) -> bool {
        matches!(self, Door::ZulipSend | Door::SlackPostMessage)
    }

    /// How the door's senders expect to be answered.
    pub fn shape(&self) -> Shape {
        match self {
            Door::Slack { .. } => Shape::SlackText,
            Door::Talkspirit { .. } | Door::Emakin { .. } => Shape::Json,
            Door::External { .. } => Shape::Zulip,
            Door::ZulipSend => Shape::ZulipSend,
            Door::SlackPostMessage => Shape::SlackApi,
        }
    }

    /// The door's route pattern.
    pub fn route(&self) -> &'static str {
        match self {
            Door::Slack { .. } => routes::SLACK,
            Door::Talkspirit { .. } => routes::TALKSPIRIT,
            Door::Emakin { .. } => routes::EMAKIN,
            Door::External { .. } => routes::EXTERNAL,
            Door::ZulipSend => routes::ZULIP_SEND,
            Door::SlackPostMessage => routes::SLACK_POST_MESSAGE,
        }
    }
}

/// Runs the pipeline for `door`, its route named for the access log.
async fn enter(state: &State, door: Door, req: &HttpRequest, body: web::Payload) -> HttpResponse {
    req.extensions_mut().insert(Route(door.route()));
    accept::run(state, door, req, body).await
}

/// `POST /hooks/{token}`: the Slack / Mattermost dialect.
pub async fn slack(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let door = Door::Slack {
        token: token.into_inner(),
    };
    enter(&state, door, &req, body).await
}

/// `POST /v1/incoming/{token}`: the talkSpirit dialect.
pub async fn talkspirit(
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let door = Door::Talkspirit {
        token: token.into_inner(),
    };
    enter(&state, door, &req, body).await
}

/// `POST /hooks/channels/{channel_id}/{token}`: the emakin dialect.
pub async fn emakin(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let (channel, token) = path.into_inner();
    enter(&state, Door::Emakin { channel, token }, &req, body).await
}

/// `POST /api/v1/external/{integration}`: a vendor integration.
pub async fn external(
    req: HttpRequest,
    name: web::Path<String>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let door = Door::External {
        integration: name.into_inner(),
    };
    enter(&state, door, &req, body).await
}

/// `POST /api/v1/messages`: Zulip's send-message API.
pub async fn zulip_send(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    enter(&state, Door::ZulipSend, &req, body).await
}

/// `POST /api/chat.postMessage`: Slack's message API.
pub async fn slack_post_message(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    enter(&state, Door::SlackPostMessage, &req, body).await
}
