//! GitHub messages, in Zulip's wording (research notes, section 2.1).
//! Thread keys are stable (`<repo> / PR #<n>`); display topics add titles.

use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::git::{Commit, ItemLine, Push, item_link, item_message, push_message};
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
        "ping" => ping(&parse(payload)?),
        "push_commits" | "push_tags" => push(event, &parse(payload)?, params),
        "opened_pull_request"
        | "closed_pull_request"
        | "updated_pull_request"
        | "pull_request_review_requested"
        | "pull_request_ready_for_review" => pull_request(&parse(payload)?, params),
        "pull_request_review" => review(&parse(payload)?, params),
        "issues" => issues(&parse(payload)?, params),
        "issue_comment" => issue_comment(&parse(payload)?, params),
        "release" => release(&parse(payload)?),
        "create" | "delete" => git_ref(event, &parse(payload)?),
        "workflow_run" => workflow_run(&parse(payload)?),
        "check_run" => check_run(&parse(payload)?),
        "star" => star(&parse(payload)?),
        "fork" => fork(&parse(payload)?),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn ping(p: &Ping) -> Result<Formatted, IntegrationError> {
    let topic = match (&p.repository, &p.organization) {
        (Some(repo), _) => repo.name.clone(),
        (None, Some(org)) => org.login.clone(),
        (None, None) => "GitHub".to_string(),
    };
    let body = configured_message("GitHub", p.sender.as_ref().map(|s| s.login.as_str()));
    Ok(Formatted::one(topic.clone(), topic, body))
}

/// `push_commits` or `push_tags`, however the push was read.
pub fn push(
    event: &str,
    p: &PushEvent<'_>,
    params: &Params<'_>,
) -> Result<Formatted, IntegrationError> {
    match event {
        "push_tags" => push_tags(p),
        _ => push_commits(p, params),
    }
}

fn push_commits(p: &PushEvent<'_>, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let branch = p.git_ref.strip_prefix("refs/heads/").unwrap_or(&p.git_ref);
    // Merge-queue branches are GitHub's own bookkeeping (Zulip ignores them).
    if branch.starts_with("gh-readonly-queue/") {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
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
            author: c.author.username.as_deref().unwrap_or(&c.author.name),
        })
        .collect();
    let push = Push {
        user: &p.sender.login,
        compare_url: p.compare.as_deref().filter(|c| !c.is_empty()),
        branch,
        forced: p.forced,
        deleted: p.deleted,
        commits: &commits,
        repo_link: params.topic_overridden().then(|| repo_link(&p.repository)),
    };
    let key = format!("{} / {branch}", p.repository.name);
    Ok(Formatted::one(key.clone(), key, push_message(&push)))
}

