//! Rejections decided after a message was accepted (e.g. a case already
//! reported): recorded once per message, so every accepted message ends as
//! posts, a rejection or a dead letter.

use crate::error::StoreError;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn record(
    client: &impl GenericClient,
    message_id: Uuid,
    webhook_id: Option<Uuid>,
    code: &str,
    detail: &str,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO rejections (message_id, webhook_id, code, detail) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &message_id,
                &webhook_id,
                &super::dead_letters::text_value(code),
                &super::dead_letters::text_value(detail),
            ],
        )
        .await?;
    Ok(())
}
