//! Turning one raw webhook into its formatted posts: decode, translate with
//! the dialect, resolve the channel again (creating a direct channel on
//! first use), place the posts in their threads and cases, derive the ids.
//!
//! A failure is either *poison* (the same message will always fail: it is
//! dead-lettered at once, with its reason) or *transient* (a dependency is
//! down: the message is held and retried, never dead-lettered). A message
//! may also be *rejected* by the rules (a case id already reported).

use crate::placement::{Placements, place};
use inlet_core::MessageId;
use inlet_dialects::{
    DialectName, DirectoryView, EmptyDirectory, ErrorCode, Limits, Outcome, Rejection, Translation,
    TranslationRequest, WebhookView,
};
use inlet_directory::DialectView;
use inlet_directory::Directory;
use inlet_directory::resolve::{Destination, ResolveError, resolve};
use inlet_proto::v1::{FormattedMessage, RawWebhook};
use inlet_store::{Channel, StoreError, repo};
use std::panic::{AssertUnwindSafe, catch_unwind};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Will fail again whatever happens: dead-letter with this reason.
    #[error("{reason}: {detail}")]
    Poison { reason: String, detail: String },
    /// A dependency is unavailable: retry later.
    #[error("waiting for the database: {0}")]
    Transient(#[source] StoreError),
}

/// What a raw webhook became.
#[derive(Debug)]
pub enum Formatted {
    Posts(FormattedMessage),
    /// Refused by the rules after it was accepted (e.g. `already_reported`).
    Rejected(Rejection),
}

pub(crate) fn poison(reason: impl Into<String>, detail: impl Into<String>) -> FormatError {
    FormatError::Poison {
        reason: reason.into(),
        detail: detail.into(),
    }
}

impl From<StoreError> for FormatError {
    fn from(error: StoreError) -> Self {
        if error.is_unavailable() {
            FormatError::Transient(error)
        } else {
            poison("database_error", error.to_string())
        }
    }
}

/// Formats `raw` into the posts delivery will store.
pub async fn format_message(
    directory: &Directory,
    limits: Limits,
    raw: &RawWebhook,
    reply_to: &str,
) -> Result<Formatted, FormatError> {
    let message_id: MessageId = raw
        .message_id
        .parse()
        .map_err(|_| poison("undecodable", "no valid message id"))?;
    let webhook_id = Uuid::parse_str(&raw.webhook_id)
        .map_err(|_| poison("undecodable", "no valid webhook id"))?;
    let webhook = directory
        .webhook_by_id(webhook_id)
        .await?
        .ok_or_else(|| poison("webhook_not_found", "the webhook no longer exists"))?;
    let team = directory.team(webhook.team_id).await?;
    let view = webhook.dialect_view();
    // A translator bug must cost one message, not the shard.
    let translations = catch_unwind(AssertUnwindSafe(|| translate(raw, &view, limits, &*team)))
        .map_err(|_| {
        poison(
            "translator_panic",
            "the translator panicked on this payload",
        )
    })??;
    // Ingress publishes only what translates into posts, with the same pure
    // function: nothing to post here means the two disagree (a bug, or
    // services run with different limits), never a verdict on the payload.
    let Some(first) = translations.first() else {
        return Err(poison(
            "nothing_to_post",
            "the translation made no post, although ingress's did",
        ));
    };

    if !raw.path_channel_id.is_empty() && raw.path_channel_id != webhook.channel_id.to_string() {
        return Err(poison(
            ErrorCode::ChannelNotFound.as_str(),
            "the URL names another channel than the webhook's",
        ));
    }
    let destination = resolve(directory, &webhook, &first.target)
        .await
        .map_err(|e| match e {
            ResolveError::Rejected(rejection) => poison(rejection.code.as_str(), rejection.detail),
            ResolveError::Unavailable(error) => FormatError::Transient(error),
        })?;
    let channel = channel_of(directory, destination).await?;
    let case_id = first
        .case
        .as_ref()
        .and_then(|c| c.opens.clone())
        .unwrap_or_default();
    let mut posts = Vec::new();
    let mut unresolved = Vec::new();
    for translation in translations {
        let placement = place(
            directory.pool(),
            &directory.claims,
            channel.id,
            message_id,
            &translation,
        );
        let placed = match placement.await? {
            Placements::Rejected(rejection) => return Ok(Formatted::Rejected(rejection)),
            Placements::Placed(placed) => placed,
        };
        unresolved.extend(placed.unresolved_references.iter().cloned());
        placed.into_posts(raw, message_id, &channel, translation.drafts, &mut posts);
    }
    for post in posts.iter().filter(|p| p.root_id.is_empty()) {
        if let Ok(id) = Uuid::parse_str(&post.post_id) {
            directory.claims.remember_root(channel.id, id);
        }
    }
    Ok(Formatted::Posts(FormattedMessage {
        message_id: raw.message_id.clone(),
        ordering_key: raw.ordering_key.clone(),
        posts,
        reply_to: reply_to.to_string(),
        idempotency_key: raw.idempotency_key.clone(),
        webhook_id: raw.webhook_id.clone(),
        case_id,
        unresolved_references: unresolved,
    }))
}

