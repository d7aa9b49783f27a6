//! GitHub webhook payloads, as much of each as the messages use
//! (docs.github.com "Webhook events and payloads"). Every field read is
//! typed, so a missing or mistyped one is named in the refusal.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Repository {
    pub name: String,
    pub full_name: String,
    pub html_url: String,
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
}

#[derive(Debug, Deserialize)]
pub struct Org {
    pub login: String,
}

#[derive(Debug, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    #[serde(default)]
    pub compare: Option<String>,
    #[serde(default)]
    pub forced: bool,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub commits: Vec<PushCommit>,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct PushCommit {
    pub id: String,
    pub url: String,
    pub message: String,
    pub author: CommitAuthor,
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
    #[serde(default)]
    pub requested_reviewer: Option<User>,
    #[serde(default)]
    pub requested_team: Option<Team>,
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
pub struct Comment {
    pub html_url: String,
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct ReleaseEvent {
    pub action: String,
    pub release: Release,
    pub repository: Repository,
    pub sender: User,
}

#[derive(Debug, Deserialize)]
pub struct Release {
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    pub html_url: String,
}

#[derive(Debug, Deserialize)]
pub struct RefEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub ref_type: String,
    pub repository: Repository,
    pub sender: User,
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
