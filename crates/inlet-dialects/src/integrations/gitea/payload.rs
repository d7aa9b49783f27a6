//! Gitea webhook payloads, as much of each as the messages use
//! (docs.gitea.com "Webhooks"). Every field read is typed, so a missing or
//! mistyped one is named in the refusal.

use crate::integrations::error::IntegrationError;
use crate::integrations::git::payload as git;
use serde::Deserialize;

pub use git::Comment;
pub type PushCommit = git::PushCommit<CommitAuthor>;
pub type ReleaseEvent = git::ReleaseEvent<Release, Repository, User>;
/// `create` / `delete`: a branch or a tag was created or deleted.
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

/// An issue or a pull request: Gitea describes both with one object, a
/// pull request's adding its branches and merge state (absent from an
/// issue's).
#[derive(Debug, Deserialize)]
pub struct Item {
    /// An issue's number; a pull request's event carries it beside the
    /// object ([`PullRequestEvent::number`]).
    #[serde(default)]
    pub number: Option<u64>,
    /// Older Gitea versions send no `html_url`; the link is then built
    /// from the repository's.
    #[serde(default)]
    pub html_url: Option<String>,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub assignee: Option<User>,
    /// Every assignee (Gitea; `null` when none); Gogs sends `assignee` only.
    #[serde(default)]
    pub assignees: Option<Vec<User>>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub merged_by: Option<User>,
    /// Gitea names the branches in `head` and `base`; Gogs, which Gitea
    /// was forked from, in `head_branch` and `base_branch`.
    #[serde(default)]
    pub head: Option<Branch>,
    #[serde(default)]
    pub base: Option<Branch>,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub base_branch: Option<String>,
}

pub type PullRequest = Item;
pub type Issue = Item;

impl Item {
    /// An issue's number, which every issue has: one missing is a refusal
    /// naming the field.
    pub fn issue_number(&self) -> Result<u64, IntegrationError> {
        self.number
            .ok_or_else(|| IntegrationError::invalid("field `issue.number` is required"))
    }

    /// `(head, base)`, whichever way the vendor names them; a pull request
    /// always has both, so one missing is a refusal naming the field.
    pub fn branches(&self) -> Result<(&str, &str), IntegrationError> {
        let head = self.head.as_ref().map(|b| b.git_ref.as_str());
        let base = self.base.as_ref().map(|b| b.git_ref.as_str());
        match (
            head.or(self.head_branch.as_deref()),
            base.or(self.base_branch.as_deref()),
        ) {
            (Some(head), Some(base)) => Ok((head, base)),
            (None, _) => Err(IntegrationError::invalid(
                "field `pull_request.head` is required",
            )),
            (_, None) => Err(IntegrationError::invalid(
                "field `pull_request.base` is required",
            )),
        }
    }
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
    /// Gogs sends none.
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub author: Option<User>,
}
