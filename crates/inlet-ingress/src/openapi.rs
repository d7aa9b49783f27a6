//! The OpenAPI document of ingress (`GET /openapi.json`): every door, the
//! message APIs in full. Written by hand in `openapi.json` beside this
//! crate's manifest; `scripts/api-fuzz` fuzzes the message APIs over it.

use actix_web::HttpResponse;

/// The document.
pub(crate) const DOCUMENT: &str = include_str!("../openapi.json");

pub async fn get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Every route ingress serves, as `METHOD path`: the document describes
    /// each (tested here, and each described path is served: testkit's
    /// `message_apis.rs`).
    const ROUTES: [&str; 8] = [
        "POST /hooks/{token}",
        "POST /v1/incoming/{token}",
        "POST /hooks/channels/{channel_id}/{token}",
        "POST /api/v1/external/{integration}",
        "POST /api/v1/messages",
        "GET /api/v1/server_settings",
        "POST /api/chat.postMessage",
        "GET /openapi.json",
    ];

    #[test]
    fn the_document_describes_exactly_the_routes() {
        let document: Value = serde_json::from_str(DOCUMENT).unwrap();
        let mut described: Vec<String> = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                described.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        described.sort();
        let mut routes: Vec<String> = ROUTES.iter().map(|r| r.to_string()).collect();
        routes.sort();
        assert_eq!(described, routes);
    }
}
