//! GitHub webhook payloads, as much of each as the messages use
//! (docs.github.com "Webhook events and payloads"). Every field read is
//! typed, so a missing or mistyped one is named in the refusal.

use crate::integrations::git::payload as git;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

pub use git::Comment;
pub type ReleaseEvent = git::ReleaseEvent<Release, Repository, User>;
/// `create` / `delete`: a branch or a tag.
pub type RefEvent = git::RefEvent<Repository, User>;

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub name: String,
    pub full_name: String,
    pub html_url: String,
    /// For `ignore_private_repositories`; absent reads as public.
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub login: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Ping {
    #[serde(default)]
    pub repository: Option<Repository>,
    #[serde(default)]
    pub organization: Option<Org>,
    #[serde(default)]
    pub sender: Option<User>,
    #[serde(default)]
    pub hook: Option<Hook>,
}

/// The webhook a ping is about: `Repository`, `Organization`,
/// `SponsorsListing`…
#[derive(Debug, Deserialize)]
pub struct Hook {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Org {
    pub login: String,
}

/// A push, its strings borrowed from the body where they have no escapes:
/// the busiest event, read straight from the body's text (`format_text`).
#[derive(Debug, Deserialize)]
pub struct PushEvent<'a> {
    #[serde(rename = "ref", borrow)]
    pub git_ref: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "optional_cow")]
    pub compare: Option<Cow<'a, str>>,
    #[serde(default)]
    pub forced: bool,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default, borrow)]
    pub commits: Vec<PushCommit<'a>>,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct PushCommit<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    #[serde(borrow)]
    pub author: CommitAuthor<'a>,
}

#[derive(Debug, Deserialize)]
pub struct CommitAuthor<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "optional_cow")]
    pub username: Option<Cow<'a, str>>,
}

/// An optional string, borrowed where it has no escapes: serde borrows
/// into a `Cow` only when the `Cow` is the field's whole type, so an
/// `Option<Cow>` would always copy. The newtype makes it whole; the errors
/// read as for a plain optional string.
fn optional_cow<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    let found = Option::<Borrowed<'a>>::deserialize(deserializer)?;
    Ok(found.map(|Borrowed(text)| text))
}

