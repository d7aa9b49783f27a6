//! Where a message's posts go inside their channel: a thread (by key or by
//! root id), one or more cases, or nowhere in particular. Claims are written
//! (and committed) here, before the posts are published; a redelivered
//! message finds its own claims and decides the same. Claims never change
//! once made, so those seen are remembered (`Directory::claims`) and later
//! messages of a known thread or case need no database round trip.

use crate::format::FormatError;
use inlet_core::{MessageId, post_id};
use inlet_dialects::draft::CaseRef;
use inlet_dialects::{Draft, ErrorCode, Rejection, ThreadRef, Translation};
use inlet_directory::Directory;
use inlet_proto::v1::{FormattedPost, RawWebhook};
use inlet_store::{Channel, StoreError, repo};
use serde_json::Value;
use uuid::Uuid;

/// One thread the drafts are posted into (all parts, in order).
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// An existing root every part replies to (else the first part is a root).
    pub root: Option<Uuid>,
    pub thread_key: Option<String>,
    pub case_id: Option<String>,
}

#[derive(Debug, Default)]
pub struct Placed {
    pub targets: Vec<Target>,
    /// Props added to every post (`unresolved_root_id`, `unresolved_references`).
    pub props: Vec<(&'static str, Value)>,
    pub unresolved_references: Vec<String>,
}

pub enum Placements {
    Placed(Placed),
    Rejected(Rejection),
}

pub async fn place(
    directory: &Directory,
    channel: &Channel,
    message: MessageId,
    translation: &Translation,
) -> Result<Placements, FormatError> {
    if translation.case.is_none() && translation.thread.is_none() {
        // The common case needs no claim and no database round trip.
        let targets = vec![Target::default()];
        return Ok(Placements::Placed(Placed {
            targets,
            ..Placed::default()
        }));
    }
    if let Some(case) = &translation.case {
        return place_case(directory, channel, message, case).await;
    }
    let placed = match &translation.thread {
        None => Placed {
            targets: vec![Target::default()],
            ..Placed::default()
        },
        Some(ThreadRef::Key(key)) => {
            let claim = match directory.claims.thread(channel.id, key) {
                Some(known) => known,
                None => {
                    let client = directory.pool().get().await.map_err(StoreError::from)?;
                    let first = post_id(message, 0);
                    let claim =
                        repo::threads::claim(&**client, channel.id, key, first, message.as_uuid())
                            .await?;
                    directory.claims.remember_thread(channel.id, key, claim);
                    claim
                }
            };
            let root = (claim.message_id != message.as_uuid()).then_some(claim.root_post_id);
            let target = Target {
                root,
                thread_key: Some(key.clone()),
                case_id: None,
            };
            Placed {
                targets: vec![target],
                ..Placed::default()
            }
        }
        Some(ThreadRef::Root(raw)) => {
            let client = directory.pool().get().await.map_err(StoreError::from)?;
            let root = match Uuid::parse_str(raw) {
                Ok(id) if repo::threads::is_root_in(&**client, id, channel.id).await? => Some(id),
                _ => None,
            };
            let props = match root {
                Some(_) => Vec::new(),
                None => vec![("unresolved_root_id", Value::from(raw.clone()))],
            };
            Placed {
                targets: vec![Target {
                    root,
                    ..Target::default()
                }],
                props,
                ..Placed::default()
            }
        }
    };
    Ok(Placements::Placed(placed))
}

/// The root post of each referenced case that exists, from the claims seen
/// here, else from PostgreSQL (and remembered).
async fn case_roots(
    directory: &Directory,
    channel: &Channel,
    references: &[String],
) -> Result<std::collections::HashMap<String, Uuid>, FormatError> {
    let mut roots = std::collections::HashMap::new();
    let mut unknown = Vec::new();
    for reference in references {
        match directory.claims.case_root(channel.id, reference) {
            Some(root) => {
                roots.insert(reference.clone(), root);
            }
            None => unknown.push(reference.clone()),
        }
    }
    if !unknown.is_empty() {
        let client = directory.pool().get().await.map_err(StoreError::from)?;
        for (reference, root) in repo::cases::roots(&**client, channel.id, &unknown).await? {
            directory
                .claims
                .remember_case_root(channel.id, &reference, root);
            roots.insert(reference, root);
        }
    }
    Ok(roots)
}

/// An opening claims its case id (a second opening is `already_reported`);
/// an update replies in the thread of each referenced case that exists.
async fn place_case(
    directory: &Directory,
    channel: &Channel,
    message: MessageId,
    case: &CaseRef,
) -> Result<Placements, FormatError> {
    let roots = case_roots(directory, channel, &case.references).await?;
    let resolved: Vec<(&String, Uuid)> = case
        .references
        .iter()
        .filter_map(|r| roots.get(r).map(|root| (r, *root)))
        .collect();
    let unresolved: Vec<String> = case
        .references
        .iter()
        .filter(|r| !roots.contains_key(*r))
        .cloned()
        .collect();
    if let Some(id) = &case.opens {
        // An update that names itself joins its first case's thread.
        let root = resolved
            .first()
            .map(|(_, root)| *root)
            .unwrap_or_else(|| post_id(message, 0));
        // Always decided by PostgreSQL: a second opening must be refused.
        let client = directory.pool().get().await.map_err(StoreError::from)?;
        let claim = repo::cases::claim(&**client, channel.id, id, root, message.as_uuid()).await?;
        directory
            .claims
            .remember_case_root(channel.id, id, claim.root_post_id);
        if claim.message_id != message.as_uuid() {
            let detail = "already reported";
            return Ok(Placements::Rejected(Rejection::new(
                ErrorCode::AlreadyReported,
                detail,
            )));
        }
    }
    let mut placed = Placed {
        unresolved_references: unresolved.clone(),
        ..Placed::default()
    };
    if !unresolved.is_empty() {
        placed
            .props
            .push(("unresolved_references", Value::from(unresolved)));
    }
    placed.targets = if resolved.is_empty() {
        vec![Target {
            root: None,
            thread_key: None,
            case_id: case.opens.clone(),
        }]
    } else {
        resolved
            .into_iter()
            .map(|(reference, root)| Target {
                root: Some(root),
                thread_key: None,
                case_id: Some(reference.clone()),
            })
            .collect()
    };
    Ok(Placements::Placed(placed))
}

impl Placed {
    /// Appends one post per (target, draft), numbered on from `posts`; a target without a
    /// root gets its first part as root and the later parts as its replies.
    pub fn into_posts(
        self,
        raw: &RawWebhook,
        message: MessageId,
        channel: &Channel,
        drafts: Vec<Draft>,
        posts: &mut Vec<FormattedPost>,
    ) {
        for target in &self.targets {
            let first = post_id(message, posts.len() as u32);
            for (index, draft) in drafts.iter().enumerate() {
                let part = posts.len() as u32;
                let root = target.root.or_else(|| (index > 0).then_some(first));
                posts.push(self.post(raw, message, part, channel, root, target, draft.clone()));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn post(
        &self,
        raw: &RawWebhook,
        message: MessageId,
        part: u32,
        channel: &Channel,
        root: Option<Uuid>,
        target: &Target,
        draft: Draft,
    ) -> FormattedPost {
        let mut props = draft.props;
        for (key, value) in &self.props {
            props.insert((*key).to_string(), value.clone());
        }
        FormattedPost {
            post_id: post_id(message, part).to_string(),
            message_id: raw.message_id.clone(),
            part,
            channel_id: channel.id.to_string(),
            team_id: channel.team_id.to_string(),
            root_id: root.map(|r| r.to_string()).unwrap_or_default(),
            thread_key: target.thread_key.clone().unwrap_or_default(),
            case_id: target.case_id.clone().unwrap_or_default(),
            message: draft.message,
            props_json: Value::Object(props).to_string(),
            username: draft.author.username,
            icon_url: draft.author.icon_url.unwrap_or_default(),
            webhook_id: raw.webhook_id.clone(),
            dialect: raw.dialect.clone(),
            received_at_micros: raw.received_at_micros,
        }
    }
}
