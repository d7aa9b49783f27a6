//! Channels and their members.

use super::TeamQuery;
use super::{Managing, Reading};
use crate::State;
use crate::error::ApiError;
use crate::fields;
use actix_web::{HttpResponse, web};
use inlet_store::repo::channels;
use inlet_store::{Channel, ChannelKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    team_id: Uuid,
    /// 1-64 characters of a-z, 0-9, '.', '_' or '-'.
    #[schema(pattern = "^[a-z0-9._-]{1,64}$")]
    name: String,
    /// At most 64 characters; the name when absent.
    #[schema(max_length = 64)]
    display_name: Option<String>,
    #[serde(default)]
    private: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    channels: Vec<Channel>,
}

/// Create a channel.
#[utoipa::path(post, path = "/api/v1/channels", tag = "management", request_body = NewChannel,
    responses((status = 201, body = Channel), (status = 400, description = "invalid input; `field` names the field at fault"), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<State>,
    body: web::Json<NewChannel>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    fields::channel_name(&body.name)?;
    let display = fields::display_name_or(body.display_name.as_deref(), &body.name)?;
    let kind = if body.private {
        ChannelKind::Private
    } else {
        ChannelKind::Open
    };
    let channel = channels::create(&**client, body.team_id, &body.name, &display, kind).await?;
    state.team_changed(channel.team_id).await;
    Ok(HttpResponse::Created().json(channel))
}

/// List a team's channels (direct channels excluded).
#[utoipa::path(get, path = "/api/v1/channels", tag = "reading", params(TeamQuery),
    responses((status = 200, body = ChannelList), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(
    query: web::Query<TeamQuery>,
    Reading(client): Reading,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ChannelList {
        channels: channels::list(&**client, query.team_id).await?,
    }))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "reading", params(("id" = Uuid, Path)),
    responses((status = 200, body = Channel), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get(id: web::Path<Uuid>, Reading(client): Reading) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(channels::get(&**client, *id).await?))
}

/// Archive a channel: webhooks targeting it get 410 channel_is_archived.
#[utoipa::path(post, path = "/api/v1/channels/{id}/archive", tag = "management", params(("id" = Uuid, Path)),
    responses((status = 200, body = Channel), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn archive(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let channel = channels::archive(&**client, *id).await?;
    state.team_changed(channel.team_id).await;
    Ok(HttpResponse::Ok().json(channel))
}

/// Add a user of the channel's team to the channel.
#[utoipa::path(put, path = "/api/v1/channels/{id}/members/{user_id}", tag = "management",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn add_member(
    state: web::Data<State>,
    ids: web::Path<(Uuid, Uuid)>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    channels::add_member(&**client, ids.0, ids.1).await?;
    state
        .team_changed(channels::get(&**client, ids.0).await?.team_id)
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a user from the channel.
#[utoipa::path(delete, path = "/api/v1/channels/{id}/members/{user_id}", tag = "management",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn remove_member(
    state: web::Data<State>,
    ids: web::Path<(Uuid, Uuid)>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    channels::remove_member(&**client, ids.0, ids.1).await?;
    if let Ok(channel) = channels::get(&**client, ids.0).await {
        state.team_changed(channel.team_id).await;
    }
    Ok(HttpResponse::NoContent().finish())
}
