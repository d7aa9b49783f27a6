//! Webhooks: created with their token (shown once, with ready-to-paste
//! URLs), listed and read without it, changed (a template among their
//! settings, `routes::templates`), rotated, revoked.

use super::Managing;
use super::TeamQuery;
use super::templates::TemplateFields;
use crate::State;
use crate::error::ApiError;
use crate::fields;
use actix_web::{HttpResponse, web};
use inlet_core::WebhookToken;
use inlet_store::ChannelKind;
use inlet_store::Webhook;
use inlet_store::repo::webhooks::{self, NewWebhook, WebhookChanges};
use inlet_store::repo::{channels, templates, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An open or private channel; a private one must have the owner as a
    /// member (else 403 `action_prohibited`).
    channel_id: Uuid,
    owner_id: Uuid,
    /// At most 64 characters; "Incoming Webhook" when absent.
    #[schema(max_length = 64)]
    display_name: Option<String>,
    /// At most 1024 characters.
    #[serde(default)]
    #[schema(max_length = 1024)]
    description: String,
    /// The posts' username unless a payload overrides it; at most 64 characters.
    #[schema(max_length = 64)]
    username: Option<String>,
    /// An http(s) URL of at most 2048 bytes.
    #[schema(max_length = 2048)]
    icon_url: Option<String>,
    #[serde(default)]
    channel_locked: bool,
    #[serde(default = "default_true")]
    allow_username_override: bool,
    #[serde(default = "default_true")]
    allow_icon_override: bool,
    #[serde(default)]
    allow_channel_mentions: bool,
    /// "markdown" (the default) or "slack".
    #[schema(pattern = "^(markdown|slack)$")]
    markup: Option<String>,
    /// Requests per minute, when not the server's default.
    #[schema(minimum = 1)]
    rate_per_minute: Option<i32>,
    /// Verify vendor signatures with this secret (stored sealed; never
    /// shown again): 8 to 256 bytes; empty means none.
    #[schema(max_length = 256)]
    signing_secret: Option<String>,
    /// Keep request bodies in the delivery log (capped at
    /// `delivery_log.body_max_bytes`, the token cut out); off by default.
    #[serde(default)]
    keep_bodies: bool,
    /// Render what is posted to the webhook's URLs through this template
    /// instead of the door's dialect (docs/templates.md); compiled now: a
    /// syntax error is `invalid_template` with its field, line and column.
    template: Option<super::templates::TemplateFields>,
}

/// Seals a signing secret; refused when the server has no `secrets.key_file`.
fn seal(state: &State, secret: &str) -> Result<Vec<u8>, ApiError> {
    let sealer = state.secrets.as_ref().ok_or_else(|| {
        ApiError::BadRequest("signing secrets need the server's secrets.key_file".into())
    })?;
    sealer
        .seal(secret.as_bytes())
        .map_err(|error| ApiError::Internal(error.to_string()))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    webhooks: Vec<Webhook>,
}

/// Ready-to-paste URLs, one per dialect the server speaks.
#[derive(Serialize, ToSchema)]
pub struct WebhookUrls {
    /// Slack / Mattermost incoming-webhook URL.
    slack: String,
    /// talkSpirit-style URL.
    talkspirit: String,
    /// emakin channel web hook URL (the webhook's own channel).
    emakin: String,
    /// Vendor integration URLs (Zulip-style), by integration name.
    integrations: std::collections::BTreeMap<String, String>,
}

/// A webhook with its token: answered only at creation and rotation.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithToken {
    #[serde(flatten)]
    webhook: Webhook,
    token: String,
    urls: WebhookUrls,
}

fn check_markup(value: &str) -> Result<(), ApiError> {
    if value == "markdown" || value == "slack" {
        Ok(())
    } else {
        Err(ApiError::InvalidField {
            field: "markup",
            reason: "must be \"markdown\" or \"slack\"".into(),
        })
    }
}

/// The fields of a webhook checked alike on creation and on change; an
/// absent one (`None`) is not checked, an empty signing secret removes it.
struct Presentation<'a> {
    markup: Option<&'a str>,
    display_name: Option<&'a str>,
    description: Option<&'a str>,
    username: Option<&'a str>,
    icon_url: Option<&'a str>,
    signing_secret: Option<&'a str>,
}

impl Presentation<'_> {
    fn check(&self) -> Result<(), ApiError> {
        if let Some(markup) = self.markup {
            check_markup(markup)?;
        }
        if let Some(name) = self.display_name {
            fields::display_name("display_name", name)?;
        }
        if let Some(description) = self.description {
            fields::description(description)?;
        }
        if let Some(username) = self.username {
            fields::post_username(username)?;
        }
        if let Some(url) = self.icon_url {
            fields::icon_url(url)?;
        }
        if let Some(secret) = self.signing_secret.filter(|s| !s.is_empty()) {
            fields::signing_secret(secret)?;
        }
        Ok(())
    }
}

