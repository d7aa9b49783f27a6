//! Bitbucket Cloud webhook payloads, as much of each as the messages use
//! (support.atlassian.com "Event payloads"). Since GDPR, users carry a
//! `display_name` or a `nickname`, not always both: every field the
//! message can do without is optional.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Default, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub href: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Links {
    #[serde(default)]
    pub html: Option<Link>,
    #[serde(default)]
    pub commit: Option<Link>,
}

impl Links {
    pub fn html(&self) -> Option<&str> {
        self.html
            .as_ref()?
            .href
            .as_deref()
            .filter(|h| !h.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct User {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
}

impl User {
    /// The display name, else the nickname (Zulip's rule).
    pub fn name(&self) -> &str {
        self.display_name
            .as_deref()
            .or(self.nickname.as_deref())
            .unwrap_or("Unknown user")
    }
}

/// The name a possibly absent user is shown by.
pub fn name_of(user: &Option<User>) -> &str {
    user.as_ref().map_or("Unknown user", User::name)
}

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub name: String,
    #[serde(default)]
    pub links: Links,
}

#[derive(Debug, Deserialize)]
pub struct PushEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    pub push: Push,
}

#[derive(Debug, Deserialize)]
pub struct Push {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub new: Option<RefState>,
    #[serde(default)]
    pub old: Option<RefState>,
    #[serde(default)]
    pub forced: bool,
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub commits: Vec<Commit>,
}

#[derive(Debug, Deserialize)]
pub struct RefState {
    /// `branch`, `tag` (or `named_branch`, `bookmark` on old repositories).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Needed for the state a message names (the new one, or the old one
    /// of a deleted ref); the other may come without it.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub target: Option<Target>,
}

#[derive(Debug, Deserialize)]
pub struct Target {
    #[serde(default)]
    pub hash: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Commit {
    pub hash: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub author: Option<CommitAuthor>,
}

#[derive(Debug, Deserialize)]
pub struct CommitAuthor {
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct ForkEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    pub fork: Fork,
}

/// The new repository of a fork, named by its full name or its name.
#[derive(Debug, Deserialize)]
pub struct Fork {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub links: Links,
}

#[derive(Debug, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub raw: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Comment {
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub commit: Option<CommentedCommit>,
}

impl Comment {
    pub fn text(&self) -> &str {
        self.content
            .as_ref()
            .and_then(|c| c.raw.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentedCommit {
    #[serde(default)]
    pub hash: String,
    #[serde(default)]
    pub links: Links,
}

#[derive(Debug, Deserialize)]
pub struct CommitCommentEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    pub comment: Comment,
    #[serde(default)]
    pub commit: Option<CommentedCommit>,
}

#[derive(Debug, Deserialize)]
pub struct CommitStatusEvent {
    pub repository: Repository,
    pub commit_status: CommitStatus,
}

#[derive(Debug, Deserialize)]
pub struct CommitStatus {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub state: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub refname: Option<String>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub commit: Option<CommentedCommit>,
}

#[derive(Debug, Deserialize)]
pub struct IssueEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    pub issue: Issue,
    #[serde(default)]
    pub comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub assignee: Option<User>,
    #[serde(default)]
    pub links: Links,
}

#[derive(Debug, Deserialize)]
pub struct PullRequestEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    pub pullrequest: PullRequest,
    #[serde(default)]
    pub comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequest {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub links: Links,
    #[serde(default)]
    pub source: Option<Endpoint>,
    #[serde(default)]
    pub destination: Option<Endpoint>,
    #[serde(default)]
    pub reviewers: Vec<User>,
}

#[derive(Debug, Deserialize)]
pub struct Endpoint {
    #[serde(default)]
    pub branch: Option<BranchName>,
}

#[derive(Debug, Deserialize)]
pub struct BranchName {
    #[serde(default)]
    pub name: Option<String>,
}

impl PullRequest {
    /// `(source, destination)` when both are named.
    pub fn branches(&self) -> Option<(&str, &str)> {
        Some((branch_name(&self.source)?, branch_name(&self.destination)?))
    }
}

fn branch_name(endpoint: &Option<Endpoint>) -> Option<&str> {
    let name = endpoint.as_ref()?.branch.as_ref()?.name.as_deref()?;
    (!name.is_empty()).then_some(name)
}

#[derive(Debug, Deserialize)]
pub struct RepoUpdatedEvent {
    #[serde(default)]
    pub actor: Option<User>,
    pub repository: Repository,
    #[serde(default)]
    pub changes: Map<String, Value>,
}
