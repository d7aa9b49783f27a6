//! A webhook's template (docs/templates.md): checked (compiled) before it
//! is saved, versioned, rolled back, and previewed against a sample
//! payload with exactly the code ingress runs on a real request.

use super::Managing;
use crate::State;
use crate::error::ApiError;
use actix_web::{HttpResponse, web};
use inlet_dialects::{EmptyDirectory, Outcome, ThreadRef, TranslationRequest};
use inlet_directory::{DialectLimits, DialectView};
use inlet_store::Webhook;
use inlet_store::repo::templates::{self, TemplateVersion};
use inlet_store::repo::webhooks;
use inlet_templates::{Compiled, TemplateError, TemplateSource};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// A webhook's template: each field a template string (Jinja syntax) that
/// sees `body`, `headers` and `query`. Only `message` is required.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateFields {
    /// The post's markdown. At most 16 KiB, as every field.
    message: String,
    /// The thread key: posts with the same rendered topic form one thread.
    topic: Option<String>,
    username: Option<String>,
    icon_url: Option<String>,
    /// Opens a case with the rendered id.
    case_id: Option<String>,
}

impl From<TemplateFields> for TemplateSource {
    fn from(fields: TemplateFields) -> Self {
        TemplateSource {
            message: fields.message,
            topic: fields.topic,
            username: fields.username,
            icon_url: fields.icon_url,
            case_id: fields.case_id,
        }
    }
}

/// The server's template limits (config `[limits]`).
pub(crate) fn limits(state: &State) -> inlet_templates::Limits {
    let limits = &state.settings.limits;
    inlet_templates::Limits {
        fuel: limits.template_fuel,
        time: Duration::from_millis(limits.template_time_ms),
        max_output_bytes: limits.template_max_output_bytes,
    }
}

/// Compiles `fields`: a syntax error is refused with its field, line and
/// column. Answers the template as stored.
pub(crate) fn checked(
    state: &State,
    fields: TemplateFields,
) -> Result<(serde_json::Value, Compiled), ApiError> {
    let source = TemplateSource::from(fields);
    let compiled = inlet_templates::compile(&source, &limits(state)).map_err(ApiError::Template)?;
    let stored = serde_json::to_value(&source).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((stored, compiled))
}

/// The `template` of a PATCH: absent leaves it, null removes it, an object
/// saves a new version.
pub(crate) fn read_patch(raw: serde_json::Value) -> Result<Option<TemplateFields>, ApiError> {
    if raw.is_null() {
        return Ok(None);
    }
    serde_json::from_value(raw)
        .map(Some)
        .map_err(|e| ApiError::InvalidField {
            field: "template",
            reason: e.to_string(),
        })
}

#[derive(Serialize, ToSchema)]
pub struct TemplateVersions {
    versions: Vec<TemplateVersion>,
}

/// Every saved version of a webhook's template, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/templates", tag = "management", params(("id" = Uuid, Path)),
    responses((status = 200, body = TemplateVersions), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn versions(
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    webhooks::get(&**client, *id).await?;
    let versions = templates::versions(&**client, *id).await?;
    Ok(HttpResponse::Ok().json(TemplateVersions { versions }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// The version to make active; the one before the active one when
    /// absent.
    #[schema(minimum = 1)]
    version: Option<i32>,
}

/// Make an earlier version of a webhook's template active again.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/templates/rollback", tag = "management",
    params(("id" = Uuid, Path)), request_body = Rollback,
    responses((status = 200, body = Webhook), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "no such webhook, or no such version (or none before the active one)")),
    security(("bearer" = [])))]
