//! Netlify (`/api/v1/external/netlify`, an outgoing deploy webhook): the
//! event is the `X-Netlify-Event` header when sent, else read from the
//! deploy's `state` (`building`, `ready`, `error`). `X-Webhook-Signature`
//! (a JWS over the body's SHA-256, signed with the JWS secret) is verified
//! when the webhook has a secret. A deploy's start and result share the
//! thread of the site's branch.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Netlify;

/// Zulip's event names.
const EVENTS: &[&str] = &[
    "deploy_building",
    "deploy_created",
    "deploy_failed",
    "deploy_locked",
    "deploy_unlocked",
];

static VENDOR: Vendor = Vendor::new("netlify", "Netlify", EVENTS)
    .headers("X-Netlify-Event", "X-Netlify-Delivery")
    .netlify_jws("X-Webhook-Signature")
    .form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Deploy {
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    admin_url: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    state: String,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    commit_url: Option<String>,
}

impl Integration for Netlify {
    vendor_methods!(VENDOR);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let Some(state) = payload.get("state").and_then(Value::as_str) else {
            return Err(VENDOR.anomalous());
        };
        if payload.get("site_id").is_none() && payload.get("name").is_none() {
            return Err(VENDOR.anomalous());
        }
        if let Some(event) = VENDOR.event(headers) {
            return Ok(event.to_string());
        }
        Ok(match state {
            "building" => "deploy_building".to_string(),
            "ready" => "deploy_created".to_string(),
            "error" => "deploy_failed".to_string(),
            other => format!("deploy_{other}"),
        })
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let d: Deploy = parse_without_nulls(payload)?;
        let branch = d.branch.as_deref().unwrap_or("(no branch)");
        let build = match d.admin_url.as_deref().zip(d.id.as_deref()) {
            Some((admin, id)) => format!("{}/deploys/{id}", admin.trim_end_matches('/')),
            None => d.url.clone().unwrap_or_default(),
        };
        let mut body = format!("The build [{}]({build}) on branch {branch} ", d.name);
        match event {
            "deploy_failed" => {
                // Netlify's message often begins with `failed during stage …`.
                match d.error_message.as_deref().map(str::trim) {
                    Some(error) if error.starts_with("failed") => body.push_str(error),
                    Some(error) if !error.is_empty() => {
                        body.push_str(&format!("failed: {error}"));
                    }
                    _ => body.push_str("failed."),
                }
            }
            "deploy_locked" => body.push_str("is now locked."),
            "deploy_unlocked" => body.push_str("is now unlocked."),
            _ => body.push_str(&format!("is now {}.", d.state)),
        }
        if let ("deploy_created", Some(url)) = (event, d.url.as_deref()) {
            body.push_str(&format!("\nSite: {url}"));
        }
        let mut details = Vec::new();
        if let Some(context) = d.context.as_deref() {
            details.push(format!("Context `{context}`"));
        }
        if let Some(title) = d.title.as_deref().filter(|t| !t.is_empty()) {
            match d.commit_url.as_deref() {
                Some(url) => details.push(format!("commit [{title}]({url})")),
                None => details.push(format!("commit {title}")),
            }
        }
        if !details.is_empty() {
            body.push_str(&format!("\n{}", details.join(", ")));
        }
        let key = format!("{} / {branch}", d.name);
        Ok(Formatted::one(key.clone(), key, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::sign_netlify_jws;

    #[test]
    fn the_jws_is_checked_when_the_webhook_has_a_secret() {
        let body = br#"{"name":"docs","state":"ready"}"#;
        let good = sign_netlify_jws(b"jws-secret", body);
        let sent = vec![("X-Webhook-Signature".to_string(), good)];
        let verify = |headers: &[(String, String)], secret: &[u8]| {
            Netlify.verify(&Headers::new(headers), body, secret)
        };
        assert_eq!(verify(&sent, b"jws-secret"), Ok(()));
        assert!(verify(&sent, b"other").is_err());
        assert!(verify(&[], b"jws-secret").is_err());
    }
}