#[derive(Debug, Deserialize)]
pub struct PullRequestEvent {
    pub action: String,
    pub number: u64,
    pub pull_request: PullRequest,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub requested_reviewer: Option<User>,
    #[serde(default)]
    pub requested_team: Option<Team>,
    /// What an "edited" changed (`title`, `body`, `base`).
    #[serde(default)]
    pub changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Team {
    pub name: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequest {
    pub html_url: String,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub assignee: Option<User>,
    pub head: Branch,
    pub base: Branch,
}

#[derive(Debug, Deserialize)]
pub struct Branch {
    pub label: String,
}

#[derive(Debug, Deserialize)]
pub struct ReviewEvent {
    pub action: String,
    pub review: Review,
    pub pull_request: ReviewedPullRequest,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Review {
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ReviewedPullRequest {
    pub number: u64,
    pub html_url: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct IssuesEvent {
    pub action: String,
    pub issue: Issue,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub assignee: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub html_url: String,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// Present when the "issue" is a pull request (comments on PRs).
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct IssueCommentEvent {
    pub action: String,
    pub issue: Issue,
    pub comment: Comment,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    pub html_url: String,
}

#[derive(Debug, Deserialize)]
pub struct WorkflowRunEvent {
    pub action: String,
    pub workflow_run: WorkflowRun,
    pub repository: Repository,
}

#[derive(Debug, Deserialize)]
pub struct WorkflowRun {
    pub name: String,
    pub run_number: u64,
    pub html_url: String,
    pub head_branch: String,
    pub head_sha: String,
    #[serde(default)]
    pub conclusion: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CheckRunEvent {
    pub check_run: CheckRun,
    pub repository: Repository,
}

#[derive(Debug, Deserialize)]
pub struct CheckRun {
    pub name: String,
    pub html_url: String,
    pub head_sha: String,
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct StarEvent {
    pub action: String,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct ForkEvent {
    pub forkee: Forkee,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct Forkee {
    pub full_name: String,
    pub html_url: String,
}

/// `pull_request` actions other than opened / closed / updated: only the
/// PR's number, link and title, and what the action carries.
#[derive(Debug, Deserialize)]
pub struct PullRequestSideEvent {
    pub action: String,
    pub pull_request: PullRequestRef,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub assignee: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct PullRequestRef {
    pub number: u64,
    pub html_url: String,
    pub title: String,
    #[serde(default)]
    pub active_lock_reason: Option<String>,
}

/// `issues` labeled / unlabeled / milestoned / demilestoned / transferred,
/// and opened in the repository an issue was transferred to.
#[derive(Debug, Deserialize)]
pub struct IssueSideEvent {
    pub action: String,
    pub issue: Issue,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub label: Option<Named>,
    #[serde(default)]
    pub milestone: Option<Milestone>,
    #[serde(default)]
    pub changes: Option<TransferChanges>,
}

#[derive(Debug, Deserialize)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Milestone {
    pub title: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// Where a transferred issue went (`new_*`) or came from (`old_*`).
#[derive(Debug, Default, Deserialize)]
pub struct TransferChanges {
    #[serde(default)]
    pub new_issue: Option<IssueRef>,
    #[serde(default)]
    pub new_repository: Option<RepoRef>,
    #[serde(default)]
    pub old_issue: Option<IssueRef>,
    #[serde(default)]
    pub old_repository: Option<RepoRef>,
}

#[derive(Debug, Deserialize)]
pub struct IssueRef {
    pub number: u64,
    pub html_url: String,
}

#[derive(Debug, Deserialize)]
pub struct RepoRef {
    pub full_name: String,
}

#[derive(Debug, Deserialize)]
pub struct ReviewCommentEvent {
    pub action: String,
    pub comment: Comment,
    pub pull_request: ReviewedPullRequest,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct CommitCommentEvent {
    pub comment: CommitComment,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct CommitComment {
    pub html_url: String,
    pub commit_id: String,
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct StatusEvent {
    pub sha: String,
    pub state: String,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub context: Option<String>,
    pub repository: Repository,
}

#[derive(Debug, Deserialize)]
pub struct DeploymentEvent {
    pub deployment: Deployment,
    pub repository: Repository,
    pub sender: User,
    #[serde(default)]
    pub deployment_status: Option<DeploymentStatus>,
}

#[derive(Debug, Deserialize)]
pub struct Deployment {
    pub environment: String,
    #[serde(rename = "ref", default)]
    pub git_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DeploymentStatus {
    pub state: String,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GollumEvent {
    pub pages: Vec<WikiPage>,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct WikiPage {
    pub action: String,
    pub title: String,
    pub html_url: String,
}

/// `public`, `watch`, `repository`: a sender and a repository.
#[derive(Debug, Deserialize)]
pub struct RepositoryEvent {
    #[serde(default)]
    pub action: Option<String>,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct PageBuildEvent {
    pub build: PageBuild,
    pub repository: Repository,
    #[serde(default)]
    pub sender: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct PageBuild {
    pub status: String,
    #[serde(default)]
    pub error: Option<PageBuildError>,
    #[serde(default)]
    pub pusher: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct PageBuildError {
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TeamEvent {
    pub team: OrgTeam,
    /// Only the description's change names who made it.
    #[serde(default)]
    pub sender: Option<User>,
    #[serde(default)]
    pub changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
pub struct OrgTeam {
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub privacy: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TeamAddEvent {
    pub team: OrgTeam,
    pub repository: Repository,
}

#[derive(Debug, Deserialize)]
pub struct MemberEvent {
    pub action: String,
    pub member: User,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct MembershipEvent {
    pub action: String,
    pub member: User,
    pub team: OrgTeam,
    #[serde(default)]
    pub organization: Option<Org>,
    pub sender: User,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrations::payload::parse;
    use serde_json::{Value, json};

    fn push(compare: Value, author: Value) -> Value {
        json!({
            "ref": "refs/heads/main",
            "compare": compare,
            "commits": [{"id": "1", "url": "u", "message": "m", "author": author}],
            "repository": {"name": "r", "full_name": "o/r", "html_url": "h"},
            "sender": {"login": "l"}
        })
    }

    #[test]
    fn optional_strings_read_and_refuse_as_plain_optional_strings() {
        let p = push(json!(null), json!({"name": "n"}));
        let read: PushEvent = parse(&p).unwrap();
        assert_eq!(read.compare, None);
        assert_eq!(read.commits[0].author.username, None);
        let p = push(json!("c"), json!({"name": "n", "username": "u"}));
        let read: PushEvent = parse(&p).unwrap();
        assert_eq!(read.compare.as_deref(), Some("c"));
        assert_eq!(read.commits[0].author.username.as_deref(), Some("u"));

        let p = push(json!(42), json!({"name": "n"}));
        let e = parse::<PushEvent>(&p).unwrap_err();
        assert_eq!(
            e.message,
            "field `compare`: invalid type: integer `42`, expected a string"
        );
        let p = push(json!(null), json!({"name": "n", "username": ["u"]}));
        let e = parse::<PushEvent>(&p).unwrap_err();
        assert_eq!(
            e.message,
            "field `commits[0].author.username`: invalid type: sequence, expected a string"
        );
    }
}
