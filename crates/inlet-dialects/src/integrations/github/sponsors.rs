//! GitHub Sponsors: the `sponsorship` event of a sponsors listing's
//! webhook, one message per action in the `sponsors` thread, in Zulip's
//! wording. Its event names are the actions, as Zulip names them.

use crate::integrations::payload::parse;
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde::Deserialize;
use serde_json::Value;

/// The thread of a listing's sponsorships and of its webhook's ping.
pub const THREAD: &str = "sponsors";

/// Zulip's names of the `sponsorship` actions.
pub const ACTIONS: &[&str] = &[
    "cancelled",
    "created",
    "edited",
    "pending_cancellation",
    "pending_tier_change",
    "tier_changed",
];

#[derive(Debug, Deserialize)]
struct SponsorshipEvent {
    action: String,
    sponsorship: Sponsorship,
    #[serde(default)]
    sender: Option<Login>,
    #[serde(default)]
    changes: Option<Changes>,
    /// When a pending change takes effect (`2019-12-30T00:00:00+00:00`).
    #[serde(default)]
    effective_date: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Sponsorship {
    #[serde(default)]
    sponsor: Option<Login>,
    #[serde(default)]
    tier: Option<Tier>,
    #[serde(default)]
    privacy_level: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Login {
    login: String,
}

#[derive(Debug, Deserialize)]
struct Tier {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
struct Changes {
    #[serde(default)]
    tier: Option<TierChange>,
    #[serde(default)]
    privacy_level: Option<PrivacyChange>,
}

#[derive(Debug, Deserialize)]
struct TierChange {
    from: Tier,
}

#[derive(Debug, Deserialize)]
struct PrivacyChange {
    from: String,
}

/// The message of a `sponsorship` action (one of [`ACTIONS`]).
pub fn format(payload: &Value) -> Formatting {
    let p: SponsorshipEvent = parse(payload)?;
    let who = p
        .sender
        .as_ref()
        .or(p.sponsorship.sponsor.as_ref())
        .map_or("A sponsor", |u| u.login.as_str());
    let tier = p
        .sponsorship
        .tier
        .as_ref()
        .map_or("their tier", |t| t.name.as_str());
    let changes = p.changes.unwrap_or_default();
    let from = changes
        .tier
        .as_ref()
        .map_or("another tier", |t| t.from.name.as_str());
    // The day only: GitHub sends midnight of the day it takes effect.
    let on = p
        .effective_date
        .as_deref()
        .and_then(|d| d.get(..10))
        .map(|day| format!(" on {day}"))
        .unwrap_or_default();
    let body = match p.action.as_str() {
        "created" => format!("{who} subscribed for {tier}."),
        "cancelled" => format!("{who} cancelled their {tier} subscription."),
        "edited" => {
            let to = p.sponsorship.privacy_level.as_deref().unwrap_or("unknown");
            match &changes.privacy_level {
                Some(before) => format!(
                    "{who} changed who can see their sponsorship from {} to {to}.",
                    before.from
                ),
                None => format!("{who} changed who can see their sponsorship to {to}."),
            }
        }
        "pending_cancellation" => format!("{who}'s {tier} subscription will be cancelled{on}."),
        "pending_tier_change" => {
            format!("{who}'s subscription will change from {from} to {tier}{on}.")
        }
        "tier_changed" => format!("{who} changed their subscription from {from} to {tier}."),
        _ => return Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    };
    Ok(Formatted::one(THREAD, THREAD, body))
}
