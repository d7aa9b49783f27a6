//! Reading posts: a channel's posts in seq order, one post.

use crate::State;
use crate::auth::Access;
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use inlet_store::repo::{channels, posts};
use serde::Deserialize;
use uuid::Uuid;

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    after_seq: i64,
    limit: Option<i64>,
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1..={MAX_PAGE}"
        )));
    }
    let channel = channels::get(&**client, *id).await?;
    let page = posts::list(&**client, channel.id, query.after_seq.max(0), limit).await?;
    let last_seq = page.last().map(|p| p.seq).unwrap_or(query.after_seq.max(0));
    Ok(HttpResponse::Ok().json(serde_json::json!({"posts": page, "last_seq": last_seq})))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let client = super::client(&req, &state, Access::Read).await?;
    Ok(HttpResponse::Ok().json(posts::get(&**client, *id).await?))
}
