//! Bitbucket Cloud messages, in Zulip's wording: pushes per changed ref,
//! pull requests and issues threaded by number, commit statuses in the
//! thread of their branch.

use super::payload::*;
use crate::integrations::error::IntegrationError;
use crate::integrations::git::{self, ItemLine, item_message};
use crate::integrations::params::Params;
use crate::integrations::payload::parse_without_nulls;
use crate::integrations::text::quote;
use crate::integrations::{Formatted, Formatting, IgnoreReason, Message};
use serde_json::Value;

pub fn format(event: &str, payload: &Value, params: &Params<'_>) -> Formatting {
    match event {
        "push" => push(&parse_without_nulls(payload)?, params),
        "fork" => fork(&parse_without_nulls(payload)?),
        "commit_comment" => commit_comment(&parse_without_nulls(payload)?),
        "change_commit_status" => commit_status(&parse_without_nulls(payload)?),
        "issue_created" | "issue_updated" | "issue_commented" => {
            issue(event, &parse_without_nulls(payload)?, params)
        }
        "repo:updated" => repo_updated(&parse_without_nulls(payload)?),
        _ if event.starts_with("pull_request_") => {
            pull_request(event, &parse_without_nulls(payload)?, params)
        }
        // Only declared events reach a formatter.
        _ => Ok(Formatted::Ignore(IgnoreReason::Unsupported)),
    }
}

/// `<sha>` cut to the 11 characters Zulip shows.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..11).unwrap_or(sha)
}

/// `[text](url)`, or the text alone without a URL.
fn link(text: &str, url: Option<&str>) -> String {
    match url {
        Some(url) => format!("[{text}]({url})"),
        None => text.to_string(),
    }
}

/// One message per changed ref (Zulip's), each in the thread of its
/// branch or tag; an empty push, or one whose branches are all left out
/// by `branches`, posts nothing.
pub(super) fn push(p: &PushEvent, params: &Params<'_>) -> Formatting {
    let user = name_of(&p.actor);
    let repo = &p.repository.name;
    let mut messages = Vec::new();
    for change in &p.push.changes {
        let Some(state) = change.new.as_ref().or(change.old.as_ref()) else {
            continue;
        };
        if state.name.is_empty() {
            return Err(IntegrationError::invalid(
                "field `push.changes[].new.name` is required",
            ));
        }
        let key = format!("{repo} / {}", state.name);
        let body = if state.kind == "tag" {
            let action = if change.new.is_some() {
                "pushed"
            } else {
                "removed"
            };
            format!(
                "{user} {action} tag {}.",
                link(&state.name, state.links.html())
            )
        } else {
            if !params.branch_allowed(&state.name) {
                continue;
            }
            branch_push(user, change, state)
        };
        messages.push(Message {
            thread_key: key.clone(),
            topic: key,
            body_markdown: body,
        });
    }
    if messages.is_empty() {
        let reason = if p.push.changes.is_empty() {
            IgnoreReason::NotWanted
        } else {
            IgnoreReason::Filtered
        };
        return Ok(Formatted::Ignore(reason));
    }
    Ok(Formatted::Messages(messages))
}

fn branch_push(user: &str, change: &Change, state: &RefState) -> String {
    let compare = change.links.html();
    if change.new.is_none() {
        return format!("{user} deleted branch {}.", state.name);
    }
    if change.forced {
        let head = state
            .target
            .as_ref()
            .and_then(|t| t.hash.as_deref())
            .unwrap_or("");
        return format!(
            "{user} {} to branch {}. Head is now {head}.",
            link("force pushed", compare),
            state.name
        );
    }
    let authors: Vec<String> = change.commits.iter().map(author_of).collect();
    let commits: Vec<git::Commit<'_>> = change
        .commits
        .iter()
        .zip(&authors)
        .map(|(c, author)| git::Commit {
            sha: &c.hash,
            url: c.links.html().unwrap_or(""),
            message: &c.message,
            author,
        })
        .collect();
    let mut body = git::push_message(&git::Push {
        user,
        compare_url: compare,
        branch: &state.name,
        forced: false,
        deleted: false,
        commits: &commits,
        repo_link: None,
    });
    // Bitbucket lists at most five commits and says when it left some out.
    if change.truncated && commits.len() <= git::COMMITS_LIMIT {
        body.push_str("\n[and more commits]");
    }
    body
}

