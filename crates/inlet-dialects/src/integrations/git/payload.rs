//! Payload parts the git hosting vendors send alike: Gitea copies GitHub's
//! webhook shapes, and Gitea and GitLab describe a pushed commit the same
//! way. Where the shapes agree but the parts differ (a vendor's repository,
//! user or commit author), the shared struct takes them as parameters.
//! Names are kept as the vendors' modules had them: serde names a nested
//! struct in its refusals ("expected struct Comment").

use super::Commit;
use serde::Deserialize;

/// A comment on an issue or a pull request (GitHub, Gitea).
#[derive(Debug, Deserialize)]
pub struct Comment {
    pub html_url: String,
    pub body: String,
}

/// A release event (GitHub, Gitea), with the vendor's release, repository
/// and user.
#[derive(Debug, Deserialize)]
pub struct ReleaseEvent<Release, Repository, User> {
    pub action: String,
    pub release: Release,
    pub repository: Repository,
    pub sender: User,
}

/// A branch or a tag created or deleted (GitHub's `create` / `delete`,
/// Gitea's `create`).
#[derive(Debug, Deserialize)]
pub struct RefEvent<Repository, User> {
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// `branch` or `tag`.
    pub ref_type: String,
    pub repository: Repository,
    pub sender: User,
}

/// One pushed commit (Gitea, GitLab), with the vendor's author.
#[derive(Debug, Deserialize)]
pub struct PushCommit<Author> {
    pub id: String,
    pub url: String,
    pub message: String,
    pub author: Author,
}

impl<Author> PushCommit<Author> {
    /// The commit as a push message lists it, credited to `author`.
    pub fn listed<'a>(&'a self, author: &'a str) -> Commit<'a> {
        Commit {
            sha: &self.id,
            url: &self.url,
            message: &self.message,
            author,
        }
    }
}
