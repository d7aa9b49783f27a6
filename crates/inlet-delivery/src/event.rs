//! The event published on Redis for every stored post, and the JSON shape of
//! a post (http-api.md): `{"type":"posted","seq":42,"post":{…}}` on
//! `{prefix}channel:{channel_id}`. Listeners deduplicate by `seq`.

use inlet_store::Post;
use serde::Serialize;

#[derive(Serialize)]
struct PostedEvent<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: i64,
    post: &'a Post,
}

pub fn posted_json(post: &Post) -> String {
    serde_json::to_string(&PostedEvent {
        kind: "posted",
        seq: post.seq,
        post,
    })
    .unwrap_or_default()
}

/// Publishes each post on its channel's topic in one pipeline; returns the
/// highest seq published per channel (the new outbox watermarks).
pub async fn publish_posts(
    redis: &inlet_redis::RedisConnection,
    settings: &inlet_core::settings::RedisSettings,
    posts: &[Post],
) -> redis::RedisResult<Vec<(uuid::Uuid, i64)>> {
    let events: Vec<(uuid::Uuid, String)> = posts
        .iter()
        .map(|post| (post.channel_id, posted_json(post)))
        .collect();
    inlet_redis::channels::publish(redis, settings, &events).await?;
    let mut marks: std::collections::BTreeMap<uuid::Uuid, i64> = std::collections::BTreeMap::new();
    for post in posts {
        let mark = marks.entry(post.channel_id).or_default();
        *mark = (*mark).max(post.seq);
    }
    Ok(marks.into_iter().collect())
}
