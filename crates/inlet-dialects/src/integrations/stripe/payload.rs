//! Stripe event payloads, as much of each object as the messages use
//! (docs.stripe.com "Event object" and the API objects). The object is
//! typed per resource, so a missing or mistyped field is named with its
//! path (`data.object.amount`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// An event about `T`, with the attributes an update changed.
#[derive(Debug, Deserialize)]
pub struct Event<T> {
    /// When Stripe made the event (Unix seconds).
    #[serde(default)]
    pub created: Option<i64>,
    pub data: Data<T>,
}

#[derive(Debug, Deserialize)]
pub struct Data<T> {
    pub object: T,
    #[serde(default)]
    pub previous_attributes: Option<Map<String, Value>>,
}

/// The customer an object belongs to (an id, or the expanded customer).
#[derive(Debug, Deserialize)]
pub struct Object {
    #[serde(default)]
    pub customer: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub failure_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Dispute {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    #[serde(default)]
    pub charge: Option<String>,
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct Discount {
    pub coupon: Coupon,
}

#[derive(Debug, Deserialize)]
pub struct Coupon {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Subscription {
    pub id: String,
    #[serde(default)]
    pub plan: Option<Plan>,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub trial_end: Option<i64>,
    /// `billing` in API versions before 2019-10-17, `collection_method` since.
    #[serde(default)]
    pub billing: Option<String>,
    #[serde(default)]
    pub collection_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Plan {
    pub id: String,
    #[serde(default)]
    pub nickname: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Invoice {
    /// An upcoming invoice has no id yet.
    #[serde(default)]
    pub id: Option<String>,
    pub currency: String,
    #[serde(default)]
    pub billing_reason: Option<String>,
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub amount_due: Option<i64>,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    #[serde(default)]
    pub amount_remaining: Option<i64>,
    #[serde(default)]
    pub paid: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct InvoiceItem {
    pub id: String,
    pub amount: i64,
    pub currency: String,
}
