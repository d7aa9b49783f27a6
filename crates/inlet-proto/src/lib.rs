//! The messages that cross the broker, generated from `proto/inlet/v1`.

#![allow(clippy::all, missing_docs)]

/// Version 1 of the bus messages.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/inlet.v1.rs"));
}

pub mod dialect;

pub use dialect::DialectName;
pub use prost::{DecodeError, Message};

/// The AMQP `type` of a broker message of the raw hop that holds a
/// [`v1::RawBatch`]; without it the body is one [`v1::RawWebhook`].
pub const RAW_BATCH_TYPE: &str = "inlet.v1.RawBatch";

/// Encodes webhooks (each an encoded `RawWebhook`) as a `RawBatch`, without
/// copying them into owned messages first.
pub fn encode_raw_batch<'a>(webhooks: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut buf = Vec::new();
    for webhook in webhooks {
        prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut buf);
        prost::encoding::encode_varint(webhook.len() as u64, &mut buf);
        buf.extend_from_slice(webhook);
    }
    buf
}

/// The encoded raw webhooks a broker message of the raw hop holds, in
/// order: its body alone, or a batch's entries when `kind` is
/// [`RAW_BATCH_TYPE`].
pub fn raw_webhooks(kind: Option<&str>, body: &[u8]) -> Result<Vec<Vec<u8>>, prost::DecodeError> {
    if kind == Some(RAW_BATCH_TYPE) {
        Ok(v1::RawBatch::decode(body)?.webhooks)
    } else {
        Ok(vec![body.to_vec()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use v1::RawWebhook;

    fn webhook(id: &str, body: &[u8]) -> Vec<u8> {
        RawWebhook {
            message_id: id.into(),
            body: body.to_vec(),
            wait: true,
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn a_batch_gives_back_its_webhooks_in_order() {
        let big = vec![7u8; 70_000]; // a length that needs a 3-byte varint
        let items = [webhook("a", b"{}"), webhook("b", &big), webhook("c", b"")];
        let batch = encode_raw_batch(items.iter().map(Vec::as_slice));
        let back = raw_webhooks(Some(RAW_BATCH_TYPE), &batch).unwrap();
        assert_eq!(back, items);
        let ids: Vec<String> = back
            .iter()
            .map(|b| RawWebhook::decode(b.as_slice()).unwrap().message_id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // The same bytes as prost's own encoding of the message.
        let owned = v1::RawBatch {
            webhooks: items.to_vec(),
        };
        assert_eq!(batch, owned.encode_to_vec());
    }

    #[test]
    fn a_message_without_the_batch_type_is_one_webhook() {
        let one = webhook("a", b"{}");
        assert_eq!(raw_webhooks(None, &one).unwrap(), vec![one.clone()]);
        assert_eq!(raw_webhooks(Some("other"), &one).unwrap(), vec![one]);
    }

    #[test]
    fn a_truncated_batch_is_an_error() {
        let batch = encode_raw_batch([webhook("a", b"{}").as_slice()]);
        assert!(raw_webhooks(Some(RAW_BATCH_TYPE), &batch[..batch.len() - 1]).is_err());
    }
}
