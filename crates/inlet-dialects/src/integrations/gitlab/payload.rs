//! GitLab webhook payloads, as much of each as the messages use
//! (docs.gitlab.com "Webhook events"). Every field read is typed, so a
//! missing or mistyped one is named in the refusal.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Project {
    pub name: String,
    pub web_url: String,
    #[serde(default)]
    pub path_with_namespace: Option<String>,
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
}

#[derive(Debug, Deserialize)]
pub struct MergeRequestEvent {
    pub user: User,
    pub project: Project,
    pub object_attributes: MergeRequest,
    #[serde(default)]
    pub assignees: Vec<User>,
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
    pub project: Project,
    pub object_attributes: Issue,
    #[serde(default)]
    pub assignees: Vec<User>,
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
}

#[derive(Debug, Deserialize)]
pub struct Note {
    pub note: String,
    pub url: String,
    pub noteable_type: String,
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