/// The commit's Bitbucket user, else the first word of its raw author.
fn author_of(c: &Commit) -> String {
    let Some(author) = &c.author else {
        return String::new();
    };
    if let Some(user) = &author.user {
        return user.name().to_string();
    }
    let raw = author.raw.as_deref().unwrap_or("");
    raw.split_whitespace().next().unwrap_or("").to_string()
}

fn fork(p: &ForkEvent) -> Formatting {
    let repo = &p.repository.name;
    let fork = &p.fork;
    let name = [fork.full_name.as_deref(), fork.name.as_deref()]
        .into_iter()
        .flatten()
        .find(|n| !n.is_empty())
        .unwrap_or("a new repository");
    let body = format!(
        "{} forked the repository into {}.",
        name_of(&p.actor),
        link(name, fork.links.html())
    );
    Ok(Formatted::one(repo.clone(), repo.clone(), body))
}

fn commit_comment(p: &CommitCommentEvent) -> Formatting {
    let commit = [p.comment.commit.as_ref(), p.commit.as_ref()]
        .into_iter()
        .flatten()
        .find(|c| !c.hash.is_empty())
        .ok_or_else(|| IntegrationError::invalid("field `comment.commit.hash` is required"))?;
    let body = format!(
        "{} {} on {}:{}",
        name_of(&p.actor),
        link("commented", p.comment.links.html()),
        link(short_sha(&commit.hash), commit.links.html()),
        quote(p.comment.text())
    );
    let repo = &p.repository.name;
    Ok(Formatted::one(repo.clone(), repo.clone(), body))
}

/// `[System <key>](<url>) changed status of [<sha>](<commit>) to <state>.`,
/// in the thread of its branch when Bitbucket names it (with that branch's
/// pushes), else of its commit: a build's start and result together.
fn commit_status(p: &CommitStatusEvent) -> Formatting {
    let status = &p.commit_status;
    let sha = status
        .links
        .commit
        .as_ref()
        .and_then(|l| l.href.as_deref())
        .and_then(|href| href.rsplit('/').next())
        .or(status.commit.as_ref().map(|c| c.hash.as_str()))
        .unwrap_or("");
    let repo = &p.repository;
    let commit_url = repo
        .links
        .html()
        .map(|r| format!("{}/commits/{sha}", r.trim_end_matches('/')));
    // The key names the reporting system; its display name stands in.
    let key = [status.key.as_deref(), status.name.as_deref()]
        .into_iter()
        .flatten()
        .find(|k| !k.is_empty())
        .unwrap_or("build");
    let system = link(&format!("System {key}"), status.url.as_deref());
    let body = format!(
        "{system} changed status of {} to {}.",
        link(short_sha(sha), commit_url.as_deref()),
        status.state
    );
    let key = match status.refname.as_deref().filter(|r| !r.is_empty()) {
        Some(branch) => format!("{} / {branch}", repo.name),
        None => format!("{} / {}", repo.name, short_sha(sha)),
    };
    Ok(Formatted::one(key.clone(), key, body))
}

