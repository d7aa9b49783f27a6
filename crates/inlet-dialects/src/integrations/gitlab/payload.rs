//! GitLab webhook payloads, as much of each as the messages use
//! (docs.gitlab.com "Webhook events"). Every field read is typed, so a
//! missing or mistyped one is named in the refusal.

use crate::integrations::git::payload as git;
use serde::Deserialize;

pub type PushCommit = git::PushCommit<CommitAuthor>;

#[derive(Debug, Deserialize)]
pub struct Project {
    pub name: String,
    pub web_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct User {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct TestHook {
    pub project: Project,
    #[serde(default)]
    pub user_name: Option<String>,
}

/// `Push Hook` and `Tag Push Hook`.
#[derive(Debug, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub before: String,
    pub after: String,
    pub user_name: String,
    pub project: Project,
    #[serde(default)]
    pub commits: Vec<PushCommit>,
    /// Every pushed commit, where `commits` lists at most 20.
    #[serde(default)]
    pub total_commits_count: Option<usize>,
    /// `null` when a tag is deleted (what Zulip reads).
    #[serde(default)]
    pub checkout_sha: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CommitAuthor {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct MergeRequestEvent {
    pub user: User,
    pub project: Project,
    pub object_attributes: MergeRequest,
    #[serde(default)]
    pub assignees: Vec<User>,
    /// Older GitLab versions send one `assignee` instead of `assignees`.
    #[serde(default)]
    pub assignee: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct MergeRequest {
    pub iid: u64,
    pub title: String,
    pub url: String,
    pub source_branch: String,
    pub target_branch: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// Present on an update that added commits.
    #[serde(default)]
    pub oldrev: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct IssueEvent {
    pub user: User,
    /// `null` for a group's work item (an epic).
    #[serde(default)]
    pub project: Option<Project>,
    pub object_attributes: Issue,
    #[serde(default)]
    pub assignees: Vec<User>,
    /// As for merge requests.
    #[serde(default)]
    pub assignee: Option<User>,
}

#[derive(Debug, Deserialize)]
pub struct Issue {
    pub iid: u64,
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NoteEvent {
    pub user: User,
    pub project: Project,
    pub object_attributes: Note,
    #[serde(default)]
    pub merge_request: Option<Noted>,
    #[serde(default)]
    pub issue: Option<Noted>,
    #[serde(default)]
    pub commit: Option<NotedCommit>,
    #[serde(default)]
    pub snippet: Option<NotedSnippet>,
}

#[derive(Debug, Deserialize)]
pub struct Note {
    #[serde(default)]
    pub id: Option<u64>,
    pub note: String,
    /// `null` on design comments.
    #[serde(default)]
    pub url: Option<String>,
    pub noteable_type: String,
    /// On a design: `new_path` is `designs/issue-<n>/<file name>`.
    #[serde(default)]
    pub position: Option<NotePosition>,
}

#[derive(Debug, Deserialize)]
pub struct NotePosition {
    pub new_path: String,
}

#[derive(Debug, Deserialize)]
pub struct NotedSnippet {
    pub id: u64,
    pub title: String,
    /// Only sent since GitLab 16.1.
    #[serde(default)]
    pub url: Option<String>,
}

/// The merge request or issue a note is on.
#[derive(Debug, Deserialize)]
pub struct Noted {
    pub iid: u64,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct NotedCommit {
    pub id: String,
    pub url: String,
}

#[derive(Debug, Deserialize)]
pub struct PipelineEvent {
    pub project: Project,
    pub object_attributes: Pipeline,
    #[serde(default)]
    pub builds: Vec<Build>,
}

#[derive(Debug, Deserialize)]
pub struct Pipeline {
    pub id: u64,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub status: String,
}

#[derive(Debug, Deserialize)]
pub struct Build {
    pub id: u64,
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub artifacts_file: Option<Artifacts>,
}

#[derive(Debug, Deserialize)]
pub struct Artifacts {
    #[serde(default)]
    pub filename: Option<String>,
}

/// `Job Hook` (`object_kind: build`).
#[derive(Debug, Deserialize)]
pub struct JobEvent {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub build_id: u64,
    pub build_name: String,
    pub build_stage: String,
    pub build_status: String,
    pub repository: JobRepository,
}

#[derive(Debug, Deserialize)]
pub struct JobRepository {
    pub name: String,
    pub homepage: String,
}

#[derive(Debug, Deserialize)]
pub struct ReleaseEvent {
    pub name: String,
    pub tag: String,
    pub url: String,
    pub action: String,
    #[serde(default)]
    pub description: Option<String>,
    pub project: Project,
}

/// `Deployment Hook`.
#[derive(Debug, Deserialize)]
pub struct DeploymentEvent {
    pub status: String,
    pub environment: String,
    #[serde(default)]
    pub deployable_url: Option<String>,
    #[serde(default)]
    pub commit_url: Option<String>,
    #[serde(default)]
    pub commit_title: Option<String>,
    pub user: User,
    #[serde(default)]
    pub user_url: Option<String>,
    pub project: Project,
}

/// `Feature Flag Hook`.
#[derive(Debug, Deserialize)]
pub struct FeatureFlagEvent {
    pub user: Username,
    pub project: Project,
    pub object_attributes: FeatureFlag,
}

#[derive(Debug, Deserialize)]
pub struct Username {
    pub username: String,
}

#[derive(Debug, Deserialize)]
pub struct FeatureFlag {
    pub name: String,
    pub active: bool,
}

/// `Resource Access Token Hook`: a project's or a group's token expires.
#[derive(Debug, Deserialize)]
pub struct AccessTokenEvent {
    #[serde(default)]
    pub project: Option<Project>,
    #[serde(default)]
    pub group: Option<Group>,
    pub object_attributes: AccessToken,
}

#[derive(Debug, Deserialize)]
pub struct Group {
    pub group_name: String,
}

#[derive(Debug, Deserialize)]
pub struct AccessToken {
    pub name: String,
    /// `YYYY-MM-DD`.
    pub expires_at: String,
}

/// `Wiki Page Hook`.
#[derive(Debug, Deserialize)]
pub struct WikiPageEvent {
    pub user: User,
    pub project: Project,
    pub object_attributes: WikiPage,
}

#[derive(Debug, Deserialize)]
pub struct WikiPage {
    pub title: String,
    pub url: String,
    #[serde(default)]
    pub action: Option<String>,
}
