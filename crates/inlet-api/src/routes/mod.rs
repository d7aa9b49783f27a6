//! Every route of the API, in one table.

pub(crate) mod channels;
pub(crate) mod dead_letters;
pub(crate) mod deliveries;
pub(crate) mod events;
pub(crate) mod posts;
pub(crate) mod teams;
pub(crate) mod templates;
pub(crate) mod users;
pub(crate) mod webhooks;

use crate::State;
use crate::auth::{Access, require};
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, HttpRequest, Route, web};
use futures_util::TryFutureExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// `?team_id=`: the team whose rows a list shows.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    team_id: Uuid,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The web viewer: its page and assets need no token (decision 23).
    cfg.service(web::resource("/").route(web::get().to(crate::viewer::index)));
    cfg.service(web::resource("/assets/{file}").route(web::get().to(crate::viewer::asset)));
    // Every route of the scope needs an admin or read token (`token_first`);
    // the ones wrapped in `manage` need an admin token.
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(crate::auth::token_first))
            .route("/openapi.json", web::get().to(crate::openapi::openapi_json))
            .route("/teams", manage(web::post().to(teams::create)))
            .route("/teams", web::get().to(teams::list))
            .route("/users", manage(web::post().to(users::create)))
            .route("/users", web::get().to(users::list))
            .route("/channels", manage(web::post().to(channels::create)))
            .route("/channels", web::get().to(channels::list))
            .route("/channels/{id}", web::get().to(channels::get))
            .route(
                "/channels/{id}/archive",
                manage(web::post().to(channels::archive)),
            )
            .route(
                "/channels/{id}/members/{user_id}",
                manage(web::put().to(channels::add_member)),
            )
            .route(
                "/channels/{id}/members/{user_id}",
                manage(web::delete().to(channels::remove_member)),
            )
            .route("/channels/{id}/posts", web::get().to(posts::list))
            .route("/channels/{id}/events", web::get().to(events::stream))
            .route("/channels/{id}/cases/{case_id}", web::get().to(posts::case))
            .route("/posts/{id}", web::get().to(posts::get))
            .route("/posts/{id}/thread", web::get().to(posts::thread))
            .route("/webhooks", manage(web::post().to(webhooks::create)))
            .route("/webhooks", manage(web::get().to(webhooks::list)))
            .route("/webhooks/{id}", manage(web::get().to(webhooks::get)))
            .route("/webhooks/{id}", manage(web::patch().to(webhooks::update)))
            .route("/webhooks/{id}", manage(web::delete().to(webhooks::revoke)))
            .route(
                "/webhooks/{id}/rotate",
                manage(web::post().to(webhooks::rotate)),
            )
            .route(
                "/webhooks/{id}/preview",
                manage(web::post().to(templates::preview)),
            )
            .route(
                "/webhooks/{id}/templates",
                manage(web::get().to(templates::versions)),
            )
            .route(
                "/webhooks/{id}/templates/rollback",
                manage(web::post().to(templates::roll_back)),
            )
            .route(
                "/webhooks/{id}/deliveries",
                manage(web::get().to(deliveries::list)),
            )
            .route(
                "/webhooks/{id}/deliveries/{request_id}/dry-run",
                manage(web::post().to(deliveries::dry_run)),
            )
            .route(
                "/deliveries/unknown-tokens",
                manage(web::get().to(deliveries::unknown_tokens)),
            )
            .route("/dead-letters", manage(web::get().to(dead_letters::list)))
            .route(
                "/dead-letters/{id}",
                manage(web::get().to(dead_letters::get)),
            )
            .route(
                "/dead-letters/{id}",
                manage(web::delete().to(dead_letters::discard)),
            )
            .route(
                "/dead-letters/{id}/replay",
                manage(web::post().to(dead_letters::replay)),
            ),
    );
}

/// A management route: the admin token is judged before anything of the
/// request is extracted, then the body is read within the API's size limit
/// and deadline. (The handler checks the token again: a route added without
/// this wrapper is still refused to read tokens, only later.)
fn manage(route: Route) -> Route {
    // The last wrap runs first.
    route
        .wrap(from_fn(crate::body::read_within_limits))
        .wrap(from_fn(crate::auth::admin_only))
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

/// A handler's database connection, for a token that may read. Declared
/// as a handler's last argument, it is extracted after the path, query and
/// body, so bad input is judged as before the token's access.
pub(crate) struct Reading(pub(crate) inlet_store::pool::Client);

/// A handler's database connection, for an admin token (as [`Reading`]).
pub(crate) struct Managing(pub(crate) inlet_store::pool::Client);

async fn client_of(
    req: HttpRequest,
    access: Access,
) -> Result<inlet_store::pool::Client, ApiError> {
    let state = req
        .app_data::<web::Data<State>>()
        .ok_or_else(|| ApiError::Internal("no state".into()))?;
    client(&req, state, access).await
}

impl FromRequest for Reading {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(client_of(req.clone(), Access::Read).map_ok(Reading))
    }
}

impl FromRequest for Managing {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(client_of(req.clone(), Access::Manage).map_ok(Managing))
    }
}
