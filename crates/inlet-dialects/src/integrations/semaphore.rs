//! Semaphore (`/api/v1/external/semaphore`): Semaphore 2.0 notifications
//! (a finished pipeline: event `pipeline`) and Semaphore Classic's
//! (`event`: `build` or `deploy`). `X-Semaphore-Signature-256` (HMAC-SHA256
//! hex of the body, `sha256=` optional) is verified when the webhook has a
//! secret. Posts go to the thread of the project's branch, as Zulip's.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::text::first_line;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct Semaphore;

const EVENTS: &[&str] = &["pipeline", "build", "deploy"];

static VENDOR: Vendor = Vendor::new("semaphore", "Semaphore", EVENTS)
    .hmac_optional_prefix("X-Semaphore-Signature-256", "sha256=")
    .form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Notification {
    organization: Named,
    project: Named,
    #[serde(default)]
    repository: Option<Repository>,
    revision: Revision,
    pipeline: Pipeline,
    workflow: Workflow,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Repository {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Revision {
    #[serde(default)]
    reference_type: Option<String>,
    #[serde(default)]
    commit_sha: Option<String>,
    #[serde(default)]
    commit_message: Option<String>,
    #[serde(default)]
    sender: Option<Sender>,
    #[serde(default)]
    branch: Option<Named>,
    #[serde(default)]
    tag: Option<Named>,
    #[serde(default)]
    pull_request: Option<PullRequest>,
}

#[derive(Debug, Deserialize)]
struct Sender {
    #[serde(default)]
    login: String,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    /// A string in Semaphore's payloads (`"3"`); a number is taken too.
    number: Value,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    branch_name: Option<String>,
}

impl PullRequest {
    fn number(&self) -> String {
        match &self.number {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Pipeline {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    yaml_file_name: Option<String>,
    result: String,
    #[serde(default)]
    result_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Workflow {
    id: String,
}

#[derive(Debug, Deserialize)]
struct Classic {
    branch_name: String,
    project_name: String,
    result: String,
    event: String,
    commit: ClassicCommit,
    #[serde(default)]
    build_url: Option<String>,
    #[serde(default)]
    build_html_url: Option<String>,
    #[serde(default)]
    build_number: Option<u64>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    number: Option<u64>,
    #[serde(default)]
    server_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ClassicCommit {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    message: String,
}

impl Integration for Semaphore {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        if payload.get("pipeline").is_some_and(Value::is_object) {
            return Ok("pipeline".to_string());
        }
        match payload.get("event").and_then(Value::as_str) {
            Some(event) if payload.get("project_name").is_some() => Ok(event.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        if event == "pipeline" {
            pipeline(&parse_without_nulls(payload)?)
        } else {
            classic(&parse_without_nulls(payload)?)
        }
    }
}

/// What a pipeline ran on: the words for the message, the thread's name
/// and, for a pull request, its stable thread key.
struct Reference {
    built: String,
    name: Option<String>,
    key: Option<String>,
}

/// The repository's address when it is on GitHub, whose pull request, tag
/// and user pages are linked (as Zulip does, only there).
fn github_repo(n: &Notification) -> Option<&str> {
    n.repository
        .as_ref()
        .and_then(|r| r.url.as_deref())
        .filter(|u| u.starts_with("https://github.com/"))
        .map(|u| u.trim_end_matches('/'))
}

fn reference(n: &Notification) -> Reference {
    let r = &n.revision;
    let project = &n.project.name;
    let linked = |text: String, path: String| match github_repo(n) {
        Some(repo) => format!("[{text}]({repo}/{path})"),
        None => text,
    };
    match (r.reference_type.as_deref(), &r.tag, &r.pull_request) {
        (Some("tag"), Some(tag), _) => Reference {
            built: format!(
                " on tag {}",
                linked(tag.name.clone(), format!("tree/{}", tag.name))
            ),
            name: Some(tag.name.clone()),
            key: None,
        },
        (Some("pull_request"), _, Some(pr)) => {
            let number = pr.number();
            let title = pr
                .name
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let text = format!("#{number}{title}");
            let from = pr
                .branch_name
                .as_deref()
                .map(|b| format!(" from branch {b}"))
                .unwrap_or_default();
            Reference {
                built: format!(
                    " on pull request {}{from}",
                    linked(text.clone(), format!("pull/{number}"))
                ),
                name: Some(text),
                key: Some(format!("{project} / PR #{number}")),
            }
        }
        (Some("branch") | None, _, _) if r.branch.is_some() => {
            let branch = r.branch.as_ref().map_or("", |b| b.name.as_str());
            Reference {
                built: format!(" on branch {branch}"),
                name: Some(branch.to_string()),
                key: None,
            }
        }
        // A reference Semaphore may add later: the project's thread.
        _ => Reference {
            built: String::new(),
            name: None,
            key: None,
        },
    }
}

fn pipeline(n: &Notification) -> Formatting {
    let r = &n.revision;
    let workflow_url = format!(
        "https://{}.semaphoreci.com/workflows/{}",
        n.organization.name, n.workflow.id
    );
    let file = n.pipeline.yaml_file_name.as_deref().unwrap_or("pipeline");
    let workflow = match n.pipeline.name.as_deref().filter(|p| !p.is_empty()) {
        Some(name) => format!("[{name}]({workflow_url}) pipeline `{file}`"),
        None => format!("[Workflow]({workflow_url}) `{file}`"),
    };
    let mut result = format!("**{}**", n.pipeline.result);
    if let Some(reason) = n
        .pipeline
        .result_reason
        .as_deref()
        .filter(|r| !r.is_empty())
    {
        result.push_str(&format!(" ({reason})"));
    }
    let reference = reference(n);
    let mut lines = vec![format!("{workflow} {result}{}.", reference.built)];
    if let Some(sha) = r.commit_sha.as_deref() {
        let short = sha.get(..7).unwrap_or(sha);
        let repo = n.repository.as_ref().and_then(|r| r.url.as_deref());
        let commit = match repo {
            Some(url) => format!("[`{short}`]({}/commit/{sha})", url.trim_end_matches('/')),
            None => format!("`{short}`"),
        };
        let message = first_line(r.commit_message.as_deref().unwrap_or(""));
        lines.push(
            format!("* **Commit**: {commit} {message}")
                .trim_end()
                .to_string(),
        );
    }
    if let Some(sender) = r.sender.as_ref().filter(|s| !s.login.is_empty()) {
        let author = match github_repo(n) {
            Some(_) => format!("[{0}](https://github.com/{0})", sender.login),
            None => sender.login.clone(),
        };
        lines.push(format!("* **Author**: {author}"));
    }
    let project = &n.project.name;
    let topic = match reference.name {
        Some(name) => format!("{project} / {name}"),
        None => project.clone(),
    };
    let key = reference.key.unwrap_or_else(|| topic.clone());
    Ok(Formatted::one(key, topic, lines.join("\n")))
}

/// Zulip's Classic message: the build (or deploy of a build on a
/// server) and its result, then the commit.
fn classic(c: &Classic) -> Formatting {
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let link = |text: String, url: &Option<String>| match url {
        Some(url) => format!("[{text}]({url})"),
        None => text,
    };
    let head = match c.event.as_str() {
        "deploy" => format!(
            "{} of {} on server {}: {}",
            link(format!("deploy {}", number(c.number)), &c.html_url),
            link(
                format!("build {}", number(c.build_number)),
                &c.build_html_url
            ),
            c.server_name.as_deref().unwrap_or("(unknown)"),
            c.result
        ),
        _ => format!(
            "{}: {}",
            link(format!("build {}", number(c.build_number)), &c.build_url),
            c.result
        ),
    };
    let sha = c.commit.id.get(..7).unwrap_or(&c.commit.id);
    let by = c
        .commit
        .author_name
        .as_deref()
        .map(|a| format!("{a}: "))
        .unwrap_or_default();
    let body = format!(
        "{head}\n{by}{} {}",
        link(format!("`{sha}`"), &c.commit.url),
        first_line(&c.commit.message)
    );
    let key = format!("{} / {}", c.project_name, c.branch_name);
    Ok(Formatted::one(key.clone(), key, body))
}
