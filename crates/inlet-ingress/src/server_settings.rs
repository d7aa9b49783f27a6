//! `GET /api/v1/server_settings`: what Zulip's clients ask a server before
//! anything else (the Python client refuses to start without a
//! `zulip_version`). The version and feature level are those of the Zulip
//! release whose send-message API ours implements (`type` `channel` and
//! `direct`, `to` by name or id, `topic`, an empty topic allowed);
//! nothing else of Zulip's API is served, so nothing else is claimed.

use crate::request::header;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

/// The Zulip release whose send-message API is served.
pub(crate) const ZULIP_VERSION: &str = "9.0";
/// Its API feature level.
pub(crate) const ZULIP_FEATURE_LEVEL: u32 = 278;

/// Answers without a token, as Zulip does.
pub async fn get(http: HttpRequest) -> HttpResponse {
    let host = header(&http, "host").unwrap_or_default();
    let realm_url = if host.is_empty() {
        String::new()
    } else {
        format!("{}://{host}", http.connection_info().scheme())
    };
    HttpResponse::Ok().json(json!({
        "result": "success",
        "msg": "",
        "zulip_version": ZULIP_VERSION,
        "zulip_feature_level": ZULIP_FEATURE_LEVEL,
        "zulip_merge_base": ZULIP_VERSION,
        "push_notifications_enabled": false,
        "is_incompatible": false,
        "email_auth_enabled": false,
        "require_email_format_usernames": false,
        "authentication_methods": {"password": false, "dev": false},
        "external_authentication_methods": [],
        "realm_url": realm_url,
        "realm_uri": realm_url,
        "realm_name": "Inlet",
        "realm_icon": "",
        "realm_description": "Webhooks and message APIs of Inlet: send with a webhook's token as the API key.",
        "realm_web_public_access_enabled": false,
    }))
}
