//! CircleCI (`/api/v1/external/circleci`): project webhooks (the `type`
//! is `workflow-completed` or `job-completed`, or `ping`), and the legacy
//! per-build notification (`{"payload": {…}}`, event `build`).
//! `circleci-signature` (`v1=<hex>` HMAC-SHA256 of the body) is verified
//! when the webhook has a secret; `id` in the body is the delivery id but
//! is not a header, so there is no idempotency key. A pipeline's workflow
//! and its jobs are posted in the pipeline's thread.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
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
    /// Needed for a workflow's message; a job's names it only in the topic.
    #[serde(default)]
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
    #[serde(default)]
    trigger_parameters: Option<TriggerParameters>,
}

/// A GitLab-triggered pipeline names its commit here, not in `vcs`.
#[derive(Debug, Deserialize)]
struct TriggerParameters {
    #[serde(default)]
    gitlab: Option<GitLabTrigger>,
}

#[derive(Debug, Deserialize)]
struct GitLabTrigger {
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default)]
    checkout_sha: Option<String>,
    #[serde(default)]
    commit_sha: Option<String>,
    #[serde(default)]
    commit_title: Option<String>,
    #[serde(default)]
    commit_author_name: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    tag: Option<String>,
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
                // CircleCI's test ping names the webhook it tests, as Zulip says.
                let body = match payload.pointer("/webhook/name").and_then(Value::as_str) {
                    Some(hook) if !hook.is_empty() => {
                        format!("CircleCI webhook '{hook}' has been successfully configured.")
                    }
                    _ => configured_message("CircleCI", None),
                };
                Ok(Formatted::one(name, name, body))
            }
            "build" => legacy(&parse_without_nulls(payload)?),
            _ => completed(event, &parse_without_nulls(payload)?),
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
    if let Some(details) = trigger_of(&e.pipeline).as_ref().and_then(Trigger::line) {
        body.push_str("\n\n");
        body.push_str(&details);
    }
    let key = format!("{} / pipeline #{pipeline}", e.project.name);
    let topic = match e.workflow.as_ref().filter(|w| !w.name.is_empty()) {
        Some(w) => format!("{key} {}", w.name),
        None => key.clone(),
    };
    Ok(Formatted::one(key, topic, body))
}

/// What started a pipeline, from `vcs` (GitHub, Bitbucket) or from the
/// GitLab trigger parameters.
struct Trigger<'a> {
    commit_url: Option<String>,
    sha: &'a str,
    subject: Option<&'a str>,
    branch: Option<&'a str>,
    tag: Option<&'a str>,
    author: Option<&'a str>,
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

fn trigger_of(pipeline: &Pipeline) -> Option<Trigger<'_>> {
    if let Some(vcs) = &pipeline.vcs {
        let sha = vcs.revision.as_deref().unwrap_or("");
        let commit_path = if vcs.provider_name.as_deref() == Some("bitbucket") {
            "commits"
        } else {
            "commit"
        };
        let commit = vcs.commit.as_ref();
        return Some(Trigger {
            commit_url: nonempty(&vcs.origin_repository_url)
                .filter(|_| !sha.is_empty())
                .map(|repo| format!("{}/{commit_path}/{sha}", repo.trim_end_matches('/'))),
            sha,
            subject: commit.and_then(|c| nonempty(&c.subject)),
            branch: nonempty(&vcs.branch),
            tag: nonempty(&vcs.tag),
            author: commit
                .and_then(|c| c.author.as_ref())
                .and_then(|a| nonempty(&a.name)),
        });
    }
    let gitlab = pipeline.trigger_parameters.as_ref()?.gitlab.as_ref()?;
    let sha = nonempty(&gitlab.checkout_sha)
        .or(nonempty(&gitlab.commit_sha))
        .unwrap_or("");
    Some(Trigger {
        commit_url: nonempty(&gitlab.web_url)
            .filter(|_| !sha.is_empty())
            .map(|repo| format!("{}/-/commit/{sha}", repo.trim_end_matches('/'))),
        sha,
        subject: nonempty(&gitlab.commit_title),
        branch: nonempty(&gitlab.branch),
        tag: nonempty(&gitlab.tag),
        author: nonempty(&gitlab.commit_author_name),
    })
}

impl Trigger<'_> {
    /// `Triggered on [`<sha>: <subject>`](<commit>) on branch `<b>` by
    /// <author>.`; a pipeline run by hand or on a tag names no commit
    /// subject, only the revision: `Triggered on `<b>`'s HEAD on
    /// [<sha>](<commit>).`
    fn line(&self) -> Option<String> {
        let short = self.sha.get(..11).unwrap_or(self.sha);
        let link = |text: String| match &self.commit_url {
            Some(url) => format!("[{text}]({url})"),
            None => text,
        };
        let Some(subject) = self.subject else {
            if self.sha.is_empty() {
                return None;
            }
            let revision = link(short.to_string());
            return Some(match (self.branch, self.tag) {
                (_, Some(tag)) => format!("Triggered on tag `{tag}` at {revision}."),
                (Some(branch), None) => format!("Triggered on `{branch}`'s HEAD on {revision}."),
                (None, None) => format!("Triggered on the latest tag on {revision}."),
            });
        };
        let subject = first_line(subject);
        let text = if short.is_empty() {
            format!("`{subject}`")
        } else {
            format!("`{short}: {subject}`")
        };
        let mut line = format!("Triggered on {}", link(text));
        match (self.branch, self.tag) {
            (Some(branch), _) => line.push_str(&format!(" on branch `{branch}`")),
            (None, Some(tag)) => line.push_str(&format!(" on tag `{tag}`")),
            (None, None) => {}
        }
        if let Some(name) = self.author {
            line.push_str(&format!(" by {name}"));
        }
        Some(line + ".")
    }
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
