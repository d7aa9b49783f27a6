//! Stripe (`/api/v1/external/stripe`): the event is the body's `type`
//! (`charge.succeeded`, `customer.subscription.updated`, …), as Zulip
//! passes it to the event filter; `Stripe-Signature` (`t=…,v1=…`, an
//! HMAC-SHA256 of the timestamp and the body) is verified, timestamp
//! within five minutes, when the webhook has a secret. Messages and
//! threads follow Zulip's Stripe integration: a customer's charges,
//! subscriptions and invoices share the customer's thread.

mod format;
mod payload;

use super::Integration;
use super::error::IntegrationError;
use super::params::Headers;
use super::vendor::{Vendor, vendor_methods};
use serde_json::Value;

pub struct Stripe;

/// The Stripe event types Zulip formats (its `ALL_EVENT_TYPES` and the
/// verbs its formatter words the same way).
const EVENTS: &[&str] = &[
    "account.updated",
    "charge.captured",
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "charge.dispute.closed",
    "charge.dispute.created",
    "charge.refund.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "customer.discount.created",
    "customer.discount.deleted",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "invoice.created",
    "invoice.deleted",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "invoice.sent",
    "invoice.upcoming",
    "invoice.updated",
    "invoice.voided",
    "invoiceitem.created",
    "invoiceitem.deleted",
    "invoiceitem.updated",
];

static VENDOR: Vendor = Vendor::new("stripe", "Stripe", EVENTS)
    .stripe_signature("Stripe-Signature")
    .form_bodies_as_json();

impl Integration for Stripe {
    vendor_methods!(VENDOR, format: format::format);

    /// Every Stripe event has a dotted `type` and the object it is about
    /// in `data.object`; a body without them is not Stripe's.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let kind = payload.get("type").and_then(Value::as_str);
        let object = payload.pointer("/data/object").filter(|o| o.is_object());
        match (kind, object) {
            (Some(kind), Some(_)) if kind.contains('.') => Ok(kind.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }
}
