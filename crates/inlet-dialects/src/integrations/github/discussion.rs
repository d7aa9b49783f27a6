//! GitHub Discussions: a discussion's actions and its comments, one thread
//! per discussion (`<repo> discussion #<n>`, shown with its title).

use super::payload::{Comment, Named, Repository, User};
use crate::integrations::git::item_link;
use crate::integrations::params::Params;
use crate::integrations::text::quote;
use crate::integrations::{Formatted, Formatting};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct DiscussionEvent {
    action: String,
    discussion: Discussion,
    repository: Repository,
    sender: User,
    #[serde(default)]
    comment: Option<Comment>,
    /// The comment marked as the answer (`answered`).
    #[serde(default)]
    answer: Option<Link>,
    /// The label added or removed (`labeled`, `unlabeled`).
    #[serde(default)]
    label: Option<Named>,
    #[serde(default)]
    changes: Option<Changes>,
}

#[derive(Debug, Deserialize)]
struct Discussion {
    number: u64,
    html_url: String,
    title: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    category: Option<Named>,
}

#[derive(Debug, Deserialize)]
struct Link {
    #[serde(default)]
    html_url: Option<String>,
}

/// A category change's former category, a transfer's new discussion.
#[derive(Debug, Deserialize)]
struct Changes {
    #[serde(default)]
    category: Option<CategoryChange>,
    #[serde(default)]
    new_discussion: Option<NewDiscussion>,
    #[serde(default)]
    new_repository: Option<NewRepository>,
}

#[derive(Debug, Deserialize)]
struct CategoryChange {
    from: Named,
}

#[derive(Debug, Deserialize)]
struct NewDiscussion {
    number: u64,
    html_url: String,
}

#[derive(Debug, Deserialize)]
struct NewRepository {
    full_name: String,
}

pub fn format(event: &str, p: &DiscussionEvent, params: &Params<'_>) -> Formatting {
    let d = &p.discussion;
    let title = params.topic_overridden().then_some(d.title.as_str());
    let link = item_link("discussion", d.number, title, &d.html_url);
    let body = match (event, &p.comment) {
        ("discussion_comment", Some(comment)) => {
            let url = &comment.html_url;
            let verb = match p.action.as_str() {
                "created" => format!("[commented]({url}) on"),
                action => format!("{action} a [comment]({url}) on"),
            };
            format!("{} {verb} {link}:{}", p.sender.login, quote(&comment.body))
        }
        ("discussion_comment", None) => {
            format!("{} {} a comment on {link}.", p.sender.login, p.action)
        }
        _ => action_message(p, &link),
    };
    let key = format!("{} discussion #{}", p.repository.name, d.number);
    let topic = format!("{key}: {}", d.title);
    Ok(Formatted::one(key, topic, body))
}

/// A discussion's own action, with what it carries: the category, the
/// answer, the label, where it was moved or transferred.
fn action_message(p: &DiscussionEvent, link: &str) -> String {
    let d = &p.discussion;
    let user = &p.sender.login;
    let category = d.category.as_ref().map(|c| c.name.as_str());
    let changes = p.changes.as_ref();
    match p.action.as_str() {
        "created" => {
            let category = category.map(|c| format!(" in {c}")).unwrap_or_default();
            let text = format!("### {}\n{}", d.title, d.body.as_deref().unwrap_or(""));
            format!("{user} created {link}{category}:{}", quote(&text))
        }
        "answered" => match p.answer.as_ref().and_then(|a| a.html_url.as_deref()) {
            Some(url) => format!("{user} marked [an answer]({url}) to {link}."),
            None => format!("{user} marked an answer to {link}."),
        },
        "unanswered" => format!("{user} unmarked the answer to {link}."),
        "labeled" | "unlabeled" => {
            let (verb, prep) = if p.action == "labeled" {
                ("added", "to")
            } else {
                ("removed", "from")
            };
            match &p.label {
                Some(label) => format!("{user} {verb} the {} label {prep} {link}.", label.name),
                None => format!("{user} {verb} a label {prep} {link}."),
            }
        }
        "category_changed" => {
            let from = changes.and_then(|c| c.category.as_ref());
            match (from, category) {
                (Some(from), Some(to)) => {
                    format!("{user} moved {link} from {} to {to}.", from.from.name)
                }
                (None, Some(to)) => format!("{user} moved {link} to {to}."),
                _ => format!("{user} changed the category of {link}."),
            }
        }
        "transferred" => {
            let to = changes
                .and_then(|c| Some((c.new_discussion.as_ref()?, c.new_repository.as_ref()?)));
            match to {
                Some((new, repo)) => format!(
                    "{user} transferred {link} to [{}#{}]({}).",
                    repo.full_name, new.number, new.html_url
                ),
                None => format!("{user} transferred {link}."),
            }
        }
        action => format!("{user} {action} {link}."),
    }
}
