//! Gitea messages, in Zulip's wording (research notes, section 2.3), with
//! the topic conventions of dialects.md: pull requests are threaded by
//! their number (Zulip's Gitea topic uses the internal id, a quirk we do
//! not copy).

use super::payload::*;
use crate::integrations::git::{self, Commit, ItemLine, Push, item_link, item_message};
use crate::integrations::params::Params;
use crate::integrations::payload::parse;
use crate::integrations::{Formatted, Formatting, IgnoreReason};
use serde_json::Value;

/// Which of the two vendors sharing these payloads sent the event: Gogs,
/// which Gitea was forked from, serves branches and tags at other
/// addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    Gitea,
    Gogs,
}

pub fn format(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    format_as(Host::Gitea, event, payload, params)
}

/// `event` formatted as `host` words it.
pub fn format_as(host: Host, event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    match event {
        "push" => push(&parse(payload)?, params),
        "pull_request" => pull_request(&parse(payload)?, params),
        "issues" => issues(&parse(payload)?, params),
        "issue_comment" => issue_comment(&parse(payload)?, params, false),
        // Newer Gitea names comments on pull requests apart.
        "pull_request_comment" => issue_comment(&parse(payload)?, params, true),
        "release" => release(&parse(payload)?),
        "create" => create(host, &parse(payload)?),
        "delete" => delete(&parse(payload)?),
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

fn push(p: &PushEvent, params: &Params<'_>) -> Formatting {
    let branch = git::branch_of(&p.git_ref);
    if !params.branch_allowed(branch) {
        return Ok(Formatted::Ignore(IgnoreReason::Filtered));
    }
    // Zulip: the author's username, else the first word of the name.
    let commits: Vec<Commit<'_>> = p
        .commits
        .iter()
        .map(|c| {
            let author = &c.author;
            let username = author.username.as_deref().filter(|u| !u.is_empty());
            c.listed(
                username.unwrap_or_else(|| author.name.split_whitespace().next().unwrap_or("")),
            )
        })
        .collect();
    let repo = &p.repository;
    let push = Push {
        user: &p.sender.login,
        compare_url: p.compare_url.as_deref().filter(|c| !c.is_empty()),
        branch,
        forced: false,
        deleted: git::is_zero_sha(&p.after),
        commits: &commits,
        repo_link: params
            .topic_overridden()
            .then(|| git::repo_link(&repo.full_name, &repo.html_url)),
    };
    Ok(git::push_formatted(&repo.name, &push))
}

/// The item's own `html_url`, else the one Gitea serves it at (older
/// versions send none): `<repo>/issues/<n>` or `<repo>/pulls/<n>`.
fn item_url(repo: &Repository, html_url: Option<&str>, pulls: bool, number: u64) -> String {
    match html_url.filter(|u| !u.is_empty()) {
        Some(url) => url.to_string(),
        None => {
            let path = if pulls { "pulls" } else { "issues" };
            format!("{}/{path}/{number}", repo.html_url.trim_end_matches('/'))
        }
    }
}

/// `a`, `a and b`…: every assignee's login, else the single `assignee`.
fn assignee_logins(assignees: Option<&Vec<User>>, assignee: Option<&User>) -> Option<String> {
    let mut logins: Vec<String> = assignees
        .into_iter()
        .flatten()
        .map(|a| a.login.clone())
        .collect();
    if logins.is_empty() {
        logins.extend(assignee.map(|a| a.login.clone()));
    }
    (!logins.is_empty()).then(|| git::join_and(&logins))
}

fn pull_request(p: &PullRequestEvent, params: &Params<'_>) -> Formatting {
    let pr = &p.pull_request;
    let merged_by = pr.merged_by.as_ref().map(|u| u.login.as_str());
    let (user, action) = match p.action.as_str() {
        "closed" if pr.merged => (merged_by.unwrap_or(&p.sender.login), "merged"),
        "synchronized" => (p.sender.login.as_str(), "updated"),
        action => (p.sender.login.as_str(), action),
    };
    let url = item_url(&p.repository, pr.html_url.as_deref(), true, p.number);
    let title = params.topic_overridden().then_some(pr.title.as_str());
    let branches = pr.branches()?;
    if let ("assigned", Some(assignee)) = (p.action.as_str(), &pr.assignee) {
        // As for issues: who was assigned is the news.
        let link = item_link("PR", p.number, title, &url);
        let body = format!(
            "{} assigned {} to {link} from `{}` to `{}`.",
            p.sender.login, assignee.login, branches.0, branches.1
        );
        let (key, topic) = git::item_thread(&p.repository.name, "PR", p.number, &pr.title);
        return Ok(Formatted::one(key, topic, body));
    }
    // Zulip gives the branches on every action but "edited", and the
    // assignees on every one.
    let with_branches = p.action != "edited";
    let assignees = assignee_logins(pr.assignees.as_ref(), pr.assignee.as_ref());
    let item = ItemLine {
        user,
        action,
        kind: "PR",
        number: p.number,
        url: &url,
        title,
        branches: with_branches.then_some(branches),
        assignee: assignees.as_deref(),
        body: (p.action == "opened")
            .then_some(pr.body.as_deref())
            .flatten(),
    };
    let (key, topic) = git::item_thread(&p.repository.name, "PR", p.number, &pr.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

fn issues(p: &IssuesEvent, params: &Params<'_>) -> Formatting {
    let issue = &p.issue;
    let number = issue.issue_number()?;
    let url = item_url(&p.repository, issue.html_url.as_deref(), false, number);
    let issue_url = url.as_str();
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let assignees = assignee_logins(issue.assignees.as_ref(), issue.assignee.as_ref());
    let body = match (p.action.as_str(), &issue.assignee) {
        ("assigned", Some(assignee)) => {
            let link = item_link("issue", number, title, issue_url);
            format!("{} assigned {} to {link}.", p.sender.login, assignee.login)
        }
        ("unassigned", _) => {
            let link = item_link("issue", number, title, issue_url);
            format!("{} unassigned {link}.", p.sender.login)
        }
        (action, _) => item_message(&ItemLine {
            user: &p.sender.login,
            action,
            kind: "issue",
            number,
            url: issue_url,
            title,
            branches: None,
            assignee: assignees.as_deref(),
            body: matches!(action, "opened" | "edited")
                .then_some(issue.body.as_deref())
                .flatten(),
        }),
    };
    let (key, topic) = git::item_thread(&p.repository.name, "issue", number, &issue.title);
    Ok(Formatted::one(key, topic, body))
}

fn issue_comment(p: &IssueCommentEvent, params: &Params<'_>, on_pull: bool) -> Formatting {
    let issue = &p.issue;
    let number = issue.issue_number()?;
    let is_pull = on_pull || p.is_pull;
    let kind = if is_pull { "PR" } else { "issue" };
    let title = params.topic_overridden().then_some(issue.title.as_str());
    let issue_url = item_url(&p.repository, issue.html_url.as_deref(), is_pull, number);
    let link = item_link(kind, number, title, &issue_url);
    let body = git::comment_message(&p.sender.login, &p.action, &p.comment, &link);
    let (key, topic) = git::item_thread(&p.repository.name, kind, number, &issue.title);
    Ok(Formatted::one(key, topic, body))
}

fn release(p: &ReleaseEvent) -> Formatting {
    let r = &p.release;
    let name = git::release_name(r.name.as_deref(), &r.tag_name);
    let user = r.author.as_ref().unwrap_or(&p.sender);
    // Without its own address (Gogs), the repository's releases page.
    let url = match r.html_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => url.to_string(),
        None => format!("{}/releases", p.repository.html_url.trim_end_matches('/')),
    };
    let body = git::release_line(&user.login, &p.action, name, &url, &r.tag_name);
    let key = format!("{} / {}", p.repository.name, r.tag_name);
    let topic = format!("{key} {name}");
    Ok(Formatted::one(key, topic, body))
}

/// A branch or a tag deleted (Gogs), in the thread it was created in.
fn delete(p: &CreateEvent) -> Formatting {
    let kind = if p.ref_type == "tag" { "tag" } else { "branch" };
    let body = format!("{} deleted {kind} {}.", p.sender.login, p.git_ref);
    let key = format!("{} / {}", p.repository.name, p.git_ref);
    Ok(Formatted::one(key.clone(), key, body))
}

/// A branch or a tag created (Zulip's "created [<name>](<url>) branch"),
/// in the thread of the branch's pushes or of the tag's release.
fn create(host: Host, p: &CreateEvent) -> Formatting {
    let kind = if p.ref_type == "tag" { "tag" } else { "branch" };
    let base = p.repository.html_url.trim_end_matches('/');
    let url = match host {
        Host::Gitea => format!("{base}/src/{kind}/{}", p.git_ref),
        Host::Gogs => format!("{base}/src/{}", p.git_ref),
    };
    let body = format!("{} created {kind} [{}]({url}).", p.sender.login, p.git_ref);
    let key = format!("{} / {}", p.repository.name, p.git_ref);
    Ok(Formatted::one(key.clone(), key, body))
}
