//! GitLab messages, in Zulip's wording (research notes, section 2.2).
//! Thread keys are stable (`<repo> / MR #<iid>`); display topics add titles.

use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::git::{self, Commit, ItemLine, Push, item_link, item_message, join_and};
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::{configured_message, quote};
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde_json::Value;

pub fn format(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    let formatted = format_event(event, payload, params)?;
    // A `topic` override drops the project from the topic: the body says
    // it instead, as `[<project link>] …` (Zulip).
    match (formatted, params.topic_overridden()) {
        (Formatted::Messages(messages), true) => {
            let Some(prefix) = project_prefix(payload) else {
                return Ok(Formatted::Messages(messages));
            };
            Ok(Formatted::Messages(
                messages
                    .into_iter()
                    .map(|mut m| {
                        m.body_markdown = format!("{prefix} {}", m.body_markdown);
                        m
                    })
                    .collect(),
            ))
        }
        (formatted, _) => Ok(formatted),
    }
}

/// `[[<project>](<url>)]`, from the `project` most hooks carry, else the
/// `repository` of job hooks, else the `group` of group hooks.
fn project_prefix(payload: &Value) -> Option<String> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(project) = payload.get("project").filter(|p| p.is_object()) {
        let name = text(project, "path_with_namespace").or_else(|| text(project, "name"))?;
        return Some(match text(project, "web_url") {
            Some(url) => format!("[[{name}]({url})]"),
            None => format!("[{name}]"),
        });
    }
    if let Some(repo) = payload.get("repository").filter(|r| r.is_object()) {
        let name = text(repo, "name")?;
        return Some(match text(repo, "homepage") {
            Some(url) => format!("[[{name}]({url})]"),
            None => format!("[{name}]"),
        });
    }
    let group = payload.get("group")?;
    Some(format!(
        "[{}]",
        text(group, "full_path").or_else(|| text(group, "group_name"))?
    ))
}

