//! Message formats shared by the git hosting integrations (Zulip's
//! `lib/webhooks/git.py` conventions, in markdown): pushes with a capped
//! commit list, and the issue / pull request line. `payload.rs` holds the
//! payload parts these vendors send alike.

pub mod payload;

use super::Formatted;
use super::text::{end_sentence, first_line, plural, quote};
use std::collections::BTreeMap;

/// At most this many commits are listed; the rest are counted.
pub const COMMITS_LIMIT: usize = 20;

/// One pushed commit.
pub struct Commit<'a> {
    pub sha: &'a str,
    pub url: &'a str,
    pub message: &'a str,
    pub author: &'a str,
}

/// A push to a branch.
pub struct Push<'a> {
    pub user: &'a str,
    pub compare_url: Option<&'a str>,
    pub branch: &'a str,
    pub forced: bool,
    pub deleted: bool,
    pub commits: &'a [Commit<'a>],
    /// `[full_name](url)`, added as "of …" when the topic no longer says
    /// which repository this is.
    pub repo_link: Option<String>,
}

/// `<user> [pushed](<compare>) N commits to branch <b>. Commits by …` and a
/// bullet per commit (at most 20, then `[and N more commit(s)]`).
pub fn push_message(push: &Push<'_>) -> String {
    push_message_of(push, push.commits.len())
}

/// As `push_message`, for a push of `total` commits of which the vendor
/// lists only some (GitLab lists at most 20, and counts them all).
pub fn push_message_of(push: &Push<'_>, total: usize) -> String {
    let total = total.max(push.commits.len());
    let verb = |plain: &str| match push.compare_url {
        Some(url) => format!("[{plain}]({url})"),
        None => plain.to_string(),
    };
    let of_repo = push
        .repo_link
        .as_ref()
        .map(|r| format!(" of {r}"))
        .unwrap_or_default();
    if push.deleted {
        return format!(
            "{} {} the branch {}{of_repo}.",
            push.user,
            verb("deleted"),
            push.branch
        );
    }
    let pushed = verb(if push.forced {
        "force pushed"
    } else {
        "pushed"
    });
    if push.commits.is_empty() {
        return format!(
            "{} {pushed} the branch {}{of_repo}.",
            push.user, push.branch
        );
    }
    let mut out = format!(
        "{} {pushed} {} to branch {}{of_repo}.",
        push.user,
        plural(total, "commit"),
        push.branch
    );
    if let Some(by) = committers(push.user, push.commits) {
        out.push(' ');
        out.push_str(&by);
    }
    out.push_str("\n\n");
    for c in push.commits.iter().take(COMMITS_LIMIT) {
        push_bullet(&mut out, c);
    }
    let listed = push.commits.len().min(COMMITS_LIMIT);
    if total > listed {
        let more = total - listed;
        let word = if more == 1 { "commit" } else { "commits" };
        out.push_str(&format!("[and {more} more {word}]\n"));
    }
    out.truncate(out.trim_end().len());
    out
}

/// `* <first line> ([<sha11>](<url>))` and a newline, appended piece by
/// piece: a string formatted per bullet, then copied, was a good part of
/// the cost of a push of twenty commits.
fn push_bullet(out: &mut String, c: &Commit<'_>) {
    let sha = c.sha.get(..11).unwrap_or(c.sha);
    for piece in ["* ", first_line(c.message), " ([", sha, "](", c.url, "))\n"] {
        out.push_str(piece);
    }
}

