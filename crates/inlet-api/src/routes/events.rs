//! The live stream of a channel: Server-Sent Events, one per post, `id` =
//! seq. It subscribes to Redis first, then replays from PostgreSQL what
//! follows `Last-Event-ID` (or `?after_seq=`), then goes live; it drops
//! what it already sent and fills any gap from PostgreSQL, so the seam has
//! neither a gap nor a duplicate. The first event, `ready`, carries the seq
//! the stream starts after.

use crate::State;
use crate::auth::{Access, require};
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::StreamExt;
use inlet_store::Post;
use inlet_store::repo::{channels, posts};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

const HEARTBEAT: Duration = Duration::from_secs(15);
const REPLAY_PAGE: i64 = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Replay posts after this seq first (`Last-Event-ID` wins when both are given).
    after_seq: Option<i64>,
}

/// The channel's posts as Server-Sent Events (`id` = seq), replayed from
/// `Last-Event-ID` / `after_seq`, then live.
#[utoipa::path(get, path = "/api/v1/channels/{id}/events", tag = "reading",
    params(("id" = Uuid, Path), StreamQuery, ("Last-Event-ID" = Option<i64>, Header, description = "resume after this seq")),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Access::Read)?;
    let client = state.pool.get().await?;
    let channel = channels::get(&**client, *id).await?;
    drop(client);
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = last_event_id
        .or(query.after_seq)
        .unwrap_or(channel.last_seq)
        .max(0);

    let client = redis::Client::open(state.settings.redis.url.as_str())
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let topic = inlet_core::redis_link::channel_topic(&state.settings.redis, &channel.id);
    pubsub
        .subscribe(&topic)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;

    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        if let Err(error) = pump(&state, channel.id, after, pubsub, &tx).await {
            tracing::debug!(%error, "event stream ended");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

fn event(post: &Post) -> Bytes {
    sse(post.seq, &serde_json::to_string(post).unwrap_or_default())
}

fn sse(seq: i64, data: &str) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: posted\ndata: {data}\n\n"))
}

/// Sends what follows `last` from PostgreSQL; returns the new last seq.
async fn replay(
    state: &State,
    channel: Uuid,
    mut last: i64,
    tx: &mpsc::Sender<Bytes>,
) -> Result<i64, String> {
    loop {
        let client = state.pool.get().await.map_err(|e| e.to_string())?;
        let page = posts::list(&**client, channel, last, REPLAY_PAGE)
            .await
            .map_err(|e| e.to_string())?;
        drop(client);
        for post in &page {
            tx.send(event(post))
                .await
                .map_err(|_| "listener gone".to_string())?;
            last = post.seq;
        }
        if (page.len() as i64) < REPLAY_PAGE {
            return Ok(last);
        }
    }
}

async fn pump(
    state: &State,
    channel: Uuid,
    after: i64,
    mut pubsub: redis::aio::PubSub,
    tx: &mpsc::Sender<Bytes>,
) -> Result<(), String> {
    // Tells the listener where the stream starts, so it can resume from
    // there after a blip even if no post arrived meanwhile.
    let ready = format!("event: ready\nid: {after}\ndata: {{\"after_seq\":{after}}}\n\n");
    tx.send(Bytes::from(ready))
        .await
        .map_err(|_| "listener gone")?;
    let mut last = replay(state, channel, after, tx).await?;
    let mut live = pubsub.on_message();
    loop {
        let message = tokio::select! {
            _ = state.shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(HEARTBEAT) => {
                tx.send(Bytes::from_static(b": heartbeat\n\n")).await.map_err(|_| "listener gone")?;
                continue;
            }
            message = live.next() => message.ok_or("redis subscription ended")?,
        };
        let Ok(payload) = message.get_payload::<String>() else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&payload) else {
            continue;
        };
        let Some(seq) = value["seq"].as_i64() else {
            continue;
        };
        if seq <= last {
            continue; // already sent (replay or an outbox re-publish)
        }
        if seq > last + 1 {
            last = replay(state, channel, last, tx).await?; // a gap: fill it from PostgreSQL
            continue;
        }
        tx.send(sse(seq, &value["post"].to_string()))
            .await
            .map_err(|_| "listener gone")?;
        last = seq;
    }
}