/// The dialect's translation, or an integration's (one per vendor message).
fn translate(
    raw: &RawWebhook,
    view: &WebhookView,
    limits: Limits,
    directory: &dyn DirectoryView,
) -> Result<Vec<Translation>, FormatError> {
    match translate_with(raw, view, limits, directory) {
        // Names rendered from the team directory can make a text a little
        // longer than ingress, which has no directory, saw it: a payload
        // ingress accepted right at a size limit must not be refused here.
        // It is posted as ingress translated it (decisions.md 39).
        Err(FormatError::Poison { reason, .. }) if reason == "payload_too_large" => {
            translate_with(raw, view, limits, &EmptyDirectory)
        }
        other => other,
    }
}

fn translate_with(
    raw: &RawWebhook,
    view: &WebhookView,
    limits: Limits,
    directory: &dyn DirectoryView,
) -> Result<Vec<Translation>, FormatError> {
    let name = DialectName::parse(&raw.dialect)
        .map_err(|unknown| poison("unknown_dialect", unknown.to_string()))?;
    let headers: Vec<(String, String)> = raw
        .headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    let query: Vec<(String, String)> = raw
        .query
        .iter()
        .map(|q| (q.name.clone(), q.value.clone()))
        .collect();
    let request = TranslationRequest {
        content_type: (!raw.content_type.is_empty()).then_some(raw.content_type.as_str()),
        body: &raw.body,
        headers: &headers,
        query: &query,
        webhook: view,
        limits,
        directory,
        // Ingress checked the signature; the formatter never needs it.
        signing_secret: None,
        now: None,
    };
    match inlet_dialects::translate(&name, &request) {
        Outcome::Posts { posts, .. } => Ok(posts),
        Outcome::Ignored { .. } => Ok(Vec::new()),
        Outcome::Refused(refusal) => Err(poison(refusal.metric_reason(), refusal.detail())),
    }
}

async fn channel_of(
    directory: &Directory,
    destination: Destination,
) -> Result<Channel, FormatError> {
    match destination {
        Destination::Channel(channel) => Ok((*channel).clone()),
        Destination::Direct {
            team_id,
            owner_id,
            user_id,
        } => {
            let client = directory.pool().get().await.map_err(StoreError::from)?;
            let channel =
                repo::channels::get_or_create_direct(&**client, team_id, owner_id, user_id).await?;
            directory.invalidate_team(team_id);
            Ok(channel)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A team whose every user id is someone with a long name.
    struct LongNames;

    const NAME: &str = "a-very-long-username-that-the-team-directory-knows-about-x";

    impl DirectoryView for LongNames {
        fn user_exists(&self, username: &str) -> bool {
            username == NAME
        }
        fn channel_name(&self, _: &str) -> Option<String> {
            None
        }
        fn username_of(&self, _: &str) -> Option<String> {
            Some(NAME.to_string())
        }
    }

    #[test]
    fn what_ingress_accepted_at_the_post_limit_is_posted_as_ingress_saw_it() {
        let raw = RawWebhook {
            dialect: "slack".into(),
            content_type: "application/json".into(),
            body: serde_json::json!({ "text": "<@U1> ".repeat(8) })
                .to_string()
                .into_bytes(),
            ..Default::default()
        };
        let limits = Limits {
            max_post_runes: 64,
            max_posts_per_request: 3,
            ..Limits::default()
        };
        let view = WebhookView::default();
        // Ingress's translation fits; with the long names it would not.
        let ingress = translate_with(&raw, &view, limits, &EmptyDirectory).unwrap();
        assert!(ingress[0].drafts.len() <= 3);
        assert!(translate_with(&raw, &view, limits, &LongNames).is_err());
        let posted = translate(&raw, &view, limits, &LongNames).unwrap();
        assert_eq!(posted, ingress);
    }
}
