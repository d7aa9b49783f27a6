//! Teams: tenants. Names of channels and users are unique inside a team.

use super::{Managing, Reading};
use crate::error::ApiError;
use crate::fields;
use actix_web::{HttpResponse, web};
use inlet_store::Team;
use inlet_store::repo::teams;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$")]
    name: String,
    /// At most 64 characters; the name when absent.
    #[schema(max_length = 64)]
    display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    teams: Vec<Team>,
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", tag = "management", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 400, description = "invalid input; `field` names the field at fault"), (status = 401), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn create(
    body: web::Json<NewTeam>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    fields::team_name(&body.name)?;
    let display = fields::display_name_or(body.display_name.as_deref(), &body.name)?;
    let team = teams::create(&**client, &body.name, &display).await?;
    Ok(HttpResponse::Created().json(team))
}

/// List teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "reading",
    responses((status = 200, body = TeamList), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(Reading(client): Reading) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TeamList {
        teams: teams::list(&**client).await?,
    }))
}
