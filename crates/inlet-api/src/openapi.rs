//! The OpenAPI document, generated from the handlers' annotations and the
//! types they read and write. Served at `GET /api/v1/openapi.json`.

use crate::error::ErrorBody;
use crate::routes::{
    channels, dead_letters, deliveries, events, posts, teams, templates, users, webhooks,
};
use crate::viewer;
use actix_web::HttpResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
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
        templates::preview, templates::versions, templates::roll_back,
        deliveries::list, deliveries::dry_run, deliveries::unknown_tokens,
        dead_letters::list,
        dead_letters::get,
        dead_letters::replay,
        dead_letters::discard,
        openapi_json,
        viewer::index, viewer::asset,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth, &ErrorAnswers),
    tags((name = "management", description = "Admin token required, judged before anything of the request is read; \
             the body is read within `api.max_body_bytes` (413) and `api.body_timeout_ms` (408)"),
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

/// What every operation of the API may answer besides its own: each error
/// is an [`ErrorBody`], and a management route (`routes::manage`) reads its
/// body within the API's limits, so it may answer 408 and 413 too.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error_body = || Content::new(Some(Ref::from_schema_name("ErrorBody")));
        let answer = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", error_body())
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                if is_management(operation) {
                    let responses = &mut operation.responses.responses;
                    responses.entry("408".into()).or_insert_with(|| {
                        answer("the body was not received within `api.body_timeout_ms`")
                    });
                    responses
                        .entry("413".into())
                        .or_insert_with(|| answer("the body is larger than `api.max_body_bytes`"));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && (status.starts_with('4') || status.starts_with('5'))
                        && response.content.is_empty()
                    {
                        response
                            .content
                            .insert("application/json".into(), error_body());
                    }
                }
            }
        }
    }
}

fn is_management(operation: &Operation) -> bool {
    operation
        .tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|t| t == "management"))
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

    /// The document's "management" tag (admin token, 408 and 413) is
    /// exactly the routes the route table wraps in `manage`.
    #[test]
    fn the_management_tag_marks_exactly_the_routes_that_need_an_admin_token() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let table = include_str!("routes/mod.rs");
        let mut managed = 0;
        for chunk in table.split(".route(").skip(1) {
            let Some((path, rest)) = chunk
                .trim_start()
                .strip_prefix('"')
                .and_then(|c| c.split_once('"'))
            else {
                continue;
            };
            let Some(method) = rest.split("web::").nth(1).and_then(|m| m.split('(').next()) else {
                continue;
            };
            let wrapped = rest
                .trim_start_matches([',', ' ', '\n'])
                .starts_with("manage(");
            managed += usize::from(wrapped);
            let operation = &doc["paths"][format!("/api/v1{path}")][method];
            let tagged = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == "management"));
            assert_eq!(
                wrapped, tagged,
                "{method} {path}: manage() and the tag disagree"
            );
            if wrapped {
                for status in ["408", "413"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
        assert!(managed >= 15, "found {managed} managed routes");
    }

    #[test]
    fn every_error_answer_has_the_error_body() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let error_ref = "#/components/schemas/ErrorBody";
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            response["content"]["application/json"]["schema"]["$ref"], error_ref,
                            "{method} {path} {status}"
                        );
                    }
                }
            }
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