/// `Commits by a (3), b (2) and others (4).`; `None` when the pusher wrote
/// every commit. Sorted by count, then name; at most three names.
fn committers(pusher: &str, commits: &[Commit<'_>]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in commits {
        *counts.entry(c.author).or_default() += 1;
    }
    if counts.len() == 1 && counts.contains_key(pusher) {
        return None;
    }
    let mut sorted: Vec<(&str, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = sorted
        .iter()
        .take(3)
        .map(|(name, n)| format!("{name} ({n})"))
        .collect();
    let others: usize = sorted.iter().skip(3).map(|(_, n)| n).sum();
    if others > 0 {
        parts.push(format!("others ({others})"));
    }
    Some(format!("Commits by {}.", join_and(&parts)))
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// An issue or pull request event line: `<user> <action> [<kind> #<n>[ <title>]](<url>)`,
/// branch info, assignee, then `:` and the quoted body, or `.`.
pub struct ItemLine<'a> {
    pub user: &'a str,
    pub action: &'a str,
    /// `PR` or `issue`.
    pub kind: &'a str,
    pub number: u64,
    pub url: &'a str,
    /// Shown in the link when the topic was overridden.
    pub title: Option<&'a str>,
    /// `(head, base)`.
    pub branches: Option<(&'a str, &'a str)>,
    pub assignee: Option<&'a str>,
    pub body: Option<&'a str>,
}

impl<'a> ItemLine<'a> {
    /// `user`'s line about `kind` #`number` at `url`: no action yet, and
    /// nothing after the link until the event says what to show.
    pub fn new(
        user: &'a str,
        kind: &'a str,
        number: u64,
        url: &'a str,
        title: Option<&'a str>,
    ) -> Self {
        Self {
            user,
            action: "",
            kind,
            number,
            url,
            title,
            branches: None,
            assignee: None,
            body: None,
        }
    }
}

/// `[PR #42](url)`, or `[PR #42 Title](url)` when the topic was overridden.
pub fn item_link(kind: &str, number: u64, title: Option<&str>, url: &str) -> String {
    match title {
        Some(title) => format!("[{kind} #{number} {title}]({url})"),
        None => format!("[{kind} #{number}]({url})"),
    }
}

pub fn item_message(item: &ItemLine<'_>) -> String {
    let link = item_link(item.kind, item.number, item.title, item.url);
    let mut line = format!("{} {} {link}", item.user, item.action);
    if let Some((head, base)) = item.branches {
        line.push_str(&format!(" from `{head}` to `{base}`"));
    }
    if let Some(assignee) = item.assignee {
        line.push_str(&format!(" (assigned to {assignee})"));
    }
    let body = item.body.map(quote).unwrap_or_default();
    if body.is_empty() {
        // A title ending in punctuation takes no full stop (Zulip).
        if item.title.is_some() {
            end_sentence(line, '.')
        } else {
            line + "."
        }
    } else {
        format!("{line}:{body}")
    }
}

/// `<repo> / <kind> #<n>`, the stable thread key of an issue, pull or
/// merge request, and the topic readers see, the same with its title.
pub fn item_thread(repo: &str, kind: &str, number: u64, title: &str) -> (String, String) {
    let key = format!("{repo} / {kind} #{number}");
    let topic = format!("{key} {title}");
    (key, topic)
}

/// `<user> [commented](<url>) on <item>:` and the quoted comment; an
/// edited or deleted comment says so (`edited a [comment](<url>) on`).
pub fn comment_message(user: &str, action: &str, comment: &payload::Comment, item: &str) -> String {
    let url = &comment.html_url;
    let verb = match action {
        "deleted" => format!("deleted a [comment]({url}) on"),
        "edited" => format!("edited a [comment]({url}) on"),
        _ => format!("[commented]({url}) on"),
    };
    format!("{user} {verb} {item}:{}", quote(&comment.body))
}

/// `[<full name>](<url>)`.
pub fn repo_link(full_name: &str, url: &str) -> String {
    format!("[{full_name}]({url})")
}

/// The branch a `refs/heads/…` ref names (any other ref as it is).
pub fn branch_of(git_ref: &str) -> &str {
    git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref)
}

/// Whether a sha is all zeros: how Gitea and GitLab mark a deleted ref.
pub fn is_zero_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// The name a release is shown by: its own, else its tag.
pub fn release_name<'a>(name: Option<&'a str>, tag: &'a str) -> &'a str {
    name.filter(|n| !n.is_empty()).unwrap_or(tag)
}

/// `<user> <action> release [<name>](<url>) for tag <tag>.`
pub fn release_line(user: &str, action: &str, name: &str, url: &str, tag: &str) -> String {
    format!("{user} {action} release [{name}]({url}) for tag {tag}.")
}

/// A push's message, in the thread of its branch (`<repo> / <branch>`).
pub fn push_formatted(repo: &str, push: &Push<'_>) -> Formatted {
    let key = format!("{repo} / {}", push.branch);
    Formatted::one(key.clone(), key, push_message(push))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit<'a>(author: &'a str) -> Commit<'a> {
        Commit {
            sha: "0123456789abcdef",
            url: "https://example.com/c",
            message: "Fix it\n\nlong text",
            author,
        }
    }

    #[test]
    fn committers_are_sorted_and_capped() {
        let commits: Vec<Commit> = ["b", "a", "c", "d", "b", "e"]
            .into_iter()
            .map(commit)
            .collect();
        assert_eq!(
            committers("x", &commits).as_deref(),
            Some("Commits by b (2), a (1), c (1) and others (2).")
        );
        let mine = [commit("x"), commit("x")];
        assert_eq!(committers("x", &mine), None);
    }

    /// x's push of `commits` to main.
    fn push_by_x<'a>(commits: &'a [Commit<'a>]) -> Push<'a> {
        Push {
            user: "x",
            compare_url: None,
            branch: "main",
            forced: false,
            deleted: false,
            commits,
            repo_link: None,
        }
    }

    #[test]
    fn long_pushes_are_capped_at_twenty() {
        let commits: Vec<Commit> = (0..23).map(|_| commit("x")).collect();
        let push = push_by_x(&commits);
        let text = push_message(&push);
        assert_eq!(text.matches("\n* ").count(), 20);
        assert!(text.ends_with("[and 3 more commits]"), "{text}");
    }

    #[test]
    fn pushes_listed_in_part_count_every_commit() {
        let commits: Vec<Commit> = (0..20).map(|_| commit("x")).collect();
        let push = push_by_x(&commits);
        let text = push_message_of(&push, 26);
        assert!(
            text.starts_with("x pushed 26 commits to branch main."),
            "{text}"
        );
        assert!(text.ends_with("[and 6 more commits]"), "{text}");
        assert_eq!(push_message_of(&push, 3), push_message(&push));
    }
}
