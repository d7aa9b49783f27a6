//! Bitbucket Server / Data Center (`/api/v1/external/bitbucket3`): the
//! event is the payload's `eventKey`, else the `X-Event-Key` header, as
//! Zulip reads it; `X-Hub-Signature` (`sha256=<hex>` HMAC-SHA256 of the
//! body) is verified when the webhook has a secret; `X-Request-Id` is the
//! idempotency key. Wording follows Zulip's integration and the shared git
//! messages (`git/`).

use super::error::IntegrationError;
use super::git::{self, ItemLine, item_message};
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::text::{configured_message, quote};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration, Message};
use serde::Deserialize;
use serde_json::Value;

pub struct Bitbucket3;

/// The vendor's event keys, as Zulip declares them.
const EVENTS: &[&str] = &[
    "diagnostics:ping",
    "repo:comment:added",
    "repo:comment:edited",
    "repo:comment:deleted",
    "repo:forked",
    "repo:modified",
    "repo:refs_changed",
    "pr:comment:added",
    "pr:comment:edited",
    "pr:comment:deleted",
    "pr:declined",
    "pr:deleted",
    "pr:merged",
    "pr:modified",
    "pr:opened",
    "pr:reviewer:approved",
    "pr:reviewer:needs_work",
    "pr:reviewer:updated",
    "pr:reviewer:unapproved",
];

static VENDOR: Vendor = Vendor::new("bitbucket3", "Bitbucket Server", EVENTS)
    .headers("X-Event-Key", "X-Request-Id")
    .hmac("X-Hub-Signature", "sha256=")
    .form_bodies_as_json();

#[derive(Debug, Default, Deserialize)]
struct Href {
    #[serde(default)]
    href: Option<String>,
}

/// Bitbucket Server's `links`: `self` is a list of hrefs.
#[derive(Debug, Default, Deserialize)]
struct Links {
    #[serde(default, rename = "self")]
    self_: Vec<Href>,
}

impl Links {
    fn url(&self) -> Option<&str> {
        self.self_
            .first()?
            .href
            .as_deref()
            .filter(|h| !h.is_empty())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    links: Links,
}

impl User {
    /// `[name](profile)`, Zulip's way of naming a Bitbucket Server user.
    fn link(&self) -> String {
        link(&self.name, self.links.url())
    }
}

fn link(text: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => format!("[{text}]({url})"),
        None => text.to_string(),
    }
}

#[derive(Debug, Deserialize)]
struct Repository {
    name: String,
    #[serde(default)]
    links: Links,
    #[serde(default)]
    origin: Option<Box<Repository>>,
}

impl Repository {
    /// The repository's address without the `browse` its link ends in.
    fn base_url(&self) -> Option<&str> {
        let url = self.links.url()?;
        Some(url.strip_suffix("browse").unwrap_or(url))
    }
}

#[derive(Debug, Deserialize)]
struct RepoComment {
    actor: User,
    repository: Repository,
    commit: String,
    comment: Comment,
}

#[derive(Debug, Deserialize)]
struct Comment {
    #[serde(default)]
    text: String,
}

#[derive(Debug, Deserialize)]
struct Forked {
    actor: User,
    repository: Repository,
}

#[derive(Debug, Deserialize)]
struct Modified {
    actor: User,
    old: Named,
    new: Named,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize)]