impl CreateWebhook {
    fn validate(self) -> Result<NewWebhook, ApiError> {
        let markup = self.markup.unwrap_or_else(|| "markdown".into());
        Presentation {
            markup: Some(&markup),
            display_name: self.display_name.as_deref(),
            description: Some(&self.description),
            username: self.username.as_deref(),
            icon_url: self.icon_url.as_deref(),
            signing_secret: self.signing_secret.as_deref(),
        }
        .check()?;
        if self.rate_per_minute.is_some_and(|r| r <= 0) {
            return Err(ApiError::InvalidField {
                field: "rate_per_minute",
                reason: "must be positive".into(),
            });
        }
        Ok(NewWebhook {
            channel_id: self.channel_id,
            owner_id: self.owner_id,
            display_name: self
                .display_name
                .unwrap_or_else(|| "Incoming Webhook".into()),
            description: self.description,
            username: self.username,
            icon_url: self.icon_url,
            channel_locked: self.channel_locked,
            allow_username_override: self.allow_username_override,
            allow_icon_override: self.allow_icon_override,
            allow_channel_mentions: self.allow_channel_mentions,
            markup,
            rate_per_minute: self.rate_per_minute,
            signing_secret_sealed: None,
            keep_bodies: self.keep_bodies,
        })
    }
}

/// The webhook with its token and URLs: the only time the token is shown.
fn with_token(state: &State, webhook: Webhook, token: &WebhookToken) -> WebhookWithToken {
    let base = state.settings.ingress.public_base_url.trim_end_matches('/');
    let secret = token.expose();
    let urls = WebhookUrls {
        slack: format!("{base}/hooks/{secret}"),
        talkspirit: format!("{base}/v1/incoming/{secret}"),
        emakin: format!("{base}/hooks/channels/{}/{secret}", webhook.channel_id),
        integrations: inlet_dialects::integrations::names()
            .iter()
            .map(|name| {
                (
                    name.to_string(),
                    format!("{base}/api/v1/external/{name}?api_key={secret}"),
                )
            })
            .collect(),
    };
    WebhookWithToken {
        webhook,
        token: secret.to_string(),
        urls,
    }
}

/// A fresh token signed with this installation's key (decisions.md 45).
async fn new_token(client: &inlet_store::pool::Client) -> Result<WebhookToken, ApiError> {
    let key = webhooks::token_key(&***client).await?;
    key.issue()
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))
}

/// Create a webhook; the answer holds its token and URLs (shown only now).
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "management", request_body = CreateWebhook,
    responses((status = 201, body = WebhookWithToken),
        (status = 400, description = "invalid input; `field` names the field at fault"),
        (status = 401),
        (status = 403, description = "`forbidden`: not an admin token; `action_prohibited`: the channel is private and the owner is not a member of it"),
        (status = 404, description = "no such channel, or no such owner in the channel's team")),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<State>,
    body: web::Json<CreateWebhook>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let mut body = body.into_inner();
    let secret = body.signing_secret.clone().filter(|s| !s.is_empty());
    let template = body
        .template
        .take()
        .map(|fields| super::templates::checked(&state, fields))
        .transpose()?;
    let mut new = body.validate()?;
    new.signing_secret_sealed = secret.map(|s| seal(&state, &s)).transpose()?;
    let channel = channels::get(&**client, new.channel_id).await?;
    if channel.kind == ChannelKind::Direct {
        return Err(ApiError::BadRequest(
            "a webhook's channel cannot be a direct channel".into(),
        ));
    }
    let owner = users::get(&**client, new.owner_id).await?;
    if owner.team_id != channel.team_id {
        return Err(ApiError::NotFound(
            "owner in the channel's team not found".into(),
        ));
    }
    // The rule ingress applies to every post (semantics.md "Channel
    // resolution"): refused here too, so a webhook that could never post is
    // never made. An owner removed later is ingress's to refuse.
    if channel.kind == ChannelKind::Private
        && !channels::is_member(&**client, channel.id, owner.id).await?
    {
        return Err(ApiError::Prohibited(format!(
            "the owner is not a member of the private channel {:?}; add them to it first",
            channel.name
        )));
    }
    let token = new_token(&client).await?;
    let mut webhook = webhooks::create(&**client, &new, token.hash()).await?;
    if let Some((template, _)) = template {
        webhook = templates::save(&**client, webhook.id, &template).await?;
    }
    Ok(HttpResponse::Created().json(with_token(&state, webhook, &token)))
}

