//! Stripe messages, in Zulip's wording: `[Charge](<dashboard link>) for
//! 10.00 EUR succeeded`, `[Subscription](…) updated` and the changed
//! attributes. The thread is the customer's id when the object belongs to
//! a customer, so a customer's billing life reads as one thread; else
//! `charges`, `disputes`, `refunds`, `account updates` (Zulip's topics).

use super::payload::*;
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::CivilTime;
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde_json::{Map, Value};

const DASHBOARD: &str = "https://dashboard.stripe.com";

pub fn format(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    let parts: Vec<&str> = event.split('.').collect();
    let (category, resource, verb) = match parts.as_slice() {
        [category, resource, verb] => (*category, *resource, *verb),
        [resource, verb] => (*resource, *resource, *verb),
        _ => return Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    };
    let object: Event<Object> = parse(payload)?;
    let customer_topic = customer_id(&object.data.object);
    let topic = |fallback: &str| {
        customer_topic
            .clone()
            .unwrap_or_else(|| fallback.to_string())
    };
    let previous = object.data.previous_attributes.as_ref();
    let raw_object = payload.pointer("/data/object").unwrap_or(&Value::Null);
    let changes = |blacklist: &[&str]| changes(previous, raw_object, blacklist);
    let (topic, body) = match (category, resource) {
        ("account", "account") => match changes(&[]) {
            Some(list) if !list.is_empty() => {
                ("account updates".to_string(), list.trim_start().to_string())
            }
            _ => return Ok(Formatted::Ignore(IgnoreReason::NotWanted)),
        },
        ("charge", "charge") => (topic("charges"), charge(&parse(payload)?, verb)),
        ("charge", "dispute") => {
            let e: Event<Dispute> = parse(payload)?;
            let d = &e.data.object;
            let status = d.status.as_deref().unwrap_or("unknown").replace('_', " ");
            let body = format!(
                "{} {}. Current status: {status}.",
                link(&d.id, false),
                words(verb)
            );
            ("disputes".to_string(), body)
        }
        ("charge", "refund") => ("refunds".to_string(), refund(&parse(payload)?)),
        ("customer", "customer") => {
            let e: Event<Customer> = parse(payload)?;
            let blacklist = ["delinquent", "currency", "default_source"];
            let mut body = default_body(&e.data.object.id, verb, changes(&blacklist));
            if verb == "created" {
                body.push_str(&customer_details(&e.data.object));
            }
            (e.data.object.id.clone(), body)
        }
        ("customer", "discount") => {
            let e: Event<Discount> = parse(payload)?;
            let coupon = &e.data.object.coupon;
            let name = coupon.name.as_deref().unwrap_or(&coupon.id);
            let body = format!(
                "Discount {} ([{name}]({DASHBOARD}/coupons/{})).",
                words(verb),
                coupon.id
            );
            (topic("discounts"), body)
        }
        ("customer", "subscription") => {
            let e: Event<Subscription> = parse(payload)?;
            let body = subscription(&e, verb, changes(&[]));
            (topic("subscriptions"), body)
        }
        ("invoice", "invoice") => {
            let e: Event<Invoice> = parse(payload)?;
            let blacklist = [
                "lines",
                "description",
                "number",
                "finalized_at",
                "status_transitions",
                "payment_intent",
            ];
            (topic("invoices"), invoice(&e, verb, changes(&blacklist)))
        }
        ("invoiceitem", "invoiceitem") => {
            let e: Event<InvoiceItem> = parse(payload)?;
            let item = &e.data.object;
            let mut body = default_body(&item.id, verb, changes(&["description", "invoice"]));
            if verb == "created" {
                body.push_str(&format!(" for {}", amount(item.amount, &item.currency)));
            }
            (topic("invoice items"), body)
        }
        // Only declared events reach a formatter.
        _ => return Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    };
    if body.is_empty() {
        // An update of attributes the messages leave out (Zulip's
        // suppressed events).
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let mut body = body;
    // With a `topic` override the customer's thread is gone: name them.
    if params.topic_overridden()
        && resource != "customer"
        && let Some(customer) = &customer_topic
    {
        body.push_str(&format!("\nCustomer: {}", link(customer, false)));
    }
    Ok(Formatted::one(topic.clone(), topic, body))
}

/// The customer an object belongs to: its `customer` id, or the expanded
/// customer's `id`.
fn customer_id(object: &Object) -> Option<String> {
    match object.customer.as_ref()? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Object(customer) => customer.get("id")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// `trial_will_end` → `trial will end`.
fn words(verb: &str) -> String {
    verb.replace('_', " ")
}

/// `[Charge](https://dashboard.stripe.com/charges/ch_…)`, from the id's
/// prefix; the id in code when the prefix is not a known one.
fn link(id: &str, lower: bool) -> String {
    let prefix = id.split('_').next().unwrap_or("");
    let (name, path) = match prefix {
        "ch" => ("Charge", Some("charges")),
        // A bank debit or transfer is a payment, with its own dashboard page.
        "py" => ("Payment", Some("payments")),
        "cus" => ("Customer", Some("customers")),
        "dp" | "du" => ("Dispute", Some("disputes")),
        "file" => ("File", Some("files")),
        "link" => ("File link", Some("file_links")),
        "pi" => ("Payment intent", Some("payment_intents")),
        "po" => ("Payout", Some("payouts")),
        "prod" => ("Product", Some("products")),
        "re" | "pyr" => ("Refund", Some("refunds")),
        "tok" => ("Token", Some("tokens")),
        "ba" => ("Bank account", None),
        "card" => ("Card", None),
        "src" => ("Source", None),
        "in" => ("Invoice", Some("invoices")),
        "ii" => ("Invoice item", Some("invoiceitems")),
        "sub" => ("Subscription", Some("subscriptions")),
        "si" => ("Subscription item", Some("subscription_items")),
        "mbur" => ("Usage record", None),
        _ => return format!("`{id}`"),
    };
    let name = if lower {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    match path {
        Some(path) => format!("[{name}]({DASHBOARD}/{path}/{id})"),
        None => name,
    }
}

/// `<Object> <verb>`, and for an update the changed attributes; empty for
/// an update that changed only blacklisted attributes, not to be posted.
fn default_body(id: &str, verb: &str, changes: Option<String>) -> String {
    let body = format!("{} {}", link(id, false), words(verb));
    match (verb, changes) {
        ("updated", Some(list)) if list.is_empty() => String::new(),
        ("updated", Some(list)) => body + &list,
        _ => body,
    }
}

/// `\n* Cancel at period end is now true` for each attribute in
/// `previous_attributes` (sorted, blacklisted ones left out); `None`
/// when the event carries no `previous_attributes`.
fn changes(
    previous: Option<&Map<String, Value>>,
    object: &Value,
    blacklist: &[&str],
) -> Option<String> {
    let previous = previous?;
    let mut names: Vec<&String> = previous
        .keys()
        .filter(|k| !blacklist.contains(&k.as_str()))
        .collect();
    names.sort();
    Some(
        names
            .into_iter()
            .map(|name| {
                let mut label = name.replace('_', " ");
                if let Some(first) = label.get(..1) {
                    label = first.to_uppercase() + &label[1..];
                }
                let value = object.get(name.as_str()).unwrap_or(&Value::Null);
                format!("\n* {label} is now {}", stringify(value))
            })
            .collect(),
    )
}

/// A value as text; a Unix time of 2017–2033 as a date, as Zulip shows it.
fn stringify(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(t) if t > 1_500_000_000 && t < 2_000_000_000 => date_time(t),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// `Dec 07, 2026, 12:00:00 UTC` (Zulip's `%b %d, %Y, %H:%M:%S %Z`).
fn date_time(unix: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = CivilTime::from_unix(unix);
    let month_name = MONTHS.get((t.month - 1) as usize).copied().unwrap_or("?");
    format!(
        "{month_name} {:02}, {}, {:02}:{:02}:{:02} UTC",
        t.day, t.year, t.hour, t.minute, t.second
    )
}

/// Stripe's zero-decimal currencies: their amounts are whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// `$10.00`, `10.00 EUR`, `500 JPY` from an amount in the smallest unit.
fn amount(amount: i64, currency: &str) -> String {
    let currency = currency.to_ascii_lowercase();
    let number = if ZERO_DECIMAL.contains(&currency.as_str()) {
        amount.to_string()
    } else {
        let sign = if amount < 0 { "-" } else { "" };
        let cents = amount.unsigned_abs();
        format!("{sign}{}.{:02}", cents / 100, cents % 100)
    };
    if currency == "usd" {
        format!("${number}")
    } else {
        format!("{number} {}", currency.to_uppercase())
    }
}

fn charge(e: &Event<Charge>, verb: &str) -> String {
    let c = &e.data.object;
    let mut body = format!(
        "{} for {} {}",
        link(&c.id, false),
        amount(c.amount, &c.currency),
        words(verb)
    );
    if let Some(code) = c.failure_code.as_deref().filter(|c| !c.is_empty()) {
        body.push_str(&format!(". Failure code: {code}"));
    }
    body
}

fn refund(e: &Event<Refund>) -> String {
    let r = &e.data.object;
    let charge = r
        .charge
        .as_deref()
        .map_or_else(|| "charge".to_string(), |c| link(c, true));
    format!(
        "A {} for a {charge} of {} was updated.",
        link(&r.id, true),
        amount(r.amount, &r.currency)
    )
}

/// `\nEmail: …` and a `\nkey: value` line per metadata entry.
fn customer_details(c: &Customer) -> String {
    let mut details = String::new();
    if let Some(email) = c.email.as_deref().filter(|e| !e.is_empty()) {
        details.push_str(&format!("\nEmail: {email}"));
    }
    for (key, value) in &c.metadata {
        details.push_str(&format!("\n{key}: {}", stringify(value)));
    }
    details
}

fn subscription(e: &Event<Subscription>, verb: &str, changes: Option<String>) -> String {
    let s = &e.data.object;
    let mut body = default_body(&s.id, verb, changes);
    if verb == "trial_will_end"
        && let Some(end) = s.trial_end
    {
        // Counted from when Stripe made the event (Zulip counts from when
        // it arrives): the same message whenever it is formatted.
        match e.created {
            Some(created) => {
                const DAY: i64 = 86_400;
                let days = end
                    .saturating_sub(created)
                    .saturating_add(DAY / 2)
                    .div_euclid(DAY);
                body.push_str(&format!(" in {days} days"));
            }
            None => body.push_str(&format!(" on {}", date_time(end))),
        }
    }
    if verb == "created" {
        if let Some(plan) = &s.plan {
            match plan.nickname.as_deref().filter(|n| !n.is_empty()) {
                Some(nick) => {
                    body.push_str(&format!("\nPlan: [{nick}]({DASHBOARD}/plans/{})", plan.id))
                }
                None => body.push_str(&format!("\nPlan: {DASHBOARD}/plans/{}", plan.id)),
            }
        }
        if let Some(quantity) = s.quantity.filter(|q| *q != 0) {
            body.push_str(&format!("\nQuantity: {quantity}"));
        }
        if let Some(method) = s.billing.as_deref().or(s.collection_method.as_deref()) {
            body.push_str(&format!("\nBilling method: {}", words(method)));
        }
    }
    body
}

fn invoice(e: &Event<Invoice>, verb: &str, changes: Option<String>) -> String {
    let i = &e.data.object;
    let was_unpaid = e
        .data
        .previous_attributes
        .as_ref()
        .and_then(|p| p.get("paid"))
        .and_then(Value::as_bool)
        == Some(false);
    let now_paid = i.paid == Some(true)
        && i.amount_paid.is_some_and(|a| a != 0)
        && i.amount_remaining == Some(0);
    let mut body = match (verb, i.id.as_deref()) {
        ("upcoming", _) | (_, None) => "Upcoming invoice created".to_string(),
        ("updated", Some(id)) if was_unpaid && now_paid => {
            format!("[Invoice]({DASHBOARD}/invoices/{id}) is now paid")
        }
        (_, Some(id)) => default_body(id, verb, changes),
    };
    if verb == "created" {
        if let Some(reason) = i.billing_reason.as_deref() {
            body.push_str(&format!(" ({})", words(reason)));
        }
        if let Some(total) = i.total {
            body.push_str(&format!("\nTotal: {}", amount(total, &i.currency)));
        }
        if let Some(due) = i.amount_due {
            body.push_str(&format!("\nAmount due: {}", amount(due, &i.currency)));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_currency() {
        assert_eq!(amount(1000, "usd"), "$10.00");
        assert_eq!(amount(105, "eur"), "1.05 EUR");
        assert_eq!(amount(500, "jpy"), "500 JPY");
        assert_eq!(amount(-250, "gbp"), "-2.50 GBP");
    }

    #[test]
    fn unix_times_read_as_utc_dates() {
        assert_eq!(date_time(1_700_000_000), "Nov 14, 2023, 22:13:20 UTC");
        assert_eq!(date_time(1_582_934_400), "Feb 29, 2020, 00:00:00 UTC");
    }

    #[test]
    fn ids_link_to_the_dashboard_by_prefix() {
        assert_eq!(
            link("ch_1", false),
            "[Charge](https://dashboard.stripe.com/charges/ch_1)"
        );
        assert_eq!(
            link("py_1", true),
            "[payment](https://dashboard.stripe.com/payments/py_1)"
        );
        assert_eq!(link("card_1", true), "card");
        assert_eq!(link("weird", false), "`weird`");
    }
}
