//! Dead letters: what the pipeline could not place, with the reason.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::repo::dead_letters;

pub async fn list(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Manage).await?;
    let letters = dead_letters::list_open(&**client, super::posts::MAX_PAGE).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"dead_letters": letters})))
}