fn push_tags(p: &PushEvent<'_>) -> Result<Formatted, IntegrationError> {
    let tag = p.git_ref.strip_prefix("refs/tags/").unwrap_or(&p.git_ref);
    let verb = if p.deleted { "removed" } else { "pushed" };
    let verb = match p.compare.as_deref().filter(|c| !c.is_empty()) {
        Some(url) => format!("[{verb}]({url})"),
        None => verb.to_string(),
    };
    let body = format!("{} {verb} tag {tag}.", p.sender.login);
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// `<repo> / PR #<n>` and `<repo> / PR #<n> <title>`.
fn pr_thread(repo: &Repository, number: u64, title: &str) -> (String, String) {
    let key = format!("{} / PR #{number}", repo.name);
    let topic = format!("{key} {title}");
    (key, topic)
}

fn pull_request(p: &PullRequestEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let pr = &p.pull_request;
    let mut item = ItemLine {
        user: &p.sender.login,
        action: &p.action,
        kind: "PR",
        number: p.number,
        url: &pr.html_url,
        title: params.topic_overridden().then_some(pr.title.as_str()),
        branches: None,
        assignee: None,
        body: None,
    };
    let body = match p.action.as_str() {
        "opened" => {
            item.branches = Some((&pr.head.label, &pr.base.label));
            item.assignee = pr.assignee.as_ref().map(|a| a.login.as_str());
            item.body = pr.body.as_deref();
            item_message(&item)
        }
        "closed" => {
            item.action = if pr.merged {
                "merged"
            } else {
                "closed without merge"
            };
            item_message(&item)
        }
        "synchronize" => {
            item.action = "updated";
            item_message(&item)
        }
        "review_requested" => review_requested(p, &item),
        "ready_for_review" => {
            let link = item_link(item.kind, item.number, item.title, item.url);
            format!("{} has marked {link} as ready for review.", p.sender.login)
        }
        // reopened, edited
        _ => item_message(&item),
    };
    let (key, topic) = pr_thread(&p.repository, p.number, &pr.title);
    Ok(Formatted::one(key, topic, body))
}

/// `<user> requested [<reviewer>](<url>) for a review on [PR #n](url).`
fn review_requested(p: &PullRequestEvent, item: &ItemLine<'_>) -> String {
    let reviewer = match (&p.requested_reviewer, &p.requested_team) {
        (Some(user), _) => link_or_name(&user.login, user.html_url.as_deref()),
        (None, Some(team)) => link_or_name(&team.name, team.html_url.as_deref()),
        (None, None) => "someone".to_string(),
    };
    let link = item_link(item.kind, item.number, item.title, item.url);
    format!(
        "{} requested {reviewer} for a review on {link}.",
        p.sender.login
    )
}

fn review(p: &ReviewEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    // GitHub sends a duplicate "edited" with no changes (Zulip ignores it).
    if p.action == "edited" && p.changes.as_ref().is_none_or(|c| c.is_empty()) {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let pr = &p.pull_request;
    let mut body = format!(
        "{} {} [PR review]({})",
        p.sender.login, p.action, p.review.html_url
    );
    if params.topic_overridden() {
        body.push_str(&format!(
            " for [PR #{} {}]({})",
            pr.number, pr.title, pr.html_url
        ));
    }
    let quoted = p.review.body.as_deref().map(quote).unwrap_or_default();
    body = if quoted.is_empty() {
        body + "."
    } else {
        format!("{body}:{quoted}")
    };
    let (key, topic) = pr_thread(&p.repository, pr.number, &pr.title);
    Ok(Formatted::one(key, topic, body))
}

/// The thread of an issue, or of a PR for comments on one (Zulip #26086).
fn issue_thread(repo: &Repository, issue: &Issue) -> (String, String, &'static str) {
    let kind = if issue.pull_request.is_some() {
        "PR"
    } else {
        "issue"
    };
    let key = format!("{} / {kind} #{}", repo.name, issue.number);
    let topic = format!("{key} {}", issue.title);
    (key, topic, kind)
}

fn issues(p: &IssuesEvent, params: &Params<'_>) -> Result<Formatted, IntegrationError> {
    let issue = &p.issue;
    let (key, topic, kind) = issue_thread(&p.repository, issue);
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let body = match (p.action.as_str(), &p.assignee) {
        ("assigned" | "unassigned", Some(assignee)) => {
            let (verb, prep) = if p.action == "assigned" {
                ("assigned", "to")
            } else {
                ("unassigned", "from")
            };
            let link = item_link(kind, issue.number, title, &issue.html_url);
            format!(
                "{} {verb} {} {prep} {link}.",
                p.sender.login, assignee.login
            )
        }
        (action, _) => item_message(&ItemLine {
            user: &p.sender.login,
            action,
            kind,
            number: issue.number,
            url: &issue.html_url,
            title,
            branches: None,
            assignee: None,
            body: if action == "opened" || action == "edited" {
                issue.body.as_deref()
            } else {
                None
            },
        }),
    };
    Ok(Formatted::one(key, topic, body))
}

fn issue_comment(
    p: &IssueCommentEvent,
    params: &Params<'_>,
) -> Result<Formatted, IntegrationError> {
    // An edit that did not change the text (Zulip ignores it).
    if p.action == "edited" && p.changes.as_ref().is_none_or(|c| !c.contains_key("body")) {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let issue = &p.issue;
    let (key, topic, kind) = issue_thread(&p.repository, issue);
    let url = &p.comment.html_url;
    let verb = match p.action.as_str() {
        "deleted" => format!("deleted a [comment]({url}) on"),
        "edited" => format!("edited a [comment]({url}) on"),
        _ => format!("[commented]({url}) on"),
    };
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let link = item_link(kind, issue.number, title, &issue.html_url);
    let body = format!(
        "{} {verb} {link}:{}",
        p.sender.login,
        quote(&p.comment.body)
    );
    Ok(Formatted::one(key, topic, body))
}

fn release(p: &ReleaseEvent) -> Result<Formatted, IntegrationError> {
    let r = &p.release;
    let name = r
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&r.tag_name);
    let body = format!(
        "{} {} release [{name}]({}) for tag {}.",
        p.sender.login, p.action, r.html_url, r.tag_name
    );
    let key = format!("{} / {}", p.repository.name, r.tag_name);
    let topic = format!("{key} {name}");
    Ok(Formatted::one(key, topic, body))
}

/// `create` / `delete` of a branch or tag; branches join their thread.
fn git_ref(event: &str, p: &RefEvent) -> Result<Formatted, IntegrationError> {
    let repo = &p.repository;
    let body = if event == "create" {
        let url = format!("{}/tree/{}", repo.html_url, p.git_ref);
        format!(
            "{} created {} [{}]({url}).",
            p.sender.login, p.ref_type, p.git_ref
        )
    } else {
        format!("{} deleted {} {}.", p.sender.login, p.ref_type, p.git_ref)
    };
    let key = match p.ref_type.as_str() {
        "branch" => format!("{} / {}", repo.name, p.git_ref),
        _ => repo.name.clone(),
    };
    Ok(Formatted::one(key.clone(), key, body))
}

/// `([<sha11>](<repo>/commit/<sha>))`.
fn commit_link(repo: &Repository, sha: &str) -> String {
    let short = sha.get(..11).unwrap_or(sha);
    format!("([{short}]({}/commit/{sha}))", repo.html_url)
}

fn workflow_run(p: &WorkflowRunEvent) -> Result<Formatted, IntegrationError> {
    if p.action != "completed" {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let run = &p.workflow_run;
    let body = format!(
        "Workflow [{} #{}]({}) completed ({}) on branch `{}`. {}",
        run.name,
        run.run_number,
        run.html_url,
        run.conclusion.as_deref().unwrap_or("unknown"),
        run.head_branch,
        commit_link(&p.repository, &run.head_sha)
    );
    let key = format!("{} / checks", p.repository.name);
    Ok(Formatted::one(key.clone(), key, body))
}

fn check_run(p: &CheckRunEvent) -> Result<Formatted, IntegrationError> {
    let run = &p.check_run;
    if run.status != "completed" {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let body = format!(
        "Check [{}]({}) completed ({}). {}",
        run.name,
        run.html_url,
        run.conclusion.as_deref().unwrap_or("unknown"),
        commit_link(&p.repository, &run.head_sha)
    );
    let key = format!("{} / checks", p.repository.name);
    Ok(Formatted::one(key.clone(), key, body))
}

fn star(p: &StarEvent) -> Result<Formatted, IntegrationError> {
    let verb = if p.action == "deleted" {
        "unstarred"
    } else {
        "starred"
    };
    let body = format!(
        "{} {verb} the repository {}.",
        link_or_name(&p.sender.login, p.sender.html_url.as_deref()),
        repo_link(&p.repository)
    );
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

fn fork(p: &ForkEvent) -> Result<Formatted, IntegrationError> {
    let body = format!(
        "{} forked {} to [{}]({}).",
        link_or_name(&p.sender.login, p.sender.html_url.as_deref()),
        repo_link(&p.repository),
        p.forkee.full_name,
        p.forkee.html_url
    );
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

fn repo_link(repo: &Repository) -> String {
    format!("[{}]({})", repo.full_name, repo.html_url)
}

fn link_or_name(name: &str, url: Option<&str>) -> String {
    match url.filter(|u| crate::url::is_web_url(u)) {
        Some(url) => format!("[{name}]({url})"),
        None => name.to_string(),
    }
}