/// List a team's webhooks (never their tokens).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "management", params(TeamQuery),
    responses((status = 200, body = WebhookList), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(
    query: web::Query<TeamQuery>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WebhookList {
        webhooks: webhooks::list(&**client, query.team_id).await?,
    }))
}

/// One webhook (never its token).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "management", params(("id" = Uuid, Path)),
    responses((status = 200, body = Webhook), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::get(&**client, *id).await?))
}

/// Revoke a webhook: its token stops working at once.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "management", params(("id" = Uuid, Path)),
    responses((status = 200, body = Webhook), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn revoke(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let webhook = webhooks::revoke(&**client, *id).await?;
    state.tokens_changed().await;
    state.team_changed(webhook.team_id).await;
    Ok(HttpResponse::Ok().json(webhook))
}

/// Replace a webhook's token; the old one stops working at once.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate", tag = "management", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookWithToken), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn rotate(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let token = new_token(&client).await?;
    let webhook = webhooks::rotate(&**client, *id, token.hash()).await?;
    state.tokens_changed().await;
    Ok(HttpResponse::Ok().json(with_token(&state, webhook, &token)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// At most 64 characters.
    #[schema(max_length = 64)]
    display_name: Option<String>,
    /// At most 1024 characters.
    #[schema(max_length = 1024)]
    description: Option<String>,
    /// At most 64 characters; empty clears it.
    #[schema(max_length = 64)]
    username: Option<String>,
    /// An http(s) URL of at most 2048 bytes; empty clears it.
    #[schema(max_length = 2048)]
    icon_url: Option<String>,
    channel_locked: Option<bool>,
    allow_username_override: Option<bool>,
    allow_icon_override: Option<bool>,
    allow_channel_mentions: Option<bool>,
    /// "markdown" or "slack".
    #[schema(pattern = "^(markdown|slack)$")]
    markup: Option<String>,
    /// Zero clears it (the server's default applies).
    #[schema(minimum = 0)]
    rate_per_minute: Option<i32>,
    /// false: the token answers no_service until enabled again.
    enabled: Option<bool>,
    /// A new signing secret of 8 to 256 bytes ("" removes it).
    #[schema(max_length = 256)]
    signing_secret: Option<String>,
    /// Keep request bodies in the delivery log.
    keep_bodies: Option<bool>,
    /// A new template (saved as the next version, the previous one kept
    /// for a rollback), or null to post through the door's dialect again.
    #[schema(value_type = Option<TemplateFields>)]
    template: Option<serde_json::Value>,
}

impl UpdateWebhook {
    fn validate(self) -> Result<WebhookChanges, ApiError> {
        Presentation {
            markup: self.markup.as_deref(),
            display_name: self.display_name.as_deref(),
            description: self.description.as_deref(),
            username: self.username.as_deref(),
            // An empty icon URL removes the icon.
            icon_url: self.icon_url.as_deref().filter(|u| !u.is_empty()),
            signing_secret: self.signing_secret.as_deref(),
        }
        .check()?;
        if self.rate_per_minute.is_some_and(|r| r < 0) {
            return Err(ApiError::InvalidField {
                field: "rate_per_minute",
                reason: "must not be negative".into(),
            });
        }
        Ok(WebhookChanges {
            display_name: self.display_name,
            description: self.description,
            username: self.username,
            icon_url: self.icon_url,
            channel_locked: self.channel_locked,
            allow_username_override: self.allow_username_override,
            allow_icon_override: self.allow_icon_override,
            allow_channel_mentions: self.allow_channel_mentions,
            markup: self.markup,
            rate_per_minute: self.rate_per_minute,
            enabled: self.enabled,
            signing_secret_sealed: None,
            keep_bodies: self.keep_bodies,
        })
    }
}

/// Change a webhook's settings, or enable/disable it.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "management", params(("id" = Uuid, Path)),
    request_body = UpdateWebhook,
    responses((status = 200, body = Webhook),
        (status = 400, description = "invalid input; `field` names the field at fault"),
        (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn update(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhook>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let mut body = body.into_inner();
    let secret = body.signing_secret.clone();
    let template = match body.template.take() {
        None => None,
        Some(raw) => Some(
            super::templates::read_patch(raw)?
                .map(|fields| super::templates::checked(&state, fields))
                .transpose()?,
        ),
    };
    let mut changes = body.validate()?;
    changes.signing_secret_sealed = match secret.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(secret) => Some(Some(seal(&state, secret)?)),
    };
    let mut webhook = webhooks::update(&**client, *id, &changes).await?;
    webhook = match template {
        None => webhook,
        Some(None) => templates::clear(&**client, webhook.id).await?,
        Some(Some((template, _))) => templates::save(&**client, webhook.id, &template).await?,
    };
    state.tokens_changed().await;
    state.team_changed(webhook.team_id).await;
    Ok(HttpResponse::Ok().json(webhook))
}
