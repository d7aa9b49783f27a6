//! Azure DevOps (`/api/v1/external/azuredevops`, a Web Hooks service
//! hook): the event is the payload's `eventType`; Azure DevOps does not
//! sign its requests (it can send basic-auth credentials, which the
//! `api_key` already stands for). Wording follows Zulip's integration and
//! the shared git messages (`git/`).

use super::error::IntegrationError;
use super::git::{self, ItemLine, item_message};
use super::params::{Headers, Params};
use super::payload::parse_without_nulls;
use super::vendor::{Vendor, vendor_methods};
use super::{Formatted, Formatting, IgnoreReason, Integration};
use serde::Deserialize;
use serde_json::Value;

pub struct AzureDevOps;

const EVENTS: &[&str] = &[
    "git.push",
    "git.pullrequest.created",
    "git.pullrequest.merged",
    "git.pullrequest.updated",
];

static VENDOR: Vendor = Vendor::new("azuredevops", "Azure DevOps", EVENTS).form_bodies_as_json();

#[derive(Debug, Deserialize)]
struct Event<R> {
    resource: R,
    #[serde(default, rename = "detailedMessage")]
    detailed_message: Option<Text>,
}

#[derive(Debug, Deserialize)]
struct Text {
    #[serde(default)]
    markdown: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Push {
    pushed_by: Identity,
    ref_updates: Vec<RefUpdate>,
    #[serde(default)]
    commits: Vec<Commit>,
    repository: Repository,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    display_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefUpdate {
    name: String,
    #[serde(default)]
    old_object_id: String,
    #[serde(default)]
    new_object_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Commit {
    commit_id: String,
    #[serde(default)]
    author: Option<CommitAuthor>,
    #[serde(default)]
    comment: String,
}

#[derive(Debug, Deserialize)]
struct CommitAuthor {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Repository {
    name: String,
    remote_url: String,
    #[serde(default)]
    web_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullRequest {
    pull_request_id: u64,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    merge_status: Option<String>,
    created_by: Identity,
    #[serde(default)]
    source_ref_name: String,
    #[serde(default)]
    target_ref_name: String,
    repository: Repository,
    #[serde(default, rename = "_links")]
    links: Option<PrLinks>,
}

#[derive(Debug, Deserialize)]
struct PrLinks {
    #[serde(default)]
    web: Option<Href>,
}

#[derive(Debug, Deserialize)]
struct Href {
    #[serde(default)]
    href: String,
}

impl PullRequest {
    /// The pull request's page, else its address under the repository's.
    fn web_url(&self) -> String {
        let web = self.links.as_ref().and_then(|l| l.web.as_ref());
        match web.map(|w| w.href.as_str()).filter(|h| !h.is_empty()) {
            Some(href) => href.to_string(),
            None => {
                let repo = self
                    .repository
                    .web_url
                    .as_deref()
                    .unwrap_or(&self.repository.remote_url);
                format!(
                    "{}/pullrequest/{}",
                    repo.trim_end_matches('/'),
                    self.pull_request_id
                )
            }
        }
    }
}

impl Integration for AzureDevOps {
    vendor_methods!(VENDOR);

    /// Every service-hook notification names its `eventType`.
    fn event_of(&self, _: &Headers<'_>, payload: &Value) -> Result<String, IntegrationError> {
        match (payload.get("eventType"), payload.get("resource")) {
            (Some(Value::String(event)), Some(Value::Object(_))) => Ok(event.clone()),
            _ => Err(VENDOR.anomalous()),
        }
    }

    fn format(&self, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
        match event {
            "git.push" => push(&parse_without_nulls(payload)?, params),
            _ => pull_request(event, &parse_without_nulls(payload)?),
        }
    }
}

fn push(p: &Event<Push>, params: &Params<'_>) -> Formatting {
    let push = &p.resource;
    let Some(update) = push.ref_updates.first() else {
        return Err(IntegrationError::invalid(
            "field `resource.refUpdates` is empty",
        ));
    };
    let branch = git::branch_of(&update.name);
    if !params.branch_allowed(branch) {
        return Ok(Formatted::Ignore(IgnoreReason::Filtered));
    }
    let repo_url = push.repository.remote_url.trim_end_matches('/');
    let compare = format!(
        "{repo_url}/branchCompare?baseVersion=GC{}&targetVersion=GC{}&_a=files",
        update.old_object_id, update.new_object_id
    );
    let urls: Vec<String> = push
        .commits
        .iter()
        .map(|c| format!("{repo_url}/commit/{}", c.commit_id))
        .collect();
    let commits: Vec<git::Commit<'_>> = push
        .commits
        .iter()
        .zip(&urls)
        .map(|(c, url)| git::Commit {
            sha: &c.commit_id,
            url,
            message: &c.comment,
            author: c.author.as_ref().map_or("", |a| a.name.as_str()),
        })
        .collect();
    let deleted = git::is_zero_sha(&update.new_object_id);
    let message = git::Push {
        user: &push.pushed_by.display_name,
        // A deleted branch has nothing to compare.
        compare_url: (!deleted).then_some(compare.as_str()),
        branch,
        forced: false,
        deleted,
        commits: &commits,
        repo_link: None,
    };
    Ok(git::push_formatted(&push.repository.name, &message))
}

/// Created, merged or updated, in the pull request's thread; a merge
/// attempt that did not complete (a conflict) posts nothing, as in Zulip.
fn pull_request(event: &str, p: &Event<PullRequest>) -> Formatting {
    let pr = &p.resource;
    let (source, target) = (
        git::branch_of(&pr.source_ref_name),
        git::branch_of(&pr.target_ref_name),
    );
    let branches = (!source.is_empty() && !target.is_empty()).then_some((source, target));
    let (action, branches, body) = match event {
        "git.pullrequest.created" => ("created", branches, pr.description.as_deref()),
        "git.pullrequest.merged" => {
            let completed = pr.status.as_deref() == Some("completed")
                && pr.merge_status.as_deref() == Some("succeeded");
            if !completed {
                return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
            }
            ("merged", branches, None)
        }
        _ => (
            "updated",
            None,
            p.detailed_message
                .as_ref()
                .and_then(|m| m.markdown.as_deref()),
        ),
    };
    let url = pr.web_url();
    let item = ItemLine {
        user: &pr.created_by.display_name,
        action,
        kind: "PR",
        number: pr.pull_request_id,
        url: &url,
        title: Some(&pr.title),
        branches,
        assignee: None,
        body: body.filter(|b| !b.trim().is_empty()),
    };
    let (key, topic) = git::item_thread(&pr.repository.name, "PR", pr.pull_request_id, &pr.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}
