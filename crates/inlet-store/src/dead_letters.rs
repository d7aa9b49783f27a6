//! What a dead letter is, whichever stage gave up on its message: the
//! [`Stage`], building a letter from a raw webhook (formatter) or from a
//! formatted message (delivery), what an operator is shown of its message
//! ([`describe`]), and where a replay puts it back ([`replay_target`]).
//! The rows themselves are `repo::dead_letters`.

use crate::repo::dead_letters::{DeadLetterWithPayload, NewDeadLetter};
use inlet_proto::Message;
use inlet_proto::v1::{FormattedBatch, FormattedMessage, RawWebhook};
use serde_json::{Value, json};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The stage that gave up on a message, and so the hop a replay goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// A raw webhook (`RawWebhook`), consumed from the raw hop.
    Formatter,
    /// A formatted message (`FormattedMessage`), consumed from the posts hop.
    Delivery,
}

impl Stage {
    /// The name stored in `dead_letters.stage` and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Formatter => "formatter",
            Stage::Delivery => "delivery",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stage name Inlet does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown stage {0:?}")]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "formatter" => Ok(Stage::Formatter),
            "delivery" => Ok(Stage::Delivery),
            other => Err(UnknownStage(other.to_string())),
        }
    }
}

/// The id a letter is kept under: the message's own, or, when the message
/// carries none that parses, a new one (never the nil id: two undecodable
/// messages must not become one letter).
pub fn message_id_or_new(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap_or_else(|_| Uuid::now_v7())
}

impl<'a> NewDeadLetter<'a> {
    /// A raw webhook the formatter gives up on; `payload` is its encoding
    /// (what a replay publishes again).
    pub fn from_raw(
        raw: &'a RawWebhook,
        payload: &'a [u8],
        reason: &'a str,
        detail: &'a str,
    ) -> Self {
        Self {
            message_id: message_id_or_new(&raw.message_id),
            stage: Stage::Formatter,
            reason,
            detail,
            dialect: (!raw.dialect.is_empty()).then_some(raw.dialect.as_str()),
            webhook_id: Uuid::parse_str(&raw.webhook_id).ok(),
            payload,
        }
    }

    /// A formatted message delivery gives up on; `payload` is its encoding.
    pub fn from_formatted(
        message: &'a FormattedMessage,
        payload: &'a [u8],
        reason: &'a str,
        detail: &'a str,
    ) -> Self {
        let first = message.posts.first();
        Self {
            message_id: message_id_or_new(&message.message_id),
            stage: Stage::Delivery,
            reason,
            detail,
            dialect: first.map(|p| p.dialect.as_str()),
            webhook_id: first.and_then(|p| Uuid::parse_str(&p.webhook_id).ok()),
            payload,
        }
    }

    /// Bytes that do not decode, kept as they are for `stage`.
    pub fn opaque(
        stage: Stage,
        message_id: Uuid,
        payload: &'a [u8],
        reason: &'a str,
        detail: &'a str,
    ) -> Self {
        Self {
            message_id,
            stage,
            reason,
            detail,
            dialect: None,
            webhook_id: None,
            payload,
        }
    }
}

/// A readable view of a dead letter's message (the API's `message`).
pub fn describe(found: &DeadLetterWithPayload) -> Value {
    let undecodable = |error: inlet_proto::DecodeError| json!({"undecodable": error.to_string(), "bytes": found.payload.len()});
    match found.letter.stage.parse() {
        Ok(Stage::Formatter) => RawWebhook::decode(found.payload.as_slice())
            .map_or_else(undecodable, |raw| describe_raw(&raw)),
        Ok(Stage::Delivery) => FormattedMessage::decode(found.payload.as_slice())
            .map_or_else(undecodable, |message| describe_formatted(&message)),
        Err(_) => json!({"bytes": found.payload.len()}),
    }
}

/// The raw request, never a token: raw messages carry the webhook id only.
fn describe_raw(raw: &RawWebhook) -> Value {
    json!({
        "dialect": raw.dialect,
        "webhook_id": raw.webhook_id,
        "ordering_key": raw.ordering_key,
        "received_at_micros": raw.received_at_micros,
        "content_type": raw.content_type,
        "headers": raw.headers.iter().map(|h| json!([h.name, h.value])).collect::<Vec<_>>(),
        "query": raw.query.iter().map(|q| json!([q.name, q.value])).collect::<Vec<_>>(),
        "body": String::from_utf8_lossy(&raw.body),
    })
}

fn describe_formatted(message: &FormattedMessage) -> Value {
    json!({
        "ordering_key": message.ordering_key,
        "posts": message.posts.iter().map(|p| json!({
            "post_id": p.post_id,
            "channel_id": p.channel_id,
            "root_id": p.root_id,
            "message": p.message,
        })).collect::<Vec<_>>(),
    })
}

/// Where a replay puts a dead letter's message back: the stage (hence the
/// hop) that failed, the shard, and the bytes to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    pub stage: Stage,
    pub shard: u16,
    pub bytes: Vec<u8>,
}

/// Why a dead letter cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum NotReplayable {
    #[error("this dead letter's message cannot be decoded: {0}")]
    Undecodable(#[source] inlet_proto::DecodeError),
    #[error("dead letters of stage {0:?} cannot be replayed")]
    UnknownStage(String),
}

/// The message of `found` as its stage consumes it, on its shard of `shards`.
pub fn replay_target(found: &DeadLetterWithPayload, shards: u16) -> Result<Replay, NotReplayable> {
    match found.letter.stage.parse() {
        Ok(Stage::Formatter) => {
            // Undecodable bytes go back as they are (shard 0): the formatter
            // dead-letters them again, which is what an operator expects.
            let shard = RawWebhook::decode(found.payload.as_slice())
                .map(|raw| inlet_core::shard_of(&raw.ordering_key, shards))
                .unwrap_or(0);
            Ok(Replay {
                stage: Stage::Formatter,
                shard,
                bytes: found.payload.clone(),
            })
        }
        Ok(Stage::Delivery) => {
            let mut message = FormattedMessage::decode(found.payload.as_slice())
                .map_err(NotReplayable::Undecodable)?;
            // Nobody waits for a replay.
            message.reply_to.clear();
            let shard = inlet_core::shard_of(&message.ordering_key, shards);
            let batch = FormattedBatch {
                messages: vec![message],
            };
            Ok(Replay {
                stage: Stage::Delivery,
                shard,
                bytes: batch.encode_to_vec(),
            })
        }
        Err(UnknownStage(stage)) => Err(NotReplayable::UnknownStage(stage)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_read_back_as_they_are_stored() {
        for stage in [Stage::Formatter, Stage::Delivery] {
            assert_eq!(stage.as_str().parse::<Stage>().unwrap(), stage);
        }
        assert!("ingress".parse::<Stage>().is_err());
    }

    #[test]
    fn a_message_without_a_valid_id_gets_one_of_its_own_never_nil() {
        let raw = RawWebhook {
            message_id: "not-a-uuid".into(),
            ..Default::default()
        };
        let a = NewDeadLetter::from_raw(&raw, b"", "undecodable", "no valid message id");
        let b = NewDeadLetter::from_raw(&raw, b"", "undecodable", "no valid message id");
        assert!(!a.message_id.is_nil());
        assert_ne!(a.message_id, b.message_id);
        let id = Uuid::now_v7();
        assert_eq!(message_id_or_new(&id.to_string()), id);
    }
}
