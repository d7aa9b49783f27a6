//! CircleCI (`/api/v1/external/circleci`): project webhooks (the `type`
//! is `workflow-completed` or `job-completed`, or `ping`), and the legacy
//! per-build notification (`{"payload": {…}}`, event `build`).
//! `circleci-signature` (`v1=<hex>` HMAC-SHA256 of the body) is verified
//! when the webhook has a secret; `id` in the body is the delivery id but
//! is not a header, so there is no idempotency key. A pipeline's workflow
//! and its jobs are posted in the pipeline's thread.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse;
use super::text::{configured_message, first_line};
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct CircleCi;

const EVENTS: &[&str] = &["ping", "workflow-completed", "job-completed", "build"];

static VENDOR: Vendor = Vendor::new("circleci", "CircleCI", EVENTS)
    .hmac("circleci-signature", "v1=")
    .form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Event {
    project: Project,
    #[serde(default)]
    workflow: Option<Workflow>,
    pipeline: Pipeline,
    #[serde(default)]
    job: Option<Job>,
}

#[derive(Debug, Deserialize)]
struct Project {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Workflow {
    name: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Job {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    number: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Pipeline {
    number: u64,
    #[serde(default)]
    vcs: Option<Vcs>,
}

#[derive(Debug, Deserialize)]
struct Vcs {
    #[serde(default)]
    origin_repository_url: Option<String>,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    commit: Option<VcsCommit>,
}

#[derive(Debug, Deserialize)]
struct VcsCommit {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    author: Option<Person>,
}

#[derive(Debug, Deserialize)]
struct Person {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Legacy {
    payload: Build,
}

#[derive(Debug, Deserialize)]
struct Build {
    reponame: String,
    build_url: String,
    #[serde(default)]
    build_num: Option<u64>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    status: String,
    #[serde(default)]
    previous: Option<Previous>,
}

#[derive(Debug, Deserialize)]
struct Previous {
    #[serde(default)]
    status: Option<String>,
}

impl Integration for CircleCi {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        if let Some(kind) = payload.get("type").and_then(Value::as_str) {
            return Ok(kind.to_string());
        }
        if payload.get("payload").is_some_and(Value::is_object) {
            return Ok("build".to_string());
        }
        Err(VENDOR.anomalous())
    }

    fn format(&self, event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        match event {
            "ping" => {
                let name = payload
                    .pointer("/project/name")
                    .and_then(Value::as_str)
                    .unwrap_or("CircleCI");
                let body = configured_message("CircleCI", None);
                Ok(Formatted::one(name, name, body))
            }
            "build" => legacy(&parse(payload)?),
            _ => completed(event, &parse(payload)?),
        }
    }
}

/// `succeeded`, `failed`, … as a sentence's end.
fn status_words(status: &str) -> String {
    match status {
        "success" => "succeeded".to_string(),
        "failed" => "failed".to_string(),
        "error" => "errored".to_string(),
        "canceled" => "been canceled".to_string(),
        "unauthorized" => "been refused (unauthorized)".to_string(),
        "not_run" => "not run".to_string(),
        other => format!("ended with status `{other}`"),
    }
}

fn completed(event: &str, e: &Event) -> Formatting {
    let pipeline = e.pipeline.number;
    let mut body = if event == "job-completed" {
        let job = e
            .job
            .as_ref()
            .ok_or_else(|| IntegrationError::invalid("field `job` is required"))?;
        let number = job.number.map(|n| format!(" #{n}")).unwrap_or_default();
        format!(
            "Job `{}`{number} within Pipeline #{pipeline} has {}.",
            job.name,
            status_words(job.status.as_deref().unwrap_or("unknown"))
        )
    } else {
        let workflow = e
            .workflow
            .as_ref()
            .ok_or_else(|| IntegrationError::invalid("field `workflow` is required"))?;
        let name = match workflow.url.as_deref() {
            Some(url) => format!("[`{}`]({url})", workflow.name),
            None => format!("`{}`", workflow.name),
        };
        format!(
            "Workflow {name} within Pipeline #{pipeline} has {}.",
            status_words(workflow.status.as_deref().unwrap_or("unknown"))
        )
    };
    if let Some(details) = e.pipeline.vcs.as_ref().and_then(commit_details) {
        body.push_str("\n\n");
        body.push_str(&details);
    }
    let key = format!("{} / pipeline #{pipeline}", e.project.name);
    let topic = match &e.workflow {
        Some(w) => format!("{key} {}", w.name),
        None => key.clone(),
    };
    Ok(Formatted::one(key, topic, body))
}

/// `Triggered on [`<subject>`](<commit>) on branch `<b>` by <author>.`
fn commit_details(vcs: &Vcs) -> Option<String> {
    let commit = vcs.commit.as_ref()?;
    let subject = first_line(commit.subject.as_deref()?);
    let sha = vcs.revision.as_deref().unwrap_or("");
    let commit_path = if vcs.provider_name.as_deref() == Some("bitbucket") {
        "commits"
    } else {
        "commit"
    };
    let link = match vcs.origin_repository_url.as_deref() {
        Some(repo) if !sha.is_empty() => format!(
            "[`{subject}`]({}/{commit_path}/{sha})",
            repo.trim_end_matches('/')
        ),
        _ => format!("`{subject}`"),
    };
    let mut line = format!("Triggered on {link}");
    match (vcs.branch.as_deref(), vcs.tag.as_deref()) {
        (Some(branch), _) => line.push_str(&format!(" on branch `{branch}`")),
        (None, Some(tag)) => line.push_str(&format!(" on tag `{tag}`")),
        (None, None) => {}
    }
    if let Some(name) = commit.author.as_ref().and_then(|a| a.name.as_deref()) {
        line.push_str(&format!(" by {name}"));
    }
    Some(line + ".")
}

/// Zulip's legacy line: `[Build](<url>) triggered by <user> on <branch>
/// branch <status>.`, in the branch's thread.
fn legacy(l: &Legacy) -> Formatting {
    let b = &l.payload;
    let previous_failed = b
        .previous
        .as_ref()
        .and_then(|p| p.status.as_deref())
        .is_some_and(|s| s == "failed");
    let status = match b.status.as_str() {
        "failed" if previous_failed => "is still failing",
        "success" => "succeeded",
        other => other,
    };
    let build = match b.build_num {
        Some(n) => format!("Build #{n}"),
        None => "Build".to_string(),
    };
    let branch = b.branch.as_deref().unwrap_or("(no branch)");
    let body = format!(
        "[{build}]({}) triggered by {} on {branch} branch {status}.",
        b.build_url,
        b.username.as_deref().unwrap_or("(unknown)")
    );
    let key = format!("{} / {branch}", b.reponame);
    Ok(Formatted::one(key.clone(), key, body))
}