fn format_event(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    match event {
        "Test Hook" => test_hook(&parse(payload)?),
        "Push Hook" => push(&parse(payload)?, params),
        "Tag Push Hook" => tag_push(&parse(payload)?),
        e if e.starts_with("Merge Request Hook ") => merge_request(&parse(payload)?, params),
        // Confidential issues and internal notes read as the others.
        e if e.starts_with("Issue Hook ") || e.starts_with("Confidential Issue Hook ") => {
            issue(&parse(payload)?, params)
        }
        e if e.starts_with("Note Hook ") || e.starts_with("Confidential Note Hook ") => {
            note(&parse(payload)?, params)
        }
        e if e.starts_with("Wiki Page Hook ") => wiki_page(&parse(payload)?),
        "Pipeline Hook" => pipeline(&parse(payload)?),
        // `Build Hook` is the name GitLab used for job hooks before 9.3.
        "Job Hook" | "Build Hook" => job(&parse(payload)?),
        "Release Hook" => release(&parse(payload)?),
        "Deployment Hook" => deployment(&parse(payload)?),
        "Feature Flag Hook" => feature_flag(&parse(payload)?),
        "Resource Access Token Hook" => access_token(&parse(payload)?),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn test_hook(p: &TestHook) -> Formatting {
    let body = configured_message("GitLab", p.user_name.as_deref());
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// The pushed range; for a new branch (`before` all zeros), what it adds
/// to the project's default branch, a comparison GitLab can show.
fn compare_url(p: &PushEvent) -> Option<String> {
    if git::is_zero_sha(&p.after) {
        return None;
    }
    let web = &p.project.web_url;
    match p.project.default_branch.as_deref() {
        Some(base) if git::is_zero_sha(&p.before) => {
            Some(format!("{web}/-/compare/{base}...{}", p.after))
        }
        _ => Some(format!("{web}/-/compare/{}...{}", p.before, p.after)),
    }
}

fn push(p: &PushEvent, params: &Params<'_>) -> Formatting {
    let branch = git::branch_of(&p.git_ref);
    if !params.branch_allowed(branch) {
        return Ok(Formatted::Ignore(IgnoreReason::Filtered));
    }
    let commits: Vec<Commit<'_>> = p.commits.iter().map(|c| c.listed(&c.author.name)).collect();
    let compare = compare_url(p);
    let push = Push {
        user: &p.user_name,
        compare_url: compare.as_deref(),
        branch,
        forced: false,
        // GitLab marks a deleted ref with an all-zero `after`.
        deleted: git::is_zero_sha(&p.after),
        commits: &commits,
        // Named by the `[project]` prefix a topic override adds.
        repo_link: None,
    };
    let total = p.total_commits_count.unwrap_or(commits.len());
    let key = format!("{} / {branch}", p.project.name);
    let body = git::push_message_of(&push, total);
    Ok(Formatted::one(key.clone(), key, body))
}

fn tag_push(p: &PushEvent) -> Formatting {
    let tag = p.git_ref.strip_prefix("refs/tags/").unwrap_or(&p.git_ref);
    let verb = if git::is_zero_sha(&p.after) || p.checkout_sha.is_none() {
        "removed"
    } else {
        "pushed"
    };
    let body = format!("{} {verb} tag {tag}.", p.user_name);
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// `assignees`, else the single `assignee` older versions send.
fn assignee_names(assignees: &[User], assignee: Option<&User>) -> Option<String> {
    let mut names: Vec<String> = assignees.iter().map(|a| a.name.clone()).collect();
    if names.is_empty() {
        names.extend(assignee.map(|a| a.name.clone()));
    }
    (!names.is_empty()).then(|| join_and(&names))
}

fn merge_request(p: &MergeRequestEvent, params: &Params<'_>) -> Formatting {
    let mr = &p.object_attributes;
    let assignees = assignee_names(&p.assignees, p.assignee.as_ref());
    let title = params.topic_overridden().then_some(mr.title.as_str());
    let mut item = ItemLine::new(&p.user.name, "MR", mr.iid, &mr.url, title);
    let description = mr.description.as_deref().map(strip_html_comments);
    item.action = match mr.action.as_deref().unwrap_or("open") {
        "open" => "created",
        "merge" => "merged",
        "close" => "closed",
        "reopen" => "reopened",
        "update" if mr.oldrev.is_some() => "added commit(s) to",
        "update" => "updated",
        "approval" => "added their approval for",
        "unapproval" => "removed their approval for",
        "approved" => "approved",
        _ => "unapproved",
    };
    // An opened or merged MR names its branches; an opened or updated one
    // its assignees and description.
    if matches!(item.action, "created" | "merged") {
        item.branches = Some((&mr.source_branch, &mr.target_branch));
    }
    if matches!(item.action, "created" | "updated") {
        item.assignee = assignees.as_deref();
        item.body = description.as_deref();
    }
    let (key, topic) = mr_thread(&p.project.name, mr.iid, &mr.title, params);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

fn issue(p: &IssueEvent, params: &Params<'_>) -> Formatting {
    let issue = &p.object_attributes;
    let assignees = assignee_names(&p.assignees, p.assignee.as_ref());
    let description = issue.description.as_deref().map(strip_html_comments);
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let mut item = ItemLine::new(&p.user.name, "issue", issue.iid, &issue.url, title);
    item.action = match issue.action.as_deref().unwrap_or("open") {
        "open" => "created",
        "close" => "closed",
        "reopen" => "reopened",
        _ => "updated",
    };
    // An opened issue names its assignees; an opened or updated one shows
    // its description.
    if item.action == "created" {
        item.assignee = assignees.as_deref();
    }
    if matches!(item.action, "created" | "updated") {
        item.body = description.as_deref();
    }
    let owner = match &p.project {
        Some(project) => project.name.clone(),
        None => group_of(&issue.url),
    };
    let (key, topic) = git::item_thread(&owner, "issue", issue.iid, &issue.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

/// The group a group-level work item's address names
/// (`<host>/groups/<path>/-/work_items/<n>`), else the address itself.
fn group_of(url: &str) -> String {
    url.split_once("/groups/")
        .and_then(|(_, rest)| rest.split_once("/-/"))
        .map_or_else(|| url.to_string(), |(path, _)| path.to_string())
}

/// A merge request's thread; its topic names the title unless the URL says
/// `use_merge_request_title=false` (Zulip's option; the key never has it).
fn mr_thread(project: &str, iid: u64, title: &str, params: &Params<'_>) -> (String, String) {
    let (key, topic) = git::item_thread(project, "MR", iid, title);
    match params.get("use_merge_request_title") {
        Some("false") => (key.clone(), key),
        _ => (key, topic),
    }
}

/// A comment on a merge request, an issue or a commit, in the thread of
/// what it comments on.
fn note(p: &NoteEvent, params: &Params<'_>) -> Formatting {
    let n = &p.object_attributes;
    let web = &p.project.web_url;
    let title = |t: &'_ str| params.topic_overridden().then_some(t.to_string());
    let (target, item_url, key, topic) =
        match (n.noteable_type.as_str(), &p.merge_request, &p.issue) {
            ("MergeRequest", Some(mr), _) => {
                let url = format!("{web}/-/merge_requests/{}", mr.iid);
                let link = item_link("MR", mr.iid, title(&mr.title).as_deref(), &url);
                let (key, topic) = mr_thread(&p.project.name, mr.iid, &mr.title, params);
                (link, url, key, topic)
            }
            ("Issue", _, Some(issue)) => {
                let url = format!("{web}/-/issues/{}", issue.iid);
                let link = item_link("issue", issue.iid, title(&issue.title).as_deref(), &url);
                let (key, topic) =
                    git::item_thread(&p.project.name, "issue", issue.iid, &issue.title);
                (link, url, key, topic)
            }
            ("Snippet", _, _) => {
                let snippet = p
                    .snippet
                    .as_ref()
                    .ok_or_else(|| IntegrationError::invalid("field `snippet` is required"))?;
                // `snippet.url` is only sent since GitLab 16.1.
                let url = snippet
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("{web}/-/snippets/{}", snippet.id));
                let link = item_link(
                    "snippet",
                    snippet.id,
                    title(&snippet.title).as_deref(),
                    &url,
                );
                let (key, topic) =
                    git::item_thread(&p.project.name, "snippet", snippet.id, &snippet.title);
                (link, url, key, topic)
            }
            ("DesignManagement::Design", _, _) => return design_note(p),
            ("Commit", _, _) => {
                let commit = p
                    .commit
                    .as_ref()
                    .ok_or_else(|| IntegrationError::invalid("field `commit` is required"))?;
                let short = commit.id.get(..11).unwrap_or(&commit.id);
                let key = p.project.name.clone();
                let link = format!("[{short}]({})", commit.url);
                (link, commit.url.clone(), key.clone(), key)
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
    // Without its own address, the comment is linked by its anchor.
    let comment_url = match (&n.url, n.id) {
        (Some(url), _) => url.clone(),
        (None, Some(id)) => format!("{item_url}#note_{id}"),
        (None, None) => item_url,
    };
    let body = format!(
        "{} [commented]({comment_url}) on {target}:{}",
        p.user.name,
        quote(&n.note)
    );
    Ok(Formatted::one(key, topic, body))
}

/// A comment on a design: the payload names no issue, so the design's
/// issue and file name are read from its path (`designs/issue-<n>/<file>`),
/// as Zulip does. Threaded by design.
fn design_note(p: &NoteEvent) -> Formatting {
    let n = &p.object_attributes;
    let path = n
        .position
        .as_ref()
        .map(|pos| pos.new_path.as_str())
        .ok_or_else(|| {
            IntegrationError::invalid("field `object_attributes.position` is required")
        })?;
    let mut parts = path.rsplit('/');
    let (Some(file), Some(issue)) = (parts.next(), parts.next()) else {
        return Err(IntegrationError::invalid(
            "field `object_attributes.position.new_path` is not a design path",
        ));
    };
    let issue = issue.rsplit('-').next().unwrap_or(issue);
    let design_url = format!("{}/-/issues/{issue}/designs/{file}", p.project.web_url);
    let comment_url = match n.id {
        Some(id) => format!("{design_url}#note_{id}"),
        None => n.url.clone().unwrap_or_else(|| design_url.clone()),
    };
    let body = format!(
        "{} [commented]({comment_url}) on design [{file}]({design_url}):{}",
        p.user.name,
        quote(&n.note)
    );
    let key = format!("{} / design {file}", p.project.name);
    Ok(Formatted::one(key.clone(), key, body))
}

fn pipeline(p: &PipelineEvent) -> Formatting {
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

fn job(p: &JobEvent) -> Formatting {
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

fn release(p: &ReleaseEvent) -> Formatting {
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

/// A wiki page created, updated or deleted, in the project's thread.
fn wiki_page(p: &WikiPageEvent) -> Formatting {
    let w = &p.object_attributes;
    let done = match w.action.as_deref().unwrap_or("create") {
        "create" => "created",
        "delete" => "deleted",
        _ => "updated",
    };
    let body = format!(
        "{} {done} [wiki page \"{}\"]({}).",
        p.user.name, w.title, w.url
    );
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A deployment started, then finished, in the thread of its environment.
fn deployment(p: &DeploymentEvent) -> Formatting {
    let deployment = match p.deployable_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => format!("[deployment]({url})"),
        None => "deployment".to_string(),
    };
    let body = match p.status.as_str() {
        "running" => {
            let user = match p.user_url.as_deref() {
                Some(url) => format!("[{}]({url})", p.user.name),
                None => p.user.name.clone(),
            };
            let mut body = format!("{user} started a new {deployment}");
            if let Some(url) = p.commit_url.as_deref() {
                let sha = url.rsplit('/').next().unwrap_or("");
                let sha = sha.get(..7).unwrap_or(sha);
                let title = p.commit_title.as_deref().unwrap_or("");
                body.push_str(&format!(":\n> [{sha}]({url}) {title}"));
                body.truncate(body.trim_end().len());
            } else {
                body.push('.');
            }
            body
        }
        "success" => format!("The {deployment} was successful."),
        "failed" => format!("The {deployment} failed."),
        "canceled" => format!("The {deployment} was canceled."),
        // GitLab's other states (`created`, `blocked`…): said as they are.
        other => format!("The {deployment} is {other}."),
    };
    let key = format!("{} / {}", p.project.name, p.environment);
    Ok(Formatted::one(key.clone(), key, body))
}

fn feature_flag(p: &FeatureFlagEvent) -> Formatting {
    let f = &p.object_attributes;
    let action = if f.active { "activated" } else { "deactivated" };
    let body = format!(
        "{} {action} the feature flag [{}]({}/-/feature_flags).",
        p.user.username, f.name, p.project.web_url
    );
    let key = p.project.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A project's or a group's access token about to expire, in the project's
/// (or group's) thread. A group's settings page is linked only when its
/// address is known: Zulip's `gitlab.com` guess is wrong for self-hosted
/// instances.
fn access_token(p: &AccessTokenEvent) -> Formatting {
    let token = &p.object_attributes;
    let (key, url) = match (&p.project, &p.group) {
        (Some(project), _) => (
            project.name.clone(),
            Some(format!("{}/-/settings/access_tokens", project.web_url)),
        ),
        (None, Some(group)) => (group.group_name.clone(), None),
        (None, None) => {
            return Err(IntegrationError::invalid("field `project` is required"));
        }
    };
    let name = match url {
        Some(url) => format!("[{}]({url})", token.name),
        None => token.name.clone(),
    };
    let body = format!(
        "The access token {name} will expire on {}.",
        long_date(&token.expires_at)
    );
    Ok(Formatted::one(key.clone(), key, body))
}

/// `2024-01-26` as `Jan 26, 2024` (Zulip's wording); anything else as it is.
fn long_date(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = date.splitn(3, '-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return date.to_string();
    };
    let month = month
        .parse::<usize>()
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)));
    match (month, day.parse::<u8>()) {
        (Some(month), Ok(day)) if year.len() == 4 => format!("{month} {day:02}, {year}"),
        _ => date.to_string(),
    }
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
    fn dates_are_spelled_like_zulip() {
        assert_eq!(long_date("2024-01-26"), "Jan 26, 2024");
        assert_eq!(long_date("2024-13-26"), "2024-13-26");
        assert_eq!(long_date("soon"), "soon");
    }

    #[test]
    fn html_comments_are_stripped() {
        assert_eq!(strip_html_comments("a<!-- hint -->b<!-- open"), "ab");
        assert_eq!(strip_html_comments("plain"), "plain");
    }
}