fn issue(event: &str, p: &IssueEvent, params: &Params<'_>) -> Formatting {
    let issue = &p.issue;
    let url = issue.links.html().unwrap_or("");
    let commented;
    let (action, body, assignee) = match event {
        "issue_created" => (
            "created",
            issue.content.as_ref().and_then(|c| c.raw.as_deref()),
            issue.assignee.as_ref().map(User::name),
        ),
        "issue_commented" => {
            let comment = p.comment.as_ref();
            commented = format!(
                "{} on",
                link("commented", comment.and_then(|c| c.links.html()))
            );
            (commented.as_str(), comment.map(Comment::text), None)
        }
        _ => ("updated", None, None),
    };
    let item = ItemLine {
        user: name_of(&p.actor),
        action,
        kind: "issue",
        number: issue.id,
        url,
        title: params.topic_overridden().then_some(issue.title.as_str()),
        branches: None,
        assignee,
        body,
    };
    let (key, topic) = git::item_thread(&p.repository.name, "issue", issue.id, &issue.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

fn pull_request(event: &str, p: &PullRequestEvent, params: &Params<'_>) -> Formatting {
    let pr = &p.pullrequest;
    let url = pr.links.html().unwrap_or("");
    let comment_url = p.comment.as_ref().and_then(|c| c.links.html());
    let action = match event {
        "pull_request_created" => "created".to_string(),
        "pull_request_updated" => "updated".to_string(),
        "pull_request_fulfilled" => "merged".to_string(),
        "pull_request_comment_created" => format!("{} on", link("commented", comment_url)),
        "pull_request_comment_updated" => format!("updated a {} on", link("comment", comment_url)),
        "pull_request_comment_deleted" => format!("deleted a {} on", link("comment", comment_url)),
        other => other.trim_start_matches("pull_request_").to_string(),
    };
    let (branches, body, assignee) = match event {
        "pull_request_created" | "pull_request_updated" => (
            (event == "pull_request_created")
                .then(|| pr.branches())
                .flatten(),
            pr.description.as_deref(),
            pr.reviewers.first().map(User::name),
        ),
        "pull_request_fulfilled" => (pr.branches(), None, None),
        _ if event.starts_with("pull_request_comment_") => {
            (None, p.comment.as_ref().map(Comment::text), None)
        }
        _ => (None, None, None),
    };
    let item = ItemLine {
        user: name_of(&p.actor),
        action: &action,
        kind: "PR",
        number: pr.id,
        url,
        title: params.topic_overridden().then_some(pr.title.as_str()),
        branches,
        assignee,
        body,
    };
    let (key, topic) = git::item_thread(&p.repository.name, "PR", pr.id, &pr.title);
    Ok(Formatted::one(key, topic, item_message(&item)))
}

/// A line per changed setting: `<actor> changed the <what> of the
/// **<repo>** repo from **<old>** to **<new>**.`
fn repo_updated(p: &RepoUpdatedEvent) -> Formatting {
    let actor = name_of(&p.actor);
    let repo = &p.repository.name;
    // `links` and other structured settings change as objects, which say
    // nothing readable: only scalar values are shown (Zulip skips empty
    // ones).
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    };
    let mut lines = Vec::new();
    for what in [
        "website",
        "name",
        "links",
        "language",
        "full_name",
        "description",
    ] {
        let Some(change) = p.changes.get(what) else {
            continue;
        };
        let new = change.get("new").map(text).unwrap_or_default();
        let old = change.get("old").map(text).unwrap_or_default();
        if new.is_empty() {
            continue;
        }
        let what = what.replace('_', " ");
        let line = if old.is_empty() {
            format!("{actor} changed the {what} of the **{repo}** repo to **{new}**")
        } else {
            format!("{actor} changed the {what} of the **{repo}** repo from **{old}** to **{new}**")
        };
        // No full stop after a value ending in punctuation (Zulip).
        let ends_in_punctuation = new.ends_with(|c: char| c.is_ascii_punctuation());
        lines.push(if ends_in_punctuation {
            line
        } else {
            line + "."
        });
    }
    if lines.is_empty() {
        return Ok(Formatted::Ignore(IgnoreReason::NotWanted));
    }
    Ok(Formatted::one(repo.clone(), repo.clone(), lines.join("\n")))
}
