//! The claims a placement stands on, read or made in PostgreSQL: placement's
//! only I/O. Claims are written (and committed) here, before the posts are
//! published, so a redelivered message finds its own claims and is decided
//! the same. Claims never change once made, so those seen are remembered in
//! the claims cache and later messages of a known thread or case need no
//! database round trip; a case opening alone always asks PostgreSQL, since
//! a second opening must be refused.

use super::cases::opening_root;
use crate::format::FormatError;
use inlet_core::{MessageId, post_id};
use inlet_dialects::draft::CaseRef;
use inlet_dialects::{ThreadRef, Translation};
use inlet_directory::claims::ClaimCache;
use inlet_store::repo::claims::{Claim, ClaimKind};
use inlet_store::{Pool, StoreError, repo};
use std::collections::HashMap;
use uuid::Uuid;

/// What PostgreSQL says about the thread or cases one translation names.
/// An empty entry means nobody else holds it, so the default is right for a
/// translation with neither thread nor case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// The holder of the translation's thread key.
    pub thread: Option<Claim>,
    /// The translation's root id, when it is a root post of the channel.
    pub root: Option<Uuid>,
    /// The root post of each referenced case that exists.
    pub case_roots: HashMap<String, Uuid>,
    /// The holder of the case id the translation opens.
    pub opening: Option<Claim>,
}

/// Reads (from the cache, else PostgreSQL) or makes the claims of
/// `translation`: what `decide` needs and nothing more.
pub(super) async fn read_or_make(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    message: MessageId,
    translation: &Translation,
) -> Result<Claims, FormatError> {
    let mut claims = Claims::default();
    if let Some(case) = &translation.case {
        claims.case_roots = case_roots(pool, cache, channel, &case.references).await?;
        claims.opening =
            claim_opening(pool, cache, channel, message, case, &claims.case_roots).await?;
        return Ok(claims);
    }
    match &translation.thread {
        None => {}
        Some(ThreadRef::Key(key)) => {
            claims.thread = Some(claim_thread(pool, cache, channel, message, key).await?);
        }
        Some(ThreadRef::Root(raw)) => claims.root = known_root(pool, cache, channel, raw).await?,
    }
    Ok(claims)
}

/// The holder of `key`: remembered, else claimed for `message`'s first post
/// (or found held) in PostgreSQL.
async fn claim_thread(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    message: MessageId,
    key: &str,
) -> Result<Claim, FormatError> {
    if let Some(known) = cache.thread(channel, key) {
        return Ok(known);
    }
    let client = pool.get().await.map_err(StoreError::from)?;
    let first = post_id(message, 0);
    let claim = repo::claims::claim(
        &**client,
        ClaimKind::Thread,
        channel,
        key,
        first,
        message.as_uuid(),
    )
    .await?;
    cache.remember_thread(channel, key, claim);
    Ok(claim)
}

/// `raw` as a post id, when it is a root post of `channel`: one this
/// formatter made (perhaps not stored yet), else one stored.
async fn known_root(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    raw: &str,
) -> Result<Option<Uuid>, FormatError> {
    let Ok(id) = Uuid::parse_str(raw) else {
        return Ok(None);
    };
    if cache.is_root(channel, id) {
        return Ok(Some(id));
    }
    let client = pool.get().await.map_err(StoreError::from)?;
    let known = repo::claims::is_root_in(&**client, id, channel).await?;
    Ok(known.then_some(id))
}

/// The root post of each referenced case that exists, from the cache, else
/// from PostgreSQL (and remembered).
async fn case_roots(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    references: &[String],
) -> Result<HashMap<String, Uuid>, FormatError> {
    let mut roots = HashMap::new();
    let mut unknown = Vec::new();
    for reference in references {
        match cache.case_root(channel, reference) {
            Some(root) => {
                roots.insert(reference.clone(), root);
            }
            None => unknown.push(reference.clone()),
        }
    }
    if !unknown.is_empty() {
        let client = pool.get().await.map_err(StoreError::from)?;
        for (reference, root) in repo::claims::case_roots(&**client, channel, &unknown).await? {
            cache.remember_case_root(channel, &reference, root);
            roots.insert(reference, root);
        }
    }
    Ok(roots)
}

/// The holder of the case id `case` opens, claimed for `message` unless
/// another message holds it. Always asked of PostgreSQL, never the cache.
async fn claim_opening(
    pool: &Pool,
    cache: &ClaimCache,
    channel: Uuid,
    message: MessageId,
    case: &CaseRef,
    roots: &HashMap<String, Uuid>,
) -> Result<Option<Claim>, FormatError> {
    let Some(id) = &case.opens else {
        return Ok(None);
    };
    let root = opening_root(message, case, roots);
    let client = pool.get().await.map_err(StoreError::from)?;
    let claim = repo::claims::claim(
        &**client,
        ClaimKind::Case,
        channel,
        id,
        root,
        message.as_uuid(),
    )
    .await?;
    cache.remember_case_root(channel, id, claim.root_post_id);
    Ok(Some(claim))
}