pub async fn roll_back(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    body: web::Json<Rollback>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let webhook = templates::roll_back(&**client, *id, body.version).await?;
    state.tokens_changed().await;
    state.team_changed(webhook.team_id).await;
    Ok(HttpResponse::Ok().json(webhook))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preview {
    /// A template to try instead of the webhook's own (not saved).
    template: Option<TemplateFields>,
    /// The sample payload: any JSON, seen by the template as `body`.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// Sample headers, seen as `headers` (secrets and signatures are
    /// left out, as on a real request).
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Sample query parameters, seen as `query`.
    #[serde(default)]
    query: BTreeMap<String, String>,
}

/// One post a preview would make.
#[derive(Serialize, ToSchema)]
pub struct PreviewPost {
    message: String,
    username: String,
    icon_url: Option<String>,
    /// The thread key (the rendered topic).
    thread_key: Option<String>,
    case_id: Option<String>,
}

/// Where and why a template failed.
#[derive(Serialize, ToSchema)]
pub struct PreviewError {
    /// `template_syntax`, `template_error`, `template_fuel_exhausted`,
    /// `template_too_deep`, `template_timeout`,
    /// `template_output_too_large`, `template_too_long`; or a
    /// translation's code (`invalid_payload`, `no_text`).
    code: String,
    /// `template.message`, …, when the error is in a template field.
    field: Option<&'static str>,
    line: Option<usize>,
    column: Option<usize>,
    detail: String,
}

/// What a request with this payload would get.
#[derive(Serialize, ToSchema)]
pub struct PreviewAnswer {
    /// `posted`, `ignored` or `refused`.
    outcome: &'static str,
    /// The posts it would make, in order (`posted`).
    posts: Vec<PreviewPost>,
    /// Why nothing would be posted (`ignored`).
    reason: Option<String>,
    /// Why the request would be refused (`refused`), answered to the
    /// sender with the HTTP status `status`.
    error: Option<PreviewError>,
    status: u16,
}

/// Render a template (the webhook's, or one given) against a sample
/// payload: the posts it would make, or the error with its position.
/// Nothing is posted or saved.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/preview", tag = "management",
    params(("id" = Uuid, Path)), request_body = Preview,
    responses((status = 200, body = PreviewAnswer, description = "the outcome, a failing template included"),
        (status = 400, description = "`invalid_template` only for a syntax error of a given template; `bad_request` when the webhook has no template and none is given"),
        (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn preview(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    body: web::Json<Preview>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let webhook = webhooks::get(&**client, *id).await?;
    let body = body.into_inner();
    let fields = match body.template {
        Some(fields) => fields,
        None => stored_fields(&webhook)?,
    };
    let compiled = match inlet_templates::compile(&fields.into(), &limits(&state)) {
        Ok(compiled) => compiled,
        Err(error) => return Ok(HttpResponse::Ok().json(failed(&error))),
    };
    let payload = body.payload.to_string();
    let headers: Vec<(String, String)> = body.headers.into_iter().collect();
    let query: Vec<(String, String)> = body.query.into_iter().collect();
    let view = webhook.dialect_view();
    let request = TranslationRequest {
        content_type: Some("application/json"),
        body: payload.as_bytes(),
        headers: &headers,
        query: &query,
        webhook: &view,
        limits: state.settings.limits.dialect_limits(),
        directory: &EmptyDirectory,
        signing_secret: None,
        now: None,
    };
    let translated = inlet_templates::translate(&compiled, &limits(&state), &request);
    if let Some(error) = &translated.error {
        return Ok(HttpResponse::Ok().json(failed(error)));
    }
    Ok(HttpResponse::Ok().json(answer(translated.outcome)))
}

/// `request` through the webhook's stored template, as ingress takes it
/// (the delivery log's dry run of a templated webhook's request).
pub(crate) fn translate_stored(
    state: &State,
    webhook: &Webhook,
    request: &TranslationRequest<'_>,
) -> Result<Outcome, ApiError> {
    let source = TemplateSource::from(stored_fields(webhook)?);
    let compiled = inlet_templates::compile(&source, &limits(state)).map_err(ApiError::Template)?;
    Ok(inlet_templates::translate(&compiled, &limits(state), request).outcome)
}

/// The webhook's stored template.
fn stored_fields(webhook: &Webhook) -> Result<TemplateFields, ApiError> {
    let stored = webhook.template.clone().ok_or_else(|| {
        ApiError::BadRequest("the webhook has no template; give one in `template`".into())
    })?;
    serde_json::from_value(stored).map_err(|e| ApiError::Internal(format!("stored template: {e}")))
}

fn failed(error: &TemplateError) -> PreviewAnswer {
    PreviewAnswer {
        outcome: "refused",
        posts: Vec::new(),
        reason: None,
        error: Some(PreviewError {
            code: error.kind.code().to_string(),
            field: Some(crate::error::template_field(error.field)),
            line: error.line,
            column: error.column,
            detail: error.detail.clone(),
        }),
        status: inlet_dialects::ErrorCode::TemplateFailed.http_status(),
    }
}

fn answer(outcome: Outcome) -> PreviewAnswer {
    let mut answer = PreviewAnswer {
        outcome: "posted",
        posts: Vec::new(),
        reason: None,
        error: None,
        status: 200,
    };
    match outcome {
        Outcome::Posts { posts, .. } => {
            for translation in posts {
                let thread_key = match &translation.thread {
                    Some(ThreadRef::Key(key)) => Some(key.clone()),
                    _ => None,
                };
                let case_id = translation.case.as_ref().and_then(|c| c.opens.clone());
                answer
                    .posts
                    .extend(translation.drafts.into_iter().map(|draft| PreviewPost {
                        message: draft.message,
                        username: draft.author.username,
                        icon_url: draft.author.icon_url,
                        thread_key: thread_key.clone(),
                        case_id: case_id.clone(),
                    }));
            }
        }
        Outcome::Ignored {
            message, reason, ..
        } => {
            answer.outcome = "ignored";
            answer.reason = Some(message.unwrap_or_else(|| reason.sentence().to_string()));
        }
        Outcome::Refused(refusal) => {
            answer.outcome = "refused";
            answer.status = refusal.http_status();
            answer.error = Some(PreviewError {
                code: refusal.code().to_string(),
                field: None,
                line: None,
                column: None,
                detail: refusal.detail().to_string(),
            });
        }
    }
    answer
}
