//! Teams: tenants. Names of channels and users are unique inside a team.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::Team;
use inlet_store::repo::teams;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// 1-64 characters of a-z, 0-9, '.', '_' or '-'.
    #[schema(pattern = "^[a-z0-9._-]{1,64}$")]
    name: String,
    display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    teams: Vec<Team>,
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "management", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 400), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn create(
    req: HttpRequest,
    state: web::Data<State>,
    body: web::Json<NewTeam>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    let display = body
        .display_name
        .clone()
        .unwrap_or_else(|| body.name.clone());
    let team = teams::create(&**client, &body.name, &display).await?;
    Ok(HttpResponse::Created().json(team))
}

/// List teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "reading",
    responses((status = 200, body = TeamList), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok().json(TeamList {
        teams: teams::list(&**client).await?,
    }))
}
