//! The entry points of ingress, one route each: where each finds the
//! webhook's token, which translator reads its body and which shape its
//! answers take. Every door leads to the one pipeline ([`crate::accept`]).

use crate::State;
use crate::accept;
use crate::answer::Shape;
use crate::integration;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_dialects::DialectName;

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
}

impl Door {
    /// The translator's name, as the raw webhook carries it.
    pub fn name(&self) -> DialectName {
        match self {
            Door::Slack { .. } => DialectName::Slack,
            Door::Talkspirit { .. } => DialectName::Talkspirit,
            Door::Emakin { .. } => DialectName::Emakin,
            Door::External { integration } => DialectName::Integration(integration.clone()),
        }
    }

    /// The webhook token the request names, if it names one.
    pub fn token(&self, http: &HttpRequest) -> Option<String> {
        match self {
            Door::Slack { token } | Door::Talkspirit { token } | Door::Emakin { token, .. } => {
                Some(token.clone())
            }
            Door::External { .. } => integration::api_key(http),
        }
    }

    /// The channel the URL names (emakin), to be the webhook's.
    pub fn path_channel(&self) -> Option<&str> {
        match self {
            Door::Emakin { channel, .. } => Some(channel),
            _ => None,
        }
    }

    /// How the door's senders expect to be answered.
    pub fn shape(&self) -> Shape {
        match self {
            Door::Slack { .. } => Shape::SlackText,
            Door::Talkspirit { .. } | Door::Emakin { .. } => Shape::Json,
            Door::External { .. } => Shape::Zulip,
        }
    }
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
    accept::run(&state, door, &req, body).await
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
    accept::run(&state, door, &req, body).await
}

/// `POST /hooks/channels/{channel_id}/{token}`: the emakin dialect.
pub async fn emakin(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Payload,
    state: web::Data<State>,
) -> HttpResponse {
    let (channel, token) = path.into_inner();
    accept::run(&state, Door::Emakin { channel, token }, &req, body).await
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
    accept::run(&state, door, &req, body).await
}
