//! What is Zulip's in the integrations' entry point
//! (`/api/v1/external/{integration}`, [`crate::door::Door::External`]):
//! the token comes from `api_key` or the HTTP Basic password, and never
//! goes further; the vendor's headers are read for its event type,
//! delivery id and signature. Zulip's answer shapes are in
//! [`crate::answer`].

use crate::request::header;
use actix_web::{HttpRequest, web};
use base64::Engine;

/// `api_key` from the query, else the HTTP Basic password.
pub(crate) fn api_key(http: &HttpRequest) -> Option<String> {
    let from_query = web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .ok()
        .and_then(|q| {
            q.0.into_iter()
                .find(|(k, _)| k == "api_key")
                .map(|(_, v)| v)
        });
    from_query.or_else(|| {
        let value = header(http, "authorization")?;
        let encoded = value
            .strip_prefix("Basic ")
            .or_else(|| value.strip_prefix("basic "))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':')
            .map(|(_, password)| password.to_string())
    })
}

/// `Authorization: Bearer <token>`, else the `token` query parameter (how
/// Slack's Web API clients send theirs).
pub(crate) fn bearer_token(http: &HttpRequest) -> Option<String> {
    let from_header = header(http, "authorization").and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    from_header.or_else(|| {
        web::Query::<Vec<(String, String)>>::from_query(http.query_string())
            .ok()?
            .0
            .into_iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v)
    })
}

/// The query, never with `api_key` or `token` (they must not reach the
/// broker or a log).
pub(crate) fn query_without_key(http: &HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .map(|q| {
            q.0.into_iter()
                .filter(|(k, _)| k != "api_key" && k != "token")
                .collect()
        })
        .unwrap_or_default()
}

/// The headers a vendor's request may be judged by (event type, delivery
/// id, signature or token), lower-cased; never `Authorization` or cookies.
/// Read here only: what goes on the raw message is what the translator
/// reads ([`inlet_dialects::Translator::carried_headers`]).
pub(crate) fn vendor_headers(http: &HttpRequest) -> Vec<(String, String)> {
    http.headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("x-")
                || name.starts_with("sentry-")
                || name == "request-id"
                || name == "user-agent"
        })
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}
