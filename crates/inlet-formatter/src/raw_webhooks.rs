//! The raw webhooks a delivery of the raw hop holds: itself, or a batch's
//! entries (ingress's `RawBatch`), each decoded once (retries reuse it),
//! with what its dead letter and its waiting sender need.

use inlet_bus::Delivery;
use inlet_proto::v1::RawWebhook;
use inlet_proto::{DecodeError, Message};
use uuid::Uuid;

/// Why bytes of the raw hop are no raw webhook.
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    /// The delivery says it is a batch, and is not one.
    #[error("undecodable batch: {0}")]
    Batch(#[source] DecodeError),
    #[error("{0}")]
    Webhook(#[source] DecodeError),
}

/// One raw webhook of a delivery.
pub struct Webhook {
    /// The encoded `RawWebhook`: what a dead letter keeps and a replay
    /// publishes again.
    pub bytes: Vec<u8>,
    pub decoded: Result<RawWebhook, Undecodable>,
    /// The delivery's reply-to (the waiting senders' direct reply-to).
    pub reply_to: String,
    /// The delivery held this webhook alone (not a batch).
    pub alone: bool,
    /// The message id to record when the bytes cannot be decoded: the
    /// delivery's, or a new one for an entry of a batch (each bad entry
    /// is a dead letter of its own).
    pub fallback_id: String,
}

impl Webhook {
    /// The reply-to for `raw`: a batch's is for those of its webhooks whose
    /// sender waits.
    pub fn reply_to_for(&self, raw: &RawWebhook) -> &str {
        if raw.wait || self.alone {
            self.reply_to.as_str()
        } else {
            ""
        }
    }
}

/// The webhooks a delivery of the raw hop holds, in receipt order. An
/// undecodable batch is one undecodable webhook (dead-lettered whole).
pub fn webhooks_of(delivery: &Delivery) -> Vec<Webhook> {
    let properties = &delivery.properties;
    let text = |value: Option<String>| value.unwrap_or_default();
    let reply_to = text(properties.reply_to().as_ref().map(|r| r.to_string()));
    let message_id = text(properties.message_id().as_ref().map(|s| s.to_string()));
    let kind = properties.kind().as_ref().map(|k| k.as_str());
    let entries = match inlet_proto::raw_webhooks(kind, &delivery.data) {
        Ok(entries) => entries,
        Err(error) => {
            return vec![Webhook {
                bytes: delivery.data.clone(),
                decoded: Err(Undecodable::Batch(error)),
                reply_to,
                alone: true,
                fallback_id: message_id,
            }];
        }
    };
    let alone = entries.len() == 1 && kind != Some(inlet_proto::RAW_BATCH_TYPE);
    let webhook = |bytes: Vec<u8>| {
        let decoded = RawWebhook::decode(bytes.as_slice()).map_err(Undecodable::Webhook);
        let fallback_id = match (&decoded, alone) {
            (Err(_), false) => Uuid::now_v7().to_string(),
            _ => message_id.clone(),
        };
        Webhook {
            decoded,
            bytes,
            reply_to: reply_to.clone(),
            alone,
            fallback_id,
        }
    };
    entries.into_iter().map(webhook).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_bus::BasicProperties;

    fn delivery(properties: BasicProperties, data: Vec<u8>) -> Delivery {
        let mut delivery = Delivery::mock(1, "".into(), "".into(), false, data);
        delivery.properties = properties;
        delivery
    }

    #[test]
    fn each_bad_entry_of_a_batch_is_a_webhook_of_its_own() {
        let good = RawWebhook {
            message_id: "a".into(),
            wait: true,
            ..Default::default()
        };
        let batch = inlet_proto::encode_raw_batch([good.encode_to_vec().as_slice(), b"\xff"]);
        let properties = inlet_bus::properties(Some("batch"))
            .with_type(inlet_proto::RAW_BATCH_TYPE.into())
            .with_reply_to("reply".into());
        let webhooks = webhooks_of(&delivery(properties, batch));
        assert_eq!(webhooks.len(), 2);
        assert!(!webhooks[0].alone);
        let first = webhooks[0].decoded.as_ref().unwrap();
        assert_eq!(webhooks[0].reply_to_for(first), "reply");
        assert!(webhooks[1].decoded.is_err());
        assert_ne!(webhooks[1].fallback_id, "batch", "an id of its own");
    }

    #[test]
    fn an_undecodable_batch_is_one_webhook_under_the_delivery_id() {
        let properties =
            inlet_bus::properties(Some("id")).with_type(inlet_proto::RAW_BATCH_TYPE.into());
        let webhooks = webhooks_of(&delivery(properties, b"\xff\xff".to_vec()));
        assert_eq!(webhooks.len(), 1);
        assert!(webhooks[0].alone);
        assert_eq!(webhooks[0].fallback_id, "id");
        let error = webhooks[0].decoded.as_ref().unwrap_err().to_string();
        assert!(error.starts_with("undecodable batch: "), "{error}");
    }
}
