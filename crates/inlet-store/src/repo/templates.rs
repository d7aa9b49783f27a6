//! Webhook templates (migration 8): every saved version kept, the active
//! one copied onto the webhook's row. The template is plain JSON here; what
//! it means (and whether it compiles) is `inlet-templates`' business,
//! checked by the API before it is saved.

use crate::error::StoreError;
use crate::model::Webhook;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One saved version of a webhook's template.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateVersion {
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub template: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Whether it is the webhook's active template.
    pub active: bool,
}

/// Saves `template` as the webhook's next version and makes it active.
pub async fn save(
    client: &impl GenericClient,
    webhook_id: Uuid,
    template: &serde_json::Value,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "WITH saved AS (
             INSERT INTO webhook_templates (webhook_id, version, source)
             SELECT w.id,
                    coalesce((SELECT max(t.version) FROM webhook_templates t WHERE t.webhook_id = w.id), 0) + 1,
                    $2
             FROM webhooks w WHERE w.id = $1 AND w.revoked_at IS NULL
             RETURNING webhook_id, version, source)
         UPDATE webhooks SET template = saved.source, template_version = saved.version
         FROM saved WHERE webhooks.id = saved.webhook_id
         RETURNING {}",
        qualified_columns()
    );
    let row = client
        .query_opt(&sql, &[&webhook_id, template])
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

/// Removes the webhook's active template (its versions are kept): the
/// door's dialect applies again.
pub async fn clear(client: &impl GenericClient, webhook_id: Uuid) -> Result<Webhook, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET template = NULL, template_version = NULL
         WHERE id = $1 AND revoked_at IS NULL RETURNING {}",
        Webhook::COLUMNS
    );
    let row = client
        .query_opt(&sql, &[&webhook_id])
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
    Ok(Webhook::from_row(&row))
}

/// Every saved version of the webhook's template, newest first.
pub async fn versions(
    client: &impl GenericClient,
    webhook_id: Uuid,
) -> Result<Vec<TemplateVersion>, StoreError> {
    let rows = client
        .query(
            "SELECT t.version, t.source, t.created_at, t.version = w.template_version
             FROM webhook_templates t JOIN webhooks w ON w.id = t.webhook_id
             WHERE t.webhook_id = $1 ORDER BY t.version DESC",
            &[&webhook_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| TemplateVersion {
            version: row.get(0),
            template: row.get(1),
            created_at: row.get(2),
            active: row.get::<_, Option<bool>>(3).unwrap_or(false),
        })
        .collect())
}

/// Makes `version` active again, or, without one, the version before the
/// active one. `NotFound` when there is no such version.
pub async fn roll_back(
    client: &impl GenericClient,
    webhook_id: Uuid,
    version: Option<i32>,
) -> Result<Webhook, StoreError> {
    let sql = format!(
        "UPDATE webhooks SET template = t.source, template_version = t.version
         FROM webhook_templates t
         WHERE webhooks.id = $1 AND webhooks.revoked_at IS NULL AND t.webhook_id = webhooks.id
           AND t.version = coalesce($2, (
               SELECT max(p.version) FROM webhook_templates p
               WHERE p.webhook_id = $1 AND p.version < coalesce(webhooks.template_version, 2147483647)))
         RETURNING {}",
        qualified_columns()
    );
    let row = client
        .query_opt(&sql, &[&webhook_id, &version])
        .await?
        .ok_or(StoreError::NotFound("template version to roll back to"))?;
    Ok(Webhook::from_row(&row))
}

/// The webhook's columns, named through the `webhooks` table (the
/// statements above join another table with a `created_at`).
fn qualified_columns() -> String {
    Webhook::COLUMNS
        .split(',')
        .map(|c| format!("webhooks.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
