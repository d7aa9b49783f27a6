//! Dead letters: what the pipeline could not place, with the reason.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::repo::dead_letters::{self, DeadLetter};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DeadLetterList {
    dead_letters: Vec<DeadLetter>,
}

/// Dead letters neither replayed nor discarded, oldest first.
#[utoipa::path(get, path = "/api/v1/dead-letters", tag = "management",
    responses((status = 200, body = DeadLetterList), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    let letters = dead_letters::list_open(&**client, super::posts::MAX_PAGE).await?;
    Ok(HttpResponse::Ok().json(DeadLetterList {
        dead_letters: letters,
    }))
}