struct RefsChanged {
    actor: User,
    repository: Repository,
    #[serde(default)]
    changes: Vec<RefChange>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefChange {
    #[serde(rename = "ref")]
    git_ref: Ref,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    to_hash: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ref {
    display_id: String,
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrEvent {
    actor: User,
    pull_request: PullRequest,
    #[serde(default)]
    comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullRequest {
    id: u64,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    links: Links,
    #[serde(default)]
    from_ref: PrRef,
    #[serde(default)]
    to_ref: PrRef,
    #[serde(default)]
    reviewers: Vec<Reviewer>,
}

/// A pull request's source or target; only some messages name the branch.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrRef {
    #[serde(default)]
    display_id: String,
    #[serde(default)]
    repository: Option<Named>,
}

#[derive(Debug, Deserialize)]
struct Reviewer {
    #[serde(default)]
    user: Option<User>,
}

impl Integration for Bitbucket3 {
    vendor_methods!(VENDOR);

    fn event_of(&self, headers: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match payload.get("eventKey") {
            Some(Value::String(key)) if !key.is_empty() => Ok(key.clone()),
            Some(_) => Err(IntegrationError::invalid(
                "field `eventKey` is not a string",
            )),
            None => Ok(VENDOR.required_event(headers)?.to_string()),
        }
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        let title = params.topic_overridden();
        match event {
            "diagnostics:ping" => {
                let body = configured_message("Bitbucket Server", None);
                Ok(Formatted::one("Bitbucket Server", "Bitbucket Server", body))
            }
            "repo:comment:added" => repo_comment(&parse_without_nulls(payload)?, "commented"),
            "repo:comment:edited" => {
                repo_comment(&parse_without_nulls(payload)?, "edited their comment")
            }
            "repo:comment:deleted" => {
                repo_comment(&parse_without_nulls(payload)?, "deleted their comment")
            }
            "repo:forked" => forked(&parse_without_nulls(payload)?),
            "repo:modified" => modified(&parse_without_nulls(payload)?),
            "repo:refs_changed" => refs_changed(&parse_without_nulls(payload)?, params),
            "pr:comment:added" => pr_comment(&parse_without_nulls(payload)?, "commented on", title),
            "pr:comment:edited" => pr_comment(
                &parse_without_nulls(payload)?,
                "edited their comment on",
                title,
            ),
            "pr:comment:deleted" => pr_comment(
                &parse_without_nulls(payload)?,
                "deleted their comment on",
                title,
            ),
            _ => {
                let action = event.rsplit(':').next().unwrap_or(event);
                pull_request(&parse_without_nulls(payload)?, action, title)
            }
        }
    }
}

fn repo_comment(p: &RepoComment, action: &str) -> Formatting {
    let sha = &p.commit;
    let commit_url = p.repository.base_url().map(|b| format!("{b}commits/{sha}"));
    let text = if action.starts_with("deleted") {
        format!("~~{}~~", p.comment.text)
    } else {
        p.comment.text.clone()
    };
    let body = format!(
        "{} {action} on {}:{}",
        p.actor.link(),
        link(sha.get(..11).unwrap_or(sha), commit_url.as_deref()),
        quote(&text)
    );
    let repo = &p.repository.name;
    Ok(Formatted::one(repo.clone(), repo.clone(), body))
}

/// Posted in the thread of the repository forked from.
fn forked(p: &Forked) -> Formatting {
    let fork = &p.repository;
    let origin = fork.origin.as_deref().unwrap_or(fork);
    // Zulip names the forking user by display name as well as login.
    let actor = match p.actor.display_name.as_deref().filter(|d| !d.is_empty()) {
        Some(display) if display != p.actor.name => format!("{display} ({})", p.actor.link()),
        _ => p.actor.link(),
    };
    let body = format!(
        "{actor} forked the repository into {}.",
        link(&fork.name, fork.links.url())
    );
    Ok(Formatted::one(
        origin.name.clone(),
        origin.name.clone(),
        body,
    ))
}

fn modified(p: &Modified) -> Formatting {
    let (old, new) = (&p.old.name, &p.new.name);
    let line = format!(
        "{} changed the name of the **{old}** repo from **{old}** to **{new}**",
        p.actor.link()
    );
    let body = if new.ends_with(|c: char| c.is_ascii_punctuation()) {
        line
    } else {
        line + "."
    };
    Ok(Formatted::one(new.clone(), new.clone(), body))
}

/// One message per changed ref, each in its branch's or tag's thread.
fn refs_changed(p: &RefsChanged, params: &Params<'_>) -> Formatting {
    let user = p.actor.link();
    let repo = &p.repository.name;
    let mut messages = Vec::new();
    for change in &p.changes {
        let name = &change.git_ref.display_id;
        let body = match (change.git_ref.kind.as_str(), change.kind.as_str()) {
            ("TAG", "ADD") => format!("{user} pushed tag {name}."),
            ("TAG", "DELETE") => format!("{user} removed tag {name}."),
            ("TAG", _) => format!("{user} moved tag {name} to {}.", change.to_hash),
            (_, _) if !params.branch_allowed(name) => continue,
            (_, "ADD") => format!("{user} created branch {name}."),
            (_, "DELETE") => format!("{user} deleted branch {name}."),
            (_, _) => format!(
                "{user} pushed to branch {name}. Head is now {}.",
                change.to_hash
            ),
        };
        let key = format!("{repo} / {name}");
        messages.push(Message {
            thread_key: key.clone(),
            topic: key,
            body_markdown: body,
        });
    }
    if messages.is_empty() {
        let reason = if p.changes.is_empty() {
            IgnoreReason::NotWanted
        } else {
            IgnoreReason::Filtered
        };
        return Ok(Formatted::Ignore(reason));
    }
    Ok(Formatted::Messages(messages))
}

fn pr_thread(pr: &PullRequest) -> (String, String) {
    let repo = pr
        .to_ref
        .repository
        .as_ref()
        .map_or("", |r| r.name.as_str());
    git::item_thread(repo, "PR", pr.id, &pr.title)
}

/// `[a](…)`, `[a](…) and [b](…)`, `[a](…), [b](…) and [c](…)`.
fn reviewers(pr: &PullRequest) -> Option<String> {
    let names: Vec<String> = pr
        .reviewers
        .iter()
        .filter_map(|r| r.user.as_ref())
        .map(User::link)
        .collect();
    (!names.is_empty()).then(|| git::join_and(&names))
}

fn pull_request(p: &PrEvent, action: &str, title: bool) -> Formatting {
    let pr = &p.pull_request;
    let user = p.actor.link();
    let url = pr.links.url().unwrap_or("");
    let pr_link = git::item_link("PR", pr.id, title.then_some(pr.title.as_str()), url);
    let (from, to) = (&pr.from_ref.display_id, &pr.to_ref.display_id);
    let branches = if from.is_empty() || to.is_empty() {
        String::new()
    } else {
        format!(" from `{from}` to `{to}`")
    };
    let body = match action {
        "opened" | "modified" => {
            let mut line = format!("{user} {action} {pr_link}{branches}");
            if let Some(reviewers) = reviewers(pr) {
                line.push_str(&format!(" (assigned to {reviewers} for review)"));
            }
            let description = pr.description.as_deref().map(quote).unwrap_or_default();
            if description.is_empty() {
                line + "."
            } else {
                format!("{line}:{description}")
            }
        }
        "merged" => format!("{user} merged {pr_link}{branches}."),
        "needs_work" => format!("{user} marked {pr_link} as \"needs work\"."),
        "updated" => match reviewers(pr) {
            Some(reviewers) => format!("{user} reassigned {pr_link} to {reviewers}."),
            None => format!("{user} removed all reviewers from {pr_link}."),
        },
        action => format!("{user} {action} {pr_link}."),
    };
    let (key, topic) = pr_thread(pr);
    Ok(Formatted::one(key, topic, body))
}

fn pr_comment(p: &PrEvent, action: &str, title: bool) -> Formatting {
    let pr = &p.pull_request;
    let text = p.comment.as_ref().map_or("", |c| c.text.as_str());
    let text = if action.starts_with("deleted") {
        format!("~~{text}~~")
    } else {
        text.to_string()
    };
    let user = p.actor.link();
    let item = ItemLine {
        user: &user,
        action,
        kind: "PR",
        number: pr.id,
        url: pr.links.url().unwrap_or(""),
        title: title.then_some(pr.title.as_str()),
        branches: None,
        assignee: None,
        body: Some(&text),
    };
    let (key, topic) = pr_thread(pr);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_links_lose_their_browse() {
        let repo: Repository = serde_json::from_value(serde_json::json!({
            "name": "r",
            "links": {"self": [{"href": "https://bb.example/projects/P/repos/r/browse"}]}
        }))
        .unwrap();
        assert_eq!(
            repo.base_url(),
            Some("https://bb.example/projects/P/repos/r/")
        );
    }
}
