//! The live stream of a channel: Server-Sent Events, one per post, `id` =
//! seq. It joins the channel's live feed first (one Redis subscription per
//! channel, shared by every stream of the process: `live_feed`), then
//! replays from PostgreSQL what follows `Last-Event-ID` (or `?after_seq=`),
//! then goes live; it drops what it already sent and fills any gap from
//! PostgreSQL, so the seam has neither a gap nor a duplicate. The first
//! event, `ready`, carries the seq the stream starts after.
//!
//! A stream that falls more than `api.stream_buffer_events` behind the
//! shared feed catches up from PostgreSQL (the channel's seq is gap-free),
//! so a slow reader loses nothing and holds nobody back. Each stream holds a
//! slot (`stream_slots`) until it ends; past the caps the answer is `429`.

use crate::State;
use crate::auth::{Access, require};
use crate::error::ApiError;
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use inlet_redis::live_feed::Subscription;
use inlet_store::Post;
use inlet_store::repo::{channels, posts};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use uuid::Uuid;

/// A post as the streams send it, built once for all of them: its seq
/// (so a stream drops what it already sent and notices a gap) and its
/// Server-Sent Event.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub seq: i64,
    pub frame: Bytes,
}

impl LiveEvent {
    /// The event of a message delivery published (`{"seq": …, "post": …}`);
    /// None for anything else.
    pub fn decode(payload: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
        let seq = value["seq"].as_i64()?;
        let frame = posted_frame(seq, &value["post"].to_string());
        Some(Self { seq, frame })
    }
}

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
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 429, body = crate::error::ErrorBody, description = "too many live streams: the token already holds `api.max_streams_per_token` of them, \
or the server `api.max_streams_total`; `error` is `too_many_streams`",
            headers(("Retry-After" = u32, description = "seconds to wait before trying again")),
            example = json!({"error": "too_many_streams", "detail": "this token has 20 live streams open, the most allowed; close one or retry later"})),
        (status = 503, description = "Redis is unavailable: live streams cannot start; retry later")),
    security(("bearer" = [])))]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<State>,
    id: web::Path<Uuid>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Access::Read)?;
    // Before anything that costs: past the caps the answer is a cheap 429.
    // The slot goes with the stream and is released when it ends.
    let slot = state
        .stream_slots
        .take(crate::auth::token_hash(&req)?)
        .map_err(ApiError::TooManyStreams)?;
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

    let topic = inlet_redis::keys::channel_topic(&state.settings.redis, &channel.id);
    let live = state
        .live_feed
        .join(topic)
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;

    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        if let Err(error) = pump(&state, channel.id, after, live, &tx).await {
            tracing::debug!(%error, "event stream ended");
        }
        // However the stream ended, its slot is free again (and its
        // subscription went back to the feed as `pump` returned).
        drop(slot);
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
    posted_frame(post.seq, &serde_json::to_string(post).unwrap_or_default())
}

/// The `posted` event of a post whose JSON is `post`.
pub(crate) fn posted_frame(seq: i64, post: &str) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: posted\ndata: {post}\n\n"))
}

/// Why a live stream ended before the service stopped.
#[derive(Debug, thiserror::Error)]
enum StreamEnd {
    #[error("listener gone")]
    ListenerGone,
    #[error("the channel's live feed ended")]
    FeedEnded,
    #[error("cannot read the posts: {0}")]
    Database(#[from] inlet_store::StoreError),
}

/// Sends what follows `last` from PostgreSQL; returns the new last seq.
async fn replay(
    state: &State,
    channel: Uuid,
    mut last: i64,
    tx: &mpsc::Sender<Bytes>,
) -> Result<i64, StreamEnd> {
    loop {
        let client = state
            .pool
            .get()
            .await
            .map_err(inlet_store::StoreError::from)?;
        let page = posts::list(&**client, channel, last, REPLAY_PAGE).await?;
        drop(client);
        for post in &page {
            tx.send(event(post))
                .await
                .map_err(|_| StreamEnd::ListenerGone)?;
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
    mut live: Subscription<LiveEvent>,
    tx: &mpsc::Sender<Bytes>,
) -> Result<(), StreamEnd> {
    // Tells the listener where the stream starts, so it can resume from
    // there after a blip even if no post arrived meanwhile.
    let ready = format!("event: ready\nid: {after}\ndata: {{\"after_seq\":{after}}}\n\n");
    tx.send(Bytes::from(ready))
        .await
        .map_err(|_| StreamEnd::ListenerGone)?;
    let mut last = replay(state, channel, after, tx).await?;
    loop {
        let received = tokio::select! {
            _ = state.shutdown.cancelled() => return Ok(()),
            // The client went away: actix dropped the response body and with
            // it the receiving end. End now, releasing the slot and the
            // subscription, rather than at the next failed send.
            _ = tx.closed() => return Err(StreamEnd::ListenerGone),
            _ = tokio::time::sleep(HEARTBEAT) => {
                tx.send(Bytes::from_static(b": heartbeat\n\n")).await.map_err(|_| StreamEnd::ListenerGone)?;
                continue;
            }
            received = live.events.recv() => received,
        };
        let event = match received {
            Ok(event) => event,
            Err(RecvError::Lagged(_)) => {
                // This stream fell behind the shared feed and missed what it
                // overwrote; PostgreSQL has all of it (seq is gap-free).
                state.metrics.stream_catch_ups.inc();
                last = replay(state, channel, last, tx).await?;
                continue;
            }
            Err(RecvError::Closed) => return Err(StreamEnd::FeedEnded),
        };
        if event.seq <= last {
            continue; // already sent (replay or an outbox re-publish)
        }
        if event.seq > last + 1 {
            last = replay(state, channel, last, tx).await?; // a gap: fill it from PostgreSQL
            continue;
        }
        tx.send(event.frame)
            .await
            .map_err(|_| StreamEnd::ListenerGone)?;
        last = event.seq;
    }
}
