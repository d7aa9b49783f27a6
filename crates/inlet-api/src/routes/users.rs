//! Users of a team (webhook owners, direct-message recipients).

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::repo::users;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    team_id: Uuid,
    username: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
pub struct TeamQuery {
    team_id: Uuid,
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<State>,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    let display = body
        .display_name
        .clone()
        .unwrap_or_else(|| body.username.clone());
    let user = users::create(&**client, body.team_id, &body.username, &display).await?;
    Ok(HttpResponse::Created().json(user))
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"users": users::list(&**client, query.team_id).await?})))
}
