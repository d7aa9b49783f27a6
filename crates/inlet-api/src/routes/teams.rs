//! Teams: tenants. Names of channels and users are unique inside a team.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::repo::teams;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    name: String,
    display_name: Option<String>,
}

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

pub async fn list(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"teams": teams::list(&**client).await?})))
}
