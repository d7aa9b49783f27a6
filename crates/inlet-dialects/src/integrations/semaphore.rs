//! Semaphore (`/api/v1/external/semaphore`): Semaphore 2.0 notifications
//! (a finished pipeline: event `pipeline`) and Semaphore Classic's
//! (`event`: `build` or `deploy`). `X-Semaphore-Signature-256` (HMAC-SHA256
//! hex of the body, `sha256=` optional) is verified when the webhook has a
//! secret. Posts go to the thread of the project's branch, as Zulip's.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
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
    login: String,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    number: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pipeline {
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
    url: String,
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
            pipeline(&parse(payload)?)
        } else {
            classic(&parse(payload)?)
        }
    }
}

fn pipeline(n: &Notification) -> Formatting {
    let r = &n.revision;
    let workflow_url = format!(
        "https://{}.semaphoreci.com/workflows/{}",
        n.organization.name, n.workflow.id
    );
    let file = n.pipeline.yaml_file_name.as_deref().unwrap_or("pipeline");
    let mut result = format!("**{}**", n.pipeline.result);
    if let Some(reason) = n
        .pipeline
        .result_reason
        .as_deref()
        .filter(|r| !r.is_empty())
    {
        result.push_str(&format!(" ({reason})"));
    }
    let project = &n.project.name;
    // (what was built, its name, its stable thread key)
    let (kind, name, key) = match (r.reference_type.as_deref(), &r.tag, &r.pull_request) {
        (Some("tag"), Some(tag), _) => ("tag", tag.name.clone(), None),
        (Some("pull_request"), _, Some(pr)) => {
            let title = pr
                .name
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let key = format!("{project} / PR #{}", pr.number);
            ("pull request", format!("#{}{title}", pr.number), Some(key))
        }
        _ => {
            let branch = r.branch.as_ref().map_or("", |b| b.name.as_str());
            ("branch", branch.to_string(), None)
        }
    };
    let mut lines = vec![format!(
        "[Workflow]({workflow_url}) `{file}` {result} on {kind} {name}."
    )];
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
    if let Some(sender) = &r.sender {
        lines.push(format!("* **Author**: {}", sender.login));
    }
    let topic = format!("{project} / {name}");
    let key = key.unwrap_or_else(|| topic.clone());
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
        "{head}\n{by}[`{sha}`]({}) {}",
        c.commit.url,
        first_line(&c.commit.message)
    );
    let key = format!("{} / {}", c.project_name, c.branch_name);
    Ok(Formatted::one(key.clone(), key, body))
}
