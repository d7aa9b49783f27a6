//! Channels and their members.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::ChannelKind;
use inlet_store::repo::channels;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    team_id: Uuid,
    name: String,
    display_name: Option<String>,
    #[serde(default)]
    private: bool,
}

#[derive(Deserialize)]
pub struct TeamQuery {
    team_id: Uuid,
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<State>,
    body: web::Json<NewChannel>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    let kind = if body.private {
        ChannelKind::Private
    } else {
        ChannelKind::Open
    };
    let display = body
        .display_name
        .clone()
        .unwrap_or_else(|| body.name.clone());
    let channel = channels::create(&**client, body.team_id, &body.name, &display, kind).await?;
    Ok(HttpResponse::Created().json(channel))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"channels": channels::list(&**client, query.team_id).await?})))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok().json(channels::get(&**client, *id).await?))
}

pub async fn archive(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    Ok(HttpResponse::Ok().json(channels::archive(&**client, *id).await?))
}

pub async fn add_member(
    req: HttpRequest,
    state: web::Data<State>,
    ids: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    channels::add_member(&**client, ids.0, ids.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<State>,
    ids: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    channels::remove_member(&**client, ids.0, ids.1).await?;
    Ok(HttpResponse::NoContent().finish())
}
