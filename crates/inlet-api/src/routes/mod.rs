//! Every route of the API, in one table.

pub(crate) mod channels;
pub(crate) mod dead_letters;
pub(crate) mod events;
pub(crate) mod posts;
pub(crate) mod teams;
pub(crate) mod users;
pub(crate) mod webhooks;

use crate::State;
use crate::auth::{Access, require};
use crate::error::ApiError;
use actix_web::{HttpRequest, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The web viewer: its page and assets need no token (decision 23).
    cfg.service(web::resource("/").route(web::get().to(crate::viewer::index)));
    cfg.service(web::resource("/assets/{file}").route(web::get().to(crate::viewer::asset)));
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(crate::auth::token_first))
            .route("/openapi.json", web::get().to(crate::openapi::openapi_json))
            .route("/teams", web::post().to(teams::create))
            .route("/teams", web::get().to(teams::list))
            .route("/users", web::post().to(users::create))
            .route("/users", web::get().to(users::list))
            .route("/channels", web::post().to(channels::create))
            .route("/channels", web::get().to(channels::list))
            .route("/channels/{id}", web::get().to(channels::get))
            .route("/channels/{id}/archive", web::post().to(channels::archive))
            .route(
                "/channels/{id}/members/{user_id}",
                web::put().to(channels::add_member),
            )
            .route(
                "/channels/{id}/members/{user_id}",
                web::delete().to(channels::remove_member),
            )
            .route("/channels/{id}/posts", web::get().to(posts::list))
            .route("/channels/{id}/events", web::get().to(events::stream))
            .route("/channels/{id}/cases/{case_id}", web::get().to(posts::case))
            .route("/posts/{id}", web::get().to(posts::get))
            .route("/posts/{id}/thread", web::get().to(posts::thread))
            .route("/webhooks", web::post().to(webhooks::create))
            .route("/webhooks", web::get().to(webhooks::list))
            .route("/webhooks/{id}", web::get().to(webhooks::get))
            .route("/webhooks/{id}", web::patch().to(webhooks::update))
            .route("/webhooks/{id}", web::delete().to(webhooks::revoke))
            .route("/webhooks/{id}/rotate", web::post().to(webhooks::rotate))
            .route("/dead-letters", web::get().to(dead_letters::list))
            .route("/dead-letters/{id}", web::get().to(dead_letters::get))
            .route(
                "/dead-letters/{id}",
                web::delete().to(dead_letters::discard),
            )
            .route(
                "/dead-letters/{id}/replay",
                web::post().to(dead_letters::replay),
            ),
    );
}

/// Checks access and checks out a database connection.
pub(crate) async fn client(
    req: &HttpRequest,
    state: &State,
    access: Access,
) -> Result<inlet_store::pool::Client, ApiError> {
    require(req, state, access)?;
    Ok(state.pool.get().await?)
}
