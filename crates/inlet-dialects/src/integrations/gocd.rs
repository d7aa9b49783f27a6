//! GoCD (`/api/v1/external/gocd`, the WebHook Notifier plugin): a stage's
//! status change (`type`: `stage`) is posted when it starts building and
//! when it completes, both in the thread of that run of the stage. Agent
//! notifications (`type`: `agent`) are not posted. The plugin does not
//! sign its requests.

use super::error::IntegrationError;
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct GoCd;

const EVENTS: &[&str] = &["stage"];

static VENDOR: Vendor = Vendor::new("gocd", "GoCD", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Notification {
    data: Data,
}

#[derive(Debug, Deserialize)]
struct Data {
    pipeline: Pipeline,
}

#[derive(Debug, Deserialize)]
struct Pipeline {
    name: String,
    #[serde(default)]
    counter: Option<Value>,
    #[serde(default, rename = "build-cause")]
    build_cause: Vec<BuildCause>,
    stage: Stage,
}

#[derive(Debug, Deserialize)]
struct BuildCause {
    #[serde(default)]
    material: Option<Material>,
    #[serde(default)]
    modifications: Vec<Modification>,
}

#[derive(Debug, Deserialize)]
struct Material {
    #[serde(default, rename = "git-configuration")]
    git: Option<GitConfiguration>,
}

#[derive(Debug, Deserialize)]
struct GitConfiguration {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    branch: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Modification {
    #[serde(default)]
    revision: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Stage {
    name: String,
    state: String,
    #[serde(default)]
    result: Option<String>,
    #[serde(default, rename = "create-time")]
    create_time: Option<String>,
    #[serde(default, rename = "last-transition-time")]
    last_transition_time: Option<String>,
    #[serde(default)]
    jobs: Vec<Job>,
}

#[derive(Debug, Deserialize)]
struct Job {
    #[serde(default)]
    name: String,
    #[serde(default)]
    result: Option<String>,
}

impl Integration for GoCd {
    vendor_methods!(VENDOR);

    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        let has_data = payload.get("data").is_some_and(Value::is_object);
        match payload.get("type").and_then(Value::as_str) {
            Some(kind) if has_data => Ok(kind.to_string()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, _event: &str, payload: &Value, _params: &Params<'_>) -> Formatting {
        let n: Notification = parse_without_nulls(payload)?;
        let p = &n.data.pipeline;
        let stage = &p.stage;
        let status = stage.state.to_lowercase();
        let started = stage.create_time.as_deref().unwrap_or("(unknown)");
        let mut lines = if status == "building" {
            vec![format!(
                "**Pipeline {status}**: {} / {}",
                p.name, stage.name
            )]
        } else {
            let emoji = if stage.result.as_deref() == Some("Passed") {
                ":green_circle:"
            } else {
                ":red_circle:"
            };
            vec![format!(
                "{emoji} **Build {status}**: {} / {}",
                p.name, stage.name
            )]
        };
        if let Some(commit) = commit_details(p) {
            lines.push(format!("- **Commit**: {commit}"));
        }
        lines.push(format!("- **Started**: {started}"));
        if status != "building" {
            let finished = stage.last_transition_time.as_deref().unwrap_or("(unknown)");
            lines.push(format!("- **Finished**: {finished}"));
            // Jobs grouped by result, in order of first appearance.
            let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
            for job in &stage.jobs {
                let result = job.result.as_deref().unwrap_or("Unknown");
                let name = format!("`{}`", job.name);
                match groups.iter_mut().find(|(r, _)| *r == result) {
                    Some((_, names)) => names.push(name),
                    None => groups.push((result, vec![name])),
                }
            }
            for (result, names) in groups {
                lines.push(format!("- **{result}**: {}", names.join(", ")));
            }
        }
        let counter = match &p.counter {
            Some(Value::String(c)) => format!(" #{c}"),
            Some(Value::Number(c)) => format!(" #{c}"),
            _ => String::new(),
        };
        let key = format!("{}{counter} / {}", p.name, stage.name);
        Ok(Formatted::one(key.clone(), key, lines.join("\n")))
    }
}

/// ``[`<sha11>`](<repo>/commit/<sha>) on branch `<b>` `` from the first
/// git material that changed (the short id is as long as Zulip's).
fn commit_details(p: &Pipeline) -> Option<String> {
    let cause = p.build_cause.first()?;
    let git = cause.material.as_ref()?.git.as_ref()?;
    let revision = cause.modifications.first()?.revision.as_deref()?;
    let sha = revision.get(..11).unwrap_or(revision);
    let mut line = match git.url.as_deref() {
        Some(url) => {
            let url = url.trim_end_matches(".git").trim_end_matches('/');
            format!("[`{sha}`]({url}/commit/{revision})")
        }
        None => format!("`{sha}`"),
    };
    if let Some(branch) = git.branch.as_deref() {
        line.push_str(&format!(" on branch `{branch}`"));
    }
    Some(line)
}
