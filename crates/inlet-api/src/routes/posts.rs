//! Reading posts: a channel's posts in seq order, one post.

use super::Reading;
use crate::error::ApiError;
use actix_web::{HttpResponse, web};
use inlet_store::Post;
use inlet_store::repo::{channels, posts};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Only posts with a greater seq (default 0: from the start).
    #[serde(default)]
    after_seq: i64,
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PostPage {
    posts: Vec<Post>,
    /// The seq of the last post in the page (or `after_seq`): the next page's `after_seq`.
    last_seq: i64,
}

/// A channel's posts in seq order.
#[utoipa::path(get, path = "/api/v1/channels/{id}/posts", tag = "reading", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = PostPage), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list(
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    Reading(client): Reading,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1..={MAX_PAGE}"
        )));
    }
    let channel = channels::get(&**client, *id).await?;
    let page = posts::list(&**client, channel.id, query.after_seq.max(0), limit).await?;
    let last_seq = page.last().map(|p| p.seq).unwrap_or(query.after_seq.max(0));
    Ok(HttpResponse::Ok().json(PostPage {
        posts: page,
        last_seq,
    }))
}

/// One post.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "reading", params(("id" = Uuid, Path)),
    responses((status = 200, body = Post), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get(id: web::Path<Uuid>, Reading(client): Reading) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(posts::get(&**client, *id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Thread {
    /// The root post's id (the post itself may still be pending).
    root_id: Uuid,
    /// The root (when stored) and its replies, in seq order.
    posts: Vec<Post>,
    /// The root is not stored yet (e.g. it was dead-lettered): replay it.
    root_pending: bool,
}

async fn thread_of(client: &inlet_store::pool::Client, root_id: Uuid) -> Result<Thread, ApiError> {
    let posts = posts::thread(&***client, root_id).await?;
    let root_pending = posts.first().is_none_or(|p| p.id != root_id);
    Ok(Thread {
        root_id,
        posts,
        root_pending,
    })
}

/// The thread a post belongs to: its root and the replies, in order.
#[utoipa::path(get, path = "/api/v1/posts/{id}/thread", tag = "reading", params(("id" = Uuid, Path)),
    responses((status = 200, body = Thread), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn thread(
    id: web::Path<Uuid>,
    Reading(client): Reading,
) -> Result<HttpResponse, ApiError> {
    let post = posts::get(&**client, *id).await?;
    let root_id = post.root_id.unwrap_or(post.id);
    Ok(HttpResponse::Ok().json(thread_of(&client, root_id).await?))
}

/// An emakin case: its root post and the updates, in order.
#[utoipa::path(get, path = "/api/v1/channels/{id}/cases/{case_id}", tag = "reading",
    params(("id" = Uuid, Path), ("case_id" = String, Path)),
    responses((status = 200, body = Thread), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn case(
    path: web::Path<(Uuid, String)>,
    Reading(client): Reading,
) -> Result<HttpResponse, ApiError> {
    let (channel, case_id) = path.into_inner();
    let roots =
        inlet_store::repo::claims::case_roots(&**client, channel, std::slice::from_ref(&case_id))
            .await?;
    let root_id = *roots
        .get(&case_id)
        .ok_or_else(|| ApiError::NotFound(format!("no case {case_id:?} in that channel")))?;
    Ok(HttpResponse::Ok().json(thread_of(&client, root_id).await?))
}
