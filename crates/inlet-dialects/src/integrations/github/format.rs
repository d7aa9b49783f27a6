//! GitHub messages, in Zulip's wording (research notes, section 2.1).
//! Thread keys are stable (`<repo> / PR #<n>`); display topics add titles.

use super::payload::*;
use crate::integrations::git::{self, Commit, ItemLine, Push, item_link, item_message};
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::text::{configured_message, quote};
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde_json::Value;

pub fn format(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    match event {
        "ping" => ping(&parse(payload)?),
        // A merge-queue push is ignored whatever else it carries: GitHub
        // may send it without a `sender`, which a posted push needs.
        "push_commits" if is_merge_queue(payload) => Ok(Formatted::Ignore(IgnoreReason::NotWanted)),
        "push_commits" | "push_tags" => push(event, &parse(payload)?, params),
        "opened_pull_request"
        | "closed_pull_request"
        | "updated_pull_request"
        | "pull_request_review_requested"
        | "pull_request_ready_for_review" => pull_request(&parse(payload)?, params),
        "assigned_or_unassigned_pull_request"
        | "locked_or_unlocked_pull_request"
        | "pull_request_auto_merge" => pull_request_side(&parse(payload)?, params),
        "pull_request_review" => review(&parse(payload)?, params),
        "pull_request_review_comment" => review_comment(&parse(payload)?, params),
        "issues" => issues(&parse(payload)?, params),
        "issue_labeled_or_unlabeled"
        | "issue_milestoned_or_demilestoned"
        | "issues_transferred"
        | "issues_opened_via_transfer" => issue_side(event, &parse(payload)?, params),
        "issue_comment" => issue_comment(&parse(payload)?, params),
        "commit_comment" => commit_comment(&parse(payload)?),
        "status" => status(&parse(payload)?),
        "deployment" | "deployment_status" => deployment(event, &parse(payload)?),
        "discussion" | "discussion_comment" => {
            super::discussion::format(event, &parse(payload)?, params)
        }
        "gollum" => gollum(&parse(payload)?),
        "watch" | "public" | "repository" => repository(event, &parse(payload)?),
        "page_build" => page_build(&parse(payload)?),
        // Only edits are posted; the other actions are not read further.
        "team" if payload.get("action").and_then(Value::as_str) != Some("edited") => {
            Ok(Formatted::Ignore(IgnoreReason::NotWanted))
        }
        "team" => team(&parse(payload)?),
        "team_add" => team_add(&parse(payload)?),
        "member" => member(&parse(payload)?),
        "membership" => membership(&parse(payload)?),
        "release" => release(&parse(payload)?),
        "create" | "delete" => git_ref(event, &parse(payload)?),
        "workflow_run" => workflow_run(&parse(payload)?),
        "check_run" => check_run(&parse(payload)?),
        "star" => star(&parse(payload)?),
        "fork" => fork(&parse(payload)?),
        "cancelled"
        | "created"
        | "edited"
        | "pending_cancellation"
        | "pending_tier_change"
        | "tier_changed" => super::sponsors::format(payload),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn ping(p: &Ping) -> Formatting {
    let sponsors = p.hook.as_ref().and_then(|h| h.kind.as_deref()) == Some("SponsorsListing");
    let topic = match (&p.repository, &p.organization) {
        (Some(repo), _) => repo.name.clone(),
        (None, Some(org)) => org.login.clone(),
        // A sponsors listing's hook: the thread its sponsorships go to.
        (None, None) if sponsors => super::sponsors::THREAD.to_string(),
        (None, None) => "GitHub".to_string(),
    };
    let body = configured_message("GitHub", p.sender.as_ref().map(|s| s.login.as_str()));
    Ok(Formatted::one(topic.clone(), topic, body))
}

/// `push_commits` or `push_tags`, however the push was read.
pub fn push(event: &str, p: &PushEvent<'_>, params: &Params<'_>) -> Formatting {
    match event {
        "push_tags" => push_tags(p),
        _ => push_commits(p, params),
    }
}

/// Whether a push is to one of GitHub's merge-queue branches, its own
/// bookkeeping (Zulip ignores them).
fn is_merge_queue(payload: &Value) -> bool {
    payload
        .get("ref")
        .and_then(Value::as_str)
        .is_some_and(|r| r.starts_with("refs/heads/gh-readonly-queue/"))
}

fn push_commits(p: &PushEvent<'_>, params: &Params<'_>) -> Formatting {
    let branch = git::branch_of(&p.git_ref);
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
    Ok(git::push_formatted(&p.repository.name, &push))
}

fn push_tags(p: &PushEvent<'_>) -> Formatting {
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
    git::item_thread(&repo.name, "PR", number, title)
}

fn pull_request(p: &PullRequestEvent, params: &Params<'_>) -> Formatting {
    let pr = &p.pull_request;
    let title = params.topic_overridden().then_some(pr.title.as_str());
    let mut item = ItemLine::new(&p.sender.login, "PR", p.number, &pr.html_url, title);
    item.action = &p.action;
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
        // An edited description is shown; a new title is in the topic.
        "edited" => {
            if p.changes.as_ref().is_some_and(|c| c.contains_key("body")) {
                item.body = pr.body.as_deref();
            }
            item_message(&item)
        }
        "review_requested" => review_requested(p, &item),
        "ready_for_review" => {
            let link = item_link(item.kind, item.number, item.title, item.url);
            format!("{} has marked {link} as ready for review.", p.sender.login)
        }
        // reopened
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

fn review(p: &ReviewEvent, params: &Params<'_>) -> Formatting {
    // GitHub sends a duplicate "edited" with no changes (Zulip ignores it).
    if p.action == "edited" && p.changes.as_ref().is_none_or(|c| c.is_empty()) {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let line = format!(
        "{} {} [PR review]({})",
        p.sender.login, p.action, p.review.html_url
    );
    let quoted = p.review.body.as_deref().map(quote).unwrap_or_default();
    let pr = &p.pull_request;
    Ok(in_pr_thread(line, "for", pr, &p.repository, params, quoted))
}

/// `line` in the thread of `pr`, naming the PR when the topic does not
/// (`<prep> [PR #<n> <title>](<url>)`), then `:` and `quoted`, or `.`.
fn in_pr_thread(
    mut line: String,
    prep: &str,
    pr: &ReviewedPullRequest,
    repo: &Repository,
    params: &Params<'_>,
    quoted: String,
) -> Formatted {
    if params.topic_overridden() {
        line.push_str(&format!(
            " {prep} [PR #{} {}]({})",
            pr.number, pr.title, pr.html_url
        ));
    }
    let body = if quoted.is_empty() {
        line + "."
    } else {
        format!("{line}:{quoted}")
    };
    let (key, topic) = pr_thread(repo, pr.number, &pr.title);
    Formatted::one(key, topic, body)
}

/// The thread of an issue, or of a PR for comments on one (Zulip #26086).
fn issue_thread(repo: &Repository, issue: &Issue) -> (String, String, &'static str) {
    let kind = if issue.pull_request.is_some() {
        "PR"
    } else {
        "issue"
    };
    let (key, topic) = git::item_thread(&repo.name, kind, issue.number, &issue.title);
    (key, topic, kind)
}

fn issues(p: &IssuesEvent, params: &Params<'_>) -> Formatting {
    let issue = &p.issue;
    let (key, topic, kind) = issue_thread(&p.repository, issue);
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let body = match (p.action.as_str(), &p.assignee) {
        ("assigned" | "unassigned", Some(assignee)) => {
            let (verb, prep) = assignment(&p.action);
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

fn issue_comment(p: &IssueCommentEvent, params: &Params<'_>) -> Formatting {
    if unchanged_edit(&p.action, p.changes.as_ref(), &p.comment.body) {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let issue = &p.issue;
    let (key, topic, kind) = issue_thread(&p.repository, issue);
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let link = item_link(kind, issue.number, title, &issue.html_url);
    let body = git::comment_message(&p.sender.login, &p.action, &p.comment, &link);
    Ok(Formatted::one(key, topic, body))
}

fn release(p: &ReleaseEvent) -> Formatting {
    let r = &p.release;
    let name = git::release_name(r.name.as_deref(), &r.tag_name);
    let body = git::release_line(&p.sender.login, &p.action, name, &r.html_url, &r.tag_name);
    let key = format!("{} / {}", p.repository.name, r.tag_name);
    // A release without a name is shown by its tag, once.
    let topic = if name == r.tag_name {
        key.clone()
    } else {
        format!("{key} {name}")
    };
    Ok(Formatted::one(key, topic, body))
}

/// `create` / `delete` of a branch or tag; branches join their thread.
fn git_ref(event: &str, p: &RefEvent) -> Formatting {
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

fn workflow_run(p: &WorkflowRunEvent) -> Formatting {
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

fn check_run(p: &CheckRunEvent) -> Formatting {
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

fn star(p: &StarEvent) -> Formatting {
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

fn fork(p: &ForkEvent) -> Formatting {
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

/// Assignment, locking and auto-merge of a PR, in its thread.
fn pull_request_side(p: &PullRequestSideEvent, params: &Params<'_>) -> Formatting {
    let pr = &p.pull_request;
    let title = params.topic_overridden().then_some(pr.title.as_str());
    let link = item_link("PR", pr.number, title, &pr.html_url);
    let user = &p.sender.login;
    let body = match p.action.as_str() {
        "assigned" | "unassigned" => {
            // The assignee is always sent; without it the sentence still reads.
            let (verb, prep) = assignment(&p.action);
            match &p.assignee {
                Some(a) => format!("{user} {verb} {} {prep} {link}.", a.login),
                None => format!("{user} {verb} {link}."),
            }
        }
        "locked" => match pr.active_lock_reason.as_deref().filter(|r| !r.is_empty()) {
            Some(reason) => format!(
                "{user} has locked {link} as {reason} and limited conversation to collaborators."
            ),
            None => format!("{user} has locked {link} and limited conversation to collaborators."),
        },
        "unlocked" => format!("{user} has unlocked {link}."),
        "auto_merge_enabled" => format!("{user} has enabled auto merge for {link}."),
        _ => format!("{user} has disabled auto merge for {link}."),
    };
    let (key, topic) = pr_thread(&p.repository, pr.number, &pr.title);
    Ok(Formatted::one(key, topic, body))
}

/// `<user> created [PR review comment](url):` and the comment.
fn review_comment(p: &ReviewCommentEvent, params: &Params<'_>) -> Formatting {
    if unchanged_edit(&p.action, p.changes.as_ref(), &p.comment.body) {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    let line = format!(
        "{} {} [PR review comment]({})",
        p.sender.login, p.action, p.comment.html_url
    );
    // A deleted comment's text is not repeated.
    let quoted = if p.action == "deleted" {
        String::new()
    } else {
        quote(&p.comment.body)
    };
    let pr = &p.pull_request;
    Ok(in_pr_thread(line, "on", pr, &p.repository, params, quoted))
}

/// Labels, milestones and transfers of an issue, in its thread.
fn issue_side(event: &str, p: &IssueSideEvent, params: &Params<'_>) -> Formatting {
    let issue = &p.issue;
    let (key, topic, kind) = issue_thread(&p.repository, issue);
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let link = item_link(kind, issue.number, title, &issue.html_url);
    let sender = link_or_name(&p.sender.login, p.sender.html_url.as_deref());
    let added = matches!(p.action.as_str(), "labeled" | "milestoned");
    let (verb, prep) = if added {
        ("added", "to")
    } else {
        ("removed", "from")
    };
    let changes = p.changes.as_ref();
    let body = match event {
        "issue_labeled_or_unlabeled" => match &p.label {
            Some(label) => format!("{sender} {verb} the {} label {prep} {link}.", label.name),
            None => format!("{sender} {verb} a label {prep} {link}."),
        },
        "issue_milestoned_or_demilestoned" => {
            let milestone = match &p.milestone {
                Some(m) => format!(
                    "milestone {}",
                    link_or_name(&m.title, m.html_url.as_deref())
                ),
                None => "a milestone".to_string(),
            };
            format!("{sender} {verb} {milestone} {prep} {link}.")
        }
        "issues_transferred" => {
            let to =
                changes.and_then(|c| Some((c.new_issue.as_ref()?, c.new_repository.as_ref()?)));
            match to {
                Some((new, repo)) => format!(
                    "{} transferred {link} to [{}#{}]({}).",
                    p.sender.login, repo.full_name, new.number, new.html_url
                ),
                None => format!("{} transferred {link}.", p.sender.login),
            }
        }
        // issues_opened_via_transfer
        _ => {
            let from =
                changes.and_then(|c| Some((c.old_issue.as_ref()?, c.old_repository.as_ref()?)));
            match from {
                Some((old, repo)) => format!(
                    "{link} was transferred from [{}#{}]({}).",
                    repo.full_name, old.number, old.html_url
                ),
                None => format!("{link} was transferred from another repository."),
            }
        }
    };
    Ok(Formatted::one(key, topic, body))
}

/// `<user> [commented](url) on [<sha>](commit url):` and the comment.
fn commit_comment(p: &CommitCommentEvent) -> Formatting {
    let c = &p.comment;
    let commit_url = c.html_url.split('#').next().unwrap_or(&c.html_url);
    let short = c.commit_id.get(..11).unwrap_or(&c.commit_id);
    let line = format!(
        "{} [commented]({}) on [{short}]({commit_url})",
        p.sender.login, c.html_url
    );
    let quoted = quote(&c.body);
    let body = if quoted.is_empty() {
        line + "."
    } else {
        format!("{line}:{quoted}")
    };
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A commit status, in the CI thread with check and workflow runs.
fn status(p: &StatusEvent) -> Formatting {
    let short = p.sha.get(..11).unwrap_or(&p.sha);
    let state = link_or_name(&p.state, p.target_url.as_deref());
    let context = p
        .context
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let body = format!(
        "[{short}]({}/commit/{}) changed its status to {state}{context}.",
        p.repository.html_url, p.sha
    );
    let key = format!("{} / checks", p.repository.name);
    Ok(Formatted::one(key.clone(), key, body))
}

/// `deployment` and `deployment_status`, one thread per environment.
fn deployment(event: &str, p: &DeploymentEvent) -> Formatting {
    let d = &p.deployment;
    let body = match (event, &p.deployment_status) {
        ("deployment_status", Some(s)) => {
            let url = s.target_url.as_deref().or(s.log_url.as_deref());
            format!(
                "Deployment changed status to {}.",
                link_or_name(&s.state, url)
            )
        }
        ("deployment_status", None) => "Deployment changed status.".to_string(),
        _ => match d.git_ref.as_deref().filter(|r| !r.is_empty()) {
            Some(git_ref) => format!("{} created new deployment of `{git_ref}`.", p.sender.login),
            None => format!("{} created new deployment.", p.sender.login),
        },
    };
    let key = format!("{} / Deployment on {}", p.repository.name, d.environment);
    Ok(Formatted::one(key.clone(), key, body))
}

/// Wiki pages created or edited, one bullet each.
fn gollum(p: &GollumEvent) -> Formatting {
    let mut body = format!("{}:", p.sender.login);
    for page in &p.pages {
        body.push_str(&format!(
            "\n* {} [{}]({})",
            page.action, page.title, page.html_url
        ));
    }
    let key = format!("{} / wiki pages", p.repository.name);
    Ok(Formatted::one(key.clone(), key, body))
}

/// `watch` (a star), `public` and `repository` (created, archived…).
fn repository(event: &str, p: &RepositoryEvent) -> Formatting {
    let repo = repo_link(&p.repository);
    let user = &p.sender.login;
    let body = match event {
        "watch" => format!("{user} starred the repository {repo}."),
        "public" => format!("{user} made the repository {repo} public."),
        _ => {
            let action = p.action.as_deref().unwrap_or("changed");
            format!("{user} {action} the repository {repo}.")
        }
    };
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

fn page_build(p: &PageBuildEvent) -> Formatting {
    let b = &p.build;
    let error = b
        .error
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .filter(|m| !m.is_empty());
    let outcome = match (b.status.as_str(), error) {
        ("null", _) => "has yet to be built".to_string(),
        ("building", _) => "is being built".to_string(),
        ("built", _) => "has finished building".to_string(),
        ("errored", Some(message)) => format!("has failed:{}", quote(message)),
        ("errored", None) => "has failed".to_string(),
        (status, _) => format!("is {status}"),
    };
    let pusher = b
        .pusher
        .as_ref()
        .or(p.sender.as_ref())
        .map_or("someone", |u| u.login.as_str());
    let body = if outcome.contains('\n') {
        format!("GitHub Pages build, triggered by {pusher}, {outcome}")
    } else {
        format!("GitHub Pages build, triggered by {pusher}, {outcome}.")
    };
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A team's edits; its creation and deletion are not posted (Zulip).
fn team(p: &TeamEvent) -> Formatting {
    let t = &p.team;
    let changes = p.changes.as_ref();
    let changed = |field: &str| changes.is_some_and(|c| c.contains_key(field));
    let body = if changed("description") {
        let text = t.description.as_deref().unwrap_or("");
        let who = p.sender.as_ref().map_or("Someone", |s| s.login.as_str());
        format!("{who} changed the team description to:{}", quote(text))
    } else if changed("name") {
        let from = changes
            .and_then(|c| c.get("name"))
            .and_then(|n| n.get("from"))
            .and_then(serde_json::Value::as_str);
        match from {
            Some(from) => format!("Team `{from}` was renamed to `{}`.", t.name),
            None => format!("Team was renamed to `{}`.", t.name),
        }
    } else if changed("privacy") {
        format!(
            "Team visibility changed to `{}`.",
            t.privacy.as_deref().unwrap_or("unknown")
        )
    } else {
        let mut keys: Vec<&str> = changes
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        format!("Team has changes to `{}` data.", keys.join("/"))
    };
    // Keyed by id where sent, so that a renamed team keeps its thread.
    let topic = format!("team {}", t.name);
    let key =
        t.id.map_or_else(|| topic.clone(), |id| format!("team #{id}"));
    Ok(Formatted::one(key, topic, body))
}

fn team_add(p: &TeamAddEvent) -> Formatting {
    let body = format!(
        "The repository {} was added to team {}.",
        repo_link(&p.repository),
        p.team.name
    );
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A collaborator added to, removed from or changed on a repository.
fn member(p: &MemberEvent) -> Formatting {
    let member = link_or_name(&p.member.login, p.member.html_url.as_deref());
    let repo = format!("[{}]({})", p.repository.name, p.repository.html_url);
    let body = match p.action.as_str() {
        "removed" => format!("{} removed {member} from {repo}.", p.sender.login),
        "edited" => format!(
            "{} changed the permissions of {member} on {repo}.",
            p.sender.login
        ),
        action => format!("{} {action} {member} to {repo}.", p.sender.login),
    };
    let key = p.repository.name.clone();
    Ok(Formatted::one(key.clone(), key, body))
}

/// A member added to or removed from a team, in the organisation's thread.
fn membership(p: &MembershipEvent) -> Formatting {
    let member = link_or_name(&p.member.login, p.member.html_url.as_deref());
    let prep = if p.action == "removed" { "from" } else { "to" };
    let body = format!(
        "{} {} {member} {prep} the {} team.",
        p.sender.login, p.action, p.team.name
    );
    let key = match &p.organization {
        Some(org) => format!("{} organization", org.login),
        None => format!("team {}", p.team.name),
    };
    Ok(Formatted::one(key.clone(), key, body))
}

fn repo_link(repo: &Repository) -> String {
    git::repo_link(&repo.full_name, &repo.html_url)
}

/// An edit that did not change the text (Zulip ignores it): no earlier
/// text is sent, or it is the text the comment still has, as GitHub sends
/// when only a task list or a mention's rendering changed.
fn unchanged_edit(
    action: &str,
    changes: Option<&serde_json::Map<String, Value>>,
    body: &str,
) -> bool {
    let before = changes
        .and_then(|c| c.get("body"))
        .and_then(|b| b.get("from"))
        .and_then(Value::as_str);
    action == "edited" && before.is_none_or(|before| before == body)
}

/// `("assigned", "to")` or `("unassigned", "from")`.
fn assignment(action: &str) -> (&'static str, &'static str) {
    if action == "assigned" {
        ("assigned", "to")
    } else {
        ("unassigned", "from")
    }
}

fn link_or_name(name: &str, url: Option<&str>) -> String {
    match url.filter(|u| crate::url::is_web_url(u)) {
        Some(url) => format!("[{name}]({url})"),
        None => name.to_string(),
    }
}
