//! Dead letters: what the pipeline could not place, with the reason. An
//! operator inspects one, replays it (its bus message goes back where it
//! failed, under its own message id, so a replay can never post twice), or
//! discards it.

use super::Managing;
use crate::State;
use crate::error::ApiError;
use actix_web::{HttpResponse, web};
use inlet_bus::Hop;
use inlet_store::dead_letters::{Stage, describe, replay_target};
use inlet_store::repo::dead_letters::{self, Closing, DeadLetter, DeadLetterWithPayload};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct DeadLetterList {
    dead_letters: Vec<DeadLetter>,
}

/// A dead letter and what its message holds.
#[derive(Serialize, ToSchema)]
pub struct DeadLetterDetail {
    #[serde(flatten)]
    letter: DeadLetter,
    /// `open`, `replayed` or `discarded`.
    state: &'static str,
    replayed_at: Option<chrono::DateTime<chrono::Utc>>,
    discarded_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The message as the failing stage received it: the raw request
    /// (formatter stage) or the posts it became (delivery stage). Never a
    /// token: raw messages carry the webhook id only.
    #[schema(value_type = Object)]
    message: Value,
}

#[derive(Serialize, ToSchema)]
pub struct Replayed {
    id: Uuid,
    message_id: Uuid,
    /// The hop it was published to: `raw` (formatter) or `posts` (delivery).
    hop: &'static str,
}

/// Dead letters neither replayed nor discarded, oldest first.
#[utoipa::path(get, path = "/api/v1/dead-letters", tag = "management",
    responses((status = 200, body = DeadLetterList), (status = 401), (status = 403)), security(("bearer" = [])))]
pub async fn list(Managing(client): Managing) -> Result<HttpResponse, ApiError> {
    let letters = dead_letters::list_open(&**client, super::posts::MAX_PAGE).await?;
    Ok(HttpResponse::Ok().json(DeadLetterList {
        dead_letters: letters,
    }))
}

/// One dead letter, with its message decoded.
#[utoipa::path(get, path = "/api/v1/dead-letters/{id}", tag = "management",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DeadLetterDetail), (status = 400), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn get(
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let found = find(&client, *id).await?;
    let message = describe(&found);
    Ok(HttpResponse::Ok().json(DeadLetterDetail {
        state: found.state(),
        letter: found.letter,
        replayed_at: found.replayed_at,
        discarded_at: found.discarded_at,
        message,
    }))
}

/// Publishes the dead letter's message again where it failed and closes it.
#[utoipa::path(post, path = "/api/v1/dead-letters/{id}/replay", tag = "management",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Replayed), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "already replayed or discarded"),
        (status = 503, description = "the broker is unavailable; nothing changed")),
    security(("bearer" = [])))]
pub async fn replay(
    state: web::Data<State>,
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let found = find(&client, *id).await?;
    if !found.is_open() {
        return Err(ApiError::Conflict(
            "this dead letter was already replayed or discarded".into(),
        ));
    }
    let replay = replay_target(&found, state.settings.amqp.shards)
        .map_err(|error| ApiError::Conflict(error.to_string()))?;
    let hop = hop_of(replay.stage);
    let message_id = found.letter.message_id.to_string();
    let properties = inlet_bus::properties(Some(&message_id));
    // Marked first, so that the message failing again at once is a new
    // letter and not this one; published second; closed third: a crash
    // before the close leaves it open, and a second replay posts nothing
    // new (delivery keeps message ids).
    if !dead_letters::start_replay(&**client, found.letter.id).await? {
        return Err(ApiError::Conflict(
            "this dead letter was already replayed or discarded".into(),
        ));
    }
    state
        .publisher
        .publish(hop, replay.shard, &replay.bytes, properties)
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    dead_letters::close(&**client, found.letter.id, Closing::Replayed).await?;
    tracing::info!(dead_letter = %found.letter.id, message_id = %found.letter.message_id, "dead letter replayed");
    Ok(HttpResponse::Ok().json(Replayed {
        id: found.letter.id,
        message_id: found.letter.message_id,
        hop: hop.as_str(),
    }))
}

/// Discards a dead letter: kept for the record, no longer listed.
#[utoipa::path(delete, path = "/api/v1/dead-letters/{id}", tag = "management",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "already replayed or discarded")),
    security(("bearer" = [])))]
pub async fn discard(
    id: web::Path<Uuid>,
    Managing(client): Managing,
) -> Result<HttpResponse, ApiError> {
    let found = find(&client, *id).await?;
    if !dead_letters::close(&**client, found.letter.id, Closing::Discarded).await? {
        return Err(ApiError::Conflict(
            "this dead letter was already replayed or discarded".into(),
        ));
    }
    tracing::info!(dead_letter = %found.letter.id, "dead letter discarded");
    Ok(HttpResponse::NoContent().finish())
}

async fn find(
    client: &inlet_store::pool::Client,
    id: Uuid,
) -> Result<DeadLetterWithPayload, ApiError> {
    dead_letters::get(&***client, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such dead letter".into()))
}

/// The hop a stage consumes, where its dead letters are replayed.
fn hop_of(stage: Stage) -> Hop {
    match stage {
        Stage::Formatter => Hop::Raw,
        Stage::Delivery => Hop::Posts,
    }
}
