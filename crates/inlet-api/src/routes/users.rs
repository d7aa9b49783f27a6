//! Users of a team (webhook owners, direct-message recipients).

use super::TeamQuery;
use super::{Managing, Reading};
use crate::State;
use crate::error::ApiError;
use crate::fields;
use actix_web::{HttpResponse, web};
use inlet_store::User;
use inlet_store::repo::users;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    team_id: Uuid,
    /// 1-64 characters of a-z, 0-9, '.', '_' or '-'; not `all`, `channel`
    /// or `here` (mention keywords).
    #[schema(pattern = "^[a-z0-9._-]{1,64}$")]
    username: String,
    /// At most 64 characters; the username when absent.
    #[schema(max_length = 64)]
    display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    users: Vec<User>,
}

/// Create a user of a team.
#[utoipa::path(post, path = "/api/v1/users", tag = "management", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, description = "invalid input; `field` names the field at fault"), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<State>,
    body: web::Json<NewUser>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    fields::username(&body.username)?;
    let display = fields::display_name_or(body.display_name.as_deref(), &body.username)?;
    let user = users::create(&**client, body.team_id, &body.username, &display).await?;
    state.team_changed(user.team_id).await;
    Ok(HttpResponse::Created().json(user))
}

/// List a team's users.
#[utoipa::path(get, path = "/api/v1/users", tag = "reading", params(TeamQuery),
    responses((status = 200, body = UserList), (status = 400), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(
    query: web::Query<TeamQuery>,
    Reading(client): Reading,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserList {
        users: users::list(&**client, query.team_id).await?,
    }))
}
