//! The OpenAPI document, generated from the handlers' annotations and the
//! types they read and write. Served at `GET /api/v1/openapi.json`.

use crate::routes::{channels, dead_letters, events, posts, teams, users, webhooks};
use crate::viewer;
use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Inlet API", description = "Management, reading and live streams of Inlet."),
    paths(
        teams::create, teams::list,
        users::create, users::list,
        channels::create, channels::list, channels::get, channels::archive,
        channels::add_member, channels::remove_member,
        posts::list, posts::get, posts::thread, posts::case, events::stream,
        webhooks::create, webhooks::list, webhooks::get, webhooks::update, webhooks::revoke,
        webhooks::rotate,
        dead_letters::list,
        dead_letters::get,
        dead_letters::replay,
        dead_letters::discard,
        openapi_json,
        viewer::index, viewer::asset,
    ),
    modifiers(&BearerAuth),
    tags((name = "management", description = "Admin token required"),
         (name = "reading", description = "Admin or read token"),
         (name = "viewer", description = "The web viewer's page and assets: no token")),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "reading", responses((status = 200, body = Object)))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route registered in routes/mod.rs, as (method, path).
    fn registered_routes() -> Vec<(String, String)> {
        include_str!("routes/mod.rs")
            .split(".route(")
            .skip(1)
            .filter_map(|chunk| {
                let (path, rest) = chunk.trim_start().strip_prefix('"')?.split_once('"')?;
                let method = rest.split("web::").nth(1)?.split('(').next()?;
                Some((method.to_string(), format!("/api/v1{path}")))
            })
            .collect()
    }

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let routes = registered_routes();
        assert!(routes.len() >= 23, "found {routes:?}");
        for (method, path) in routes {
            assert!(
                doc["paths"][&path][&method].is_object(),
                "{method} {path} is served but missing from the OpenAPI document"
            );
        }
    }

    /// Routes outside /api/v1 (the viewer's) are registered with `web::resource`.
    #[test]
    fn every_resource_outside_the_api_scope_is_in_the_openapi_document() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths: Vec<&str> = include_str!("routes/mod.rs")
            .split("web::resource(\"")
            .skip(1)
            .filter_map(|chunk| chunk.split_once('"').map(|(path, _)| path))
            .collect();
        assert!(paths.contains(&"/"), "found {paths:?}");
        for path in paths {
            assert!(
                doc["paths"][path]["get"].is_object(),
                "GET {path} is served but missing from the OpenAPI document"
            );
        }
        for path in ["/", "/assets/{file}"] {
            assert!(
                doc["paths"][path]["get"]["security"].is_null(),
                "the viewer's GET {path} needs no token"
            );
        }
    }

    #[test]
    fn the_stream_documents_its_429_with_retry_after_and_the_error_body() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let refused = &doc["paths"]["/api/v1/channels/{id}/events"]["get"]["responses"]["429"];
        assert!(
            refused["headers"]["Retry-After"].is_object(),
            "no Retry-After: {refused}"
        );
        let content = &refused["content"]["application/json"];
        assert_eq!(content["example"]["error"], "too_many_streams", "{refused}");
        assert_eq!(
            content["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{refused}"
        );
        let body = &doc["components"]["schemas"]["ErrorBody"];
        assert_eq!(body["required"], serde_json::json!(["error", "detail"]));
    }

    #[test]
    fn the_document_declares_bearer_auth() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
