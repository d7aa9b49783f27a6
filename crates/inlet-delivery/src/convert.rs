//! The posts hop's messages as the store takes them: a `FormattedBatch`
//! decoded, and each `FormattedMessage` converted once into typed posts
//! ([`Incoming`]); what does not convert says why ([`Undecodable`]) and is
//! dead-lettered.

use chrono::{DateTime, Utc};
use inlet_proto::v1::{FormattedBatch, FormattedMessage, FormattedPost};
use inlet_proto::{DecodeError, Message};
use inlet_store::NewPost;
use inlet_store::repo::posts::MessagePosts;
use uuid::Uuid;

/// Why a message of the posts hop cannot be stored as it is.
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    #[error("undecodable formatted batch: {0}")]
    Batch(#[source] DecodeError),
    #[error("bad message id")]
    MessageId,
    #[error("bad {what} {raw:?}")]
    Id { what: &'static str, raw: String },
    #[error("bad props: {0}")]
    Props(#[source] serde_json::Error),
    #[error("part out of range")]
    Part,
    #[error("bad received_at")]
    ReceivedAt,
}

/// A formatted message and its posts, typed for the store.
pub struct Incoming {
    pub message: FormattedMessage,
    pub posts: MessagePosts,
}

/// The formatted messages of one delivery of the posts hop.
pub fn formatted_messages(data: &[u8]) -> Result<Vec<FormattedMessage>, Undecodable> {
    FormattedBatch::decode(data)
        .map(|batch| batch.messages)
        .map_err(Undecodable::Batch)
}

/// The posts of `message`, typed for the store.
pub fn message_posts(message: &FormattedMessage) -> Result<MessagePosts, Undecodable> {
    let message_id = Uuid::parse_str(&message.message_id).map_err(|_| Undecodable::MessageId)?;
    let posts = message
        .posts
        .iter()
        .map(to_new_post)
        .collect::<Result<Vec<_>, _>>()?;
    let idempotency = match (
        message.idempotency_key.is_empty(),
        Uuid::parse_str(&message.webhook_id),
    ) {
        (false, Ok(webhook)) => Some((webhook, message.idempotency_key.clone())),
        _ => None,
    };
    Ok(MessagePosts {
        message_id,
        posts,
        idempotency,
    })
}

fn uuid(raw: &str, what: &'static str) -> Result<Uuid, Undecodable> {
    Uuid::parse_str(raw).map_err(|_| Undecodable::Id {
        what,
        raw: raw.to_string(),
    })
}

fn optional(raw: &str) -> Option<String> {
    (!raw.is_empty()).then(|| raw.to_string())
}

fn to_new_post(post: &FormattedPost) -> Result<NewPost, Undecodable> {
    Ok(NewPost {
        id: uuid(&post.post_id, "post id")?,
        channel_id: uuid(&post.channel_id, "channel id")?,
        root_id: match post.root_id.as_str() {
            "" => None,
            root => Some(uuid(root, "root id")?),
        },
        thread_key: optional(&post.thread_key),
        case_id: optional(&post.case_id),
        message: post.message.clone(),
        username: post.username.clone(),
        icon_url: optional(&post.icon_url),
        props: serde_json::from_str(&post.props_json).map_err(Undecodable::Props)?,
        webhook_id: Uuid::parse_str(&post.webhook_id).ok(),
        dialect: post.dialect.clone(),
        message_id: uuid(&post.message_id, "message id")?,
        part: i32::try_from(post.part).map_err(|_| Undecodable::Part)?,
        received_at: DateTime::<Utc>::from_timestamp_micros(post.received_at_micros)
            .ok_or(Undecodable::ReceivedAt)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> FormattedPost {
        FormattedPost {
            post_id: Uuid::now_v7().to_string(),
            channel_id: Uuid::now_v7().to_string(),
            message_id: Uuid::now_v7().to_string(),
            props_json: "{}".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_message_converts_once_into_typed_posts() {
        let message = FormattedMessage {
            message_id: Uuid::now_v7().to_string(),
            webhook_id: Uuid::now_v7().to_string(),
            idempotency_key: "k".into(),
            posts: vec![post()],
            ..Default::default()
        };
        let converted = message_posts(&message).unwrap();
        assert_eq!(converted.posts.len(), 1);
        assert!(converted.posts[0].root_id.is_none());
        assert_eq!(converted.idempotency.unwrap().1, "k");
    }

    #[test]
    fn a_bad_id_is_named_never_nil() {
        let mut bad = post();
        bad.root_id = "nope".into();
        let message = FormattedMessage {
            message_id: Uuid::now_v7().to_string(),
            posts: vec![bad],
            ..Default::default()
        };
        let why = message_posts(&message).err().unwrap();
        assert_eq!(why.to_string(), "bad root id \"nope\"");
        let why = message_posts(&FormattedMessage::default()).err().unwrap();
        assert_eq!(why.to_string(), "bad message id");
    }
}
