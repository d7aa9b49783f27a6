//! GitLab messages, in Zulip's wording (research notes, section 2.2).
//! Thread keys are stable (`<repo> / MR #<iid>`); display topics add titles.

use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::git::{
    Commit, ItemLine, Push, item_link, item_message, join_and, push_message,
};
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::{configured_message, quote};
use crate::integrations::{Formatted, IgnoreReason};
use serde_json::Value;

pub fn format(
    event: &str,
    payload: &Value,
    params: &Params<'_>,
) -> Result<Formatted, IntegrationError> {
    match event {
        "Test Hook" => test_hook(&parse(payload)?),
        "Push Hook" => push(&parse(payload)?, params),
        "Tag Push Hook" => tag_push(&parse(payload)?),
        e if e.starts_with("Merge Request Hook ") => merge_request(&parse(payload)?, params),
        e if e.starts_with("Issue Hook ") => issue(&parse(payload)?, params),
        e if e.starts_with("Note Hook ") => note(&parse(payload)?, params),
        "Pipeline Hook" => pipeline(&parse(payload)?),
        "Job Hook" => job(&parse(payload)?),
        "Release Hook" => release(&parse(payload)?),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn test_hook(p: &TestHook) -> Result<Formatted, IntegrationError> {
    let body = configured_message("GitLab", p.user_name.as_deref());
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// GitLab marks a deleted ref with an all-zero `after`.
fn is_zero_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn compare_url(p: &PushEvent) -> Option<String> {
    (!is_zero_sha(&p.before) && !is_zero_sha(&p.after))
        .then(|| format!("{}/-/compare/{}...{}", p.project.web_url, p.before, p.after))
}

fn push(p: &PushEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let branch = p.git_ref.strip_prefix("refs/heads/").unwrap_or(&p.git_ref);
    if !params.branch_allowed(branch) {
        return Ok(Formatted::Ignore(IgnoreReason::Filtered));
    }
    let commits: Vec<Commit<'_>> = p
        .commits
        .iter()
        .map(|c| Commit {
            sha: &c.id,
            url: &c.url,
            message: &c.message,
            author: &c.author.name,
        })
        .collect();
    let compare = compare_url(p);
    let push = Push {
        user: &p.user_name,
        compare_url: compare.as_deref(),
        branch,
        forced: false,
        deleted: is_zero_sha(&p.after),
        commits: &commits,
        repo_link: params.topic_overridden().then(|| project_link(&p.project)),
    };
    let key = format!("{} / {branch}", p.project.name);
    Ok(Formatted::one(key.clone(), key, push_message(&push)))
}

fn tag_push(p: &PushEvent) -> Result<Formatted, IntegrationError> {
    let tag = p.git_ref.strip_prefix("refs/tags/").unwrap_or(&p.git_ref);
    let verb = if is_zero_sha(&p.after) {
        "removed"
    } else {
        "pushed"
    };
    let body = format!("{} {verb} tag {tag}.", p.user_name);
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

fn project_link(project: &Project) -> String {
    let name = project
        .path_with_namespace
        .as_deref()
        .unwrap_or(&project.name);
    format!("[{name}]({})", project.web_url)
}

/// `<repo> / <kind> #<iid>` and the same with the title.
fn item_thread(project: &Project, kind: &str, iid: u64, title: &str) -> (String, String) {
    let key = format!("{} / {kind} #{iid}", project.name);
    let topic = format!("{key} {title}");
    (key, topic)
}

fn assignee_names(assignees: &[User]) -> Option<String> {
    let names: Vec<String> = assignees.iter().map(|a| a.name.clone()).collect();
    (!names.is_empty()).then(|| join_and(&names))
}

fn merge_request(
    p: &MergeRequestEvent,
    params: &Params<'_>,
) -> Result<Formatted, IntegrationError> {
    let mr = &p.object_attributes;
    let assignees = assignee_names(&p.assignees);
    let mut item = ItemLine {
        user: &p.user.name,
        action: "",
        kind: "MR",
        number: mr.iid,
        url: &mr.url,
        title: params.topic_overridden().then_some(mr.title.as_str()),
        branches: None,
        assignee: None,
        body: None,
    };
    let description = mr.description.as_deref().map(strip_html_comments);
    match mr.action.as_deref().unwrap_or("open") {
        "open" => {
            item.action = "created";
            item.branches = Some((&mr.source_branch, &mr.target_branch));
            item.assignee = assignees.as_deref();
            item.body = description.as_deref();
        }
        "merge" => {
            item.action = "merged";
            item.branches = Some((&mr.source_branch, &mr.target_branch));
        }
        "close" => item.action = "closed",
        "reopen" => item.action = "reopened",
        "update" if mr.oldrev.is_some() => item.action = "added commit(s) to",
        "update" => {
            item.action = "updated";
            item.body = description.as_deref();
        }
        "approval" => item.action = "added their approval for",
        "unapproval" => item.action = "removed their approval for",
        "approved" => item.action = "approved",
        _ => item.action = "unapproved",
    }
    let (key, topic) = item_thread(&p.project, "MR", mr.iid, &mr.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

fn issue(p: &IssueEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let issue = &p.object_attributes;
    let assignees = assignee_names(&p.assignees);
    let description = issue.description.as_deref().map(strip_html_comments);
    let mut item = ItemLine {
        user: &p.user.name,
        action: "",
        kind: "issue",
        number: issue.iid,
        url: &issue.url,
        title: params.topic_overridden().then_some(issue.title.as_str()),
        branches: None,
        assignee: None,
        body: None,
    };
    match issue.action.as_deref().unwrap_or("open") {
        "open" => {
            item.action = "created";
            item.assignee = assignees.as_deref();
            item.body = description.as_deref();
        }
        "close" => item.action = "closed",
        "reopen" => item.action = "reopened",
        _ => {
            item.action = "updated";
            item.body = description.as_deref();
        }
    }
    let (key, topic) = item_thread(&p.project, "issue", issue.iid, &issue.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

/// A comment on a merge request, an issue or a commit, in the thread of
/// what it comments on.
fn note(p: &NoteEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let n = &p.object_attributes;
    let web = &p.project.web_url;
    let title = |t: &'_ str| params.topic_overridden().then_some(t.to_string());
    let (target, key, topic) = match (n.noteable_type.as_str(), &p.merge_request, &p.issue) {
        ("MergeRequest", Some(mr), _) => {
            let url = format!("{web}/-/merge_requests/{}", mr.iid);
            let link = item_link("MR", mr.iid, title(&mr.title).as_deref(), &url);
            let (key, topic) = item_thread(&p.project, "MR", mr.iid, &mr.title);
            (link, key, topic)
        }
        ("Issue", _, Some(issue)) => {
            let url = format!("{web}/-/issues/{}", issue.iid);
            let link = item_link("issue", issue.iid, title(&issue.title).as_deref(), &url);
            let (key, topic) = item_thread(&p.project, "issue", issue.iid, &issue.title);
            (link, key, topic)
        }
        ("Commit", _, _) => {
            let commit = p
                .commit
                .as_ref()
                .ok_or_else(|| IntegrationError::invalid("field `commit` is required"))?;
            let short = commit.id.get(..11).unwrap_or(&commit.id);
            let key = p.project.name.clone();
            (format!("[{short}]({})", commit.url), key.clone(), key)
        }
        (kind, _, _) => {
            let field = if kind == "Issue" {
                "issue"
            } else {
                "merge_request"
            };
            return Err(IntegrationError::invalid(format!(
                "field `{field}` is required"
            )));
        }
    };
    let body = format!(
        "{} [commented]({}) on {target}:{}",
        p.user.name,
        n.url,
        quote(&n.note)
    );
    Ok(Formatted::one(key, topic, body))
}

fn pipeline(p: &PipelineEvent) -> Result<Formatted, IntegrationError> {
    let pl = &p.object_attributes;
    let web = &p.project.web_url;
    let verb = match pl.status.as_str() {
        "pending" => "was created".to_string(),
        "running" => "started".to_string(),
        other => format!("changed status to {other}"),
    };
    let mut body = format!("[Pipeline ({})]({web}/-/pipelines/{}) {verb}", pl.id, pl.id);
    if p.builds.is_empty() {
        body.push('.');
    } else {
        body.push_str(" with build(s):");
        for b in &p.builds {
            let job = format!("{web}/-/jobs/{}", b.id);
            body.push_str(&format!("\n* [{}]({job}) - {}", b.name, b.status));
            let artifact = b.artifacts_file.as_ref().and_then(|a| a.filename.as_ref());
            if let Some(file) = artifact {
                body.push_str(&format!(
                    "\n  * built artifact: *{file}* [[Browse]({job}/artifacts/browse)|[Download]({job}/artifacts/download)]"
                ));
            }
        }
        body.push('.');
    }
    let key = format!("{} / {}", p.project.name, pl.git_ref);
    Ok(Formatted::one(key.clone(), key, body))
}

fn job(p: &JobEvent) -> Result<Formatted, IntegrationError> {
    let verb = match p.build_status.as_str() {
        "created" => "was created".to_string(),
        "running" => "started".to_string(),
        other => format!("changed status to {other}"),
    };
    let body = format!(
        "[Job {}]({}/-/jobs/{}) from {} stage {verb}.",
        p.build_name, p.repository.homepage, p.build_id, p.build_stage
    );
    let key = format!("{} / {}", p.repository.name, p.git_ref);
    Ok(Formatted::one(key.clone(), key, body))
}

fn release(p: &ReleaseEvent) -> Result<Formatted, IntegrationError> {
    let done = match p.action.as_str() {
        "create" => "created",
        "delete" => "deleted",
        _ => "updated",
    };
    let name = if p.action == "delete" {
        p.name.clone()
    } else {
        format!("[{}]({})", p.name, p.url)
    };
    let line = format!("Release {name} for tag {} was {done}.", p.tag);
    let body = match p.description.as_deref().map(quote) {
        Some(q) if !q.is_empty() && p.action != "delete" => format!("{line}{q}"),
        _ => line,
    };
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// GitLab's templates leave `<!-- … -->` hints in descriptions (Zulip
/// strips them).
fn strip_html_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_comments_are_stripped() {
        assert_eq!(strip_html_comments("a<!-- hint -->b<!-- open"), "ab");
        assert_eq!(strip_html_comments("plain"), "plain");
    }
}
