//! Gitea webhook payloads, as much of each as the messages use
//! (docs.gitea.com "Webhooks"). Every field read is typed, so a missing or
//! mistyped one is named in the refusal.

use crate::integrations::git::payload as git;
use serde::Deserialize;

pub use git::Comment;
pub type PushCommit = git::PushCommit<CommitAuthor>;
pub type ReleaseEvent = git::ReleaseEvent<Release, Repository, User>;
/// `create`: a branch or a tag was created.
pub type CreateEvent = git::RefEvent<Repository, User>;

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub name: String,
    pub full_name: String,
    pub html_url: String,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Debug, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub after: String,
    #[serde(default)]
    pub compare_url: Option<String>,
    #[serde(default)]
    pub commits: Vec<PushCommit>,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct CommitAuthor {
    pub name: String,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequestEvent {
    pub action: String,
    pub number: u64,
    pub pull_request: PullRequest,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct PullRequest {
    /// Older Gitea versions send no `html_url`; the link is then built
    /// from the repository's.
    #[serde(default)]
    pub html_url: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub merged_by: Option<User>,
    #[serde(default)]
    pub assignee: Option<User>,
    pub head: Branch,
    pub base: Branch,
}

#[derive(Debug, Deserialize)]
pub struct Branch {
    #[serde(rename = "ref")]
    pub git_ref: String,
}

#[derive(Debug, Deserialize)]
pub struct IssuesEvent {
    pub action: String,
    pub issue: Issue,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    pub number: u64,
    /// Absent from older Gitea versions, as for pull requests.
    #[serde(default)]
    pub html_url: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub assignee: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct IssueCommentEvent {
    pub action: String,
    pub issue: Issue,
    pub comment: Comment,
    pub repository: Repository,
    pub sender: User,
    /// Comments on pull requests arrive as issue comments.
    #[serde(default)]
    pub is_pull: bool,
}

#[derive(Debug, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    pub html_url: String,
    #[serde(default)]
    pub author: Option<User>,
}
