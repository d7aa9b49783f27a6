//! What the store can hold (decisions.md 39). PostgreSQL's `text` and
//! `jsonb` take every Unicode scalar value but one: U+0000 (NUL). A `2xx`
//! must never be followed by the database refusing the post, so the rule is
//! applied here, where ingress and the formatter both see it:
//!
//! - **Free text** (message, usernames, icon fields, every string and key in
//!   `props`) loses its NULs: a NUL is invisible, so the reader loses
//!   nothing, and a sender cannot be expected to scrub a log excerpt.
//! - **Identifiers a sender chooses** (thread keys, root ids, case ids,
//!   channel overrides, the `topic` parameter) that hold a NUL are refused
//!   with `invalid_payload` naming the field ([`check_identifier`]): two
//!   keys that differ by a NUL must not silently become one thread.
//! - **Identifiers derived from a vendor's payload** (an integration's
//!   thread key built from a repository name) lose their NULs, as free text.
//!
//! [`make_storable`] is the last pass over every translation: after it, no
//! string of a translation holds a NUL, whatever a dialect forgot.
//!
//! The other limit a payload could reach later is size: a long text is
//! split into parts that each carry the payload's props, so a 1 MiB body
//! could make posts far larger than itself, past what one broker message
//! may carry. [`check_size`] refuses those at ingress (`payload_too_large`).

use crate::draft::{Target, ThreadRef, Translation};
use crate::error::{ErrorCode, Rejection};
use serde_json::{Map, Value};
use std::fmt::Display;

/// The one character PostgreSQL cannot store in `text` or `jsonb`.
pub const NUL: char = '\0';

/// Whether `s` holds a character the store cannot hold.
pub fn is_storable(s: &str) -> bool {
    !s.as_bytes().contains(&0)
}

/// Removes the NULs from free text; true when there were any.
pub fn strip_nul(s: &mut String) -> bool {
    if is_storable(s) {
        return false;
    }
    s.retain(|c| c != NUL);
    true
}

/// `s` without its NULs (borrowed when it has none).
pub fn without_nul(s: &str) -> std::borrow::Cow<'_, str> {
    if is_storable(s) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.replace(NUL, ""))
    }
}

/// Refuses an identifier that holds a NUL, naming the field.
pub fn check_identifier(value: &str, field: &dyn Display) -> Result<(), Rejection> {
    if is_storable(value) {
        return Ok(());
    }
    Err(Rejection::invalid(format!(
        "field `{field}` contains a NUL character (U+0000), which an identifier cannot hold"
    )))
}

/// Most bytes the posts of one request may take (messages, authors and
/// props, as the formatter carries them): half of the smallest maximum
/// message size of the brokers we run on (RabbitMQ 4's 16 MiB), so that a
/// request's posts always fit in one broker message.
pub const MAX_TRANSLATION_BYTES: usize = 8 * 1024 * 1024;

/// The cases a translation's drafts may be posted in (an update is posted
/// once per referenced case, counted as if each existed).
fn targets(t: &Translation) -> usize {
    t.case.as_ref().map_or(1, |c| c.references.len().max(1))
}

/// The most posts `translations` can make.
pub fn posts_of(translations: &[Translation]) -> usize {
    translations
        .iter()
        .map(|t| t.drafts.len().saturating_mul(targets(t)))
        .fold(0, usize::saturating_add)
}

/// What the formatter adds to each post (ids, channel, dialect…), counted
/// on top of its text and props.
const POST_OVERHEAD_BYTES: usize = 256;

/// Refuses translations whose posts would take more than
/// [`MAX_TRANSLATION_BYTES`]. A case update is counted as if every case it
/// references existed (each gets the drafts): ingress cannot know which do,
/// and the answer must not depend on it. `body_len` bounds what one draft's
/// props can take (a few times the body), so the exact count, which
/// serialises the props, is only made when the posts could reach the limit.
pub fn check_size(
    translations: &[Translation],
    body_len: usize,
    max_posts: usize,
) -> Result<(), Rejection> {
    let posts = posts_of(translations);
    if posts > max_posts {
        return Err(Rejection::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "this payload can make {posts} posts; at most {max_posts} are accepted \
                 (limits.max_posts_per_request: a long text is split into parts, and an \
                 update is posted once per referenced case)"
            ),
        ));
    }
    let per_post_bound = body_len.saturating_mul(4).saturating_add(4096);
    if posts.saturating_mul(per_post_bound) <= MAX_TRANSLATION_BYTES {
        return Ok(());
    }
    let bytes: usize = translations
        .iter()
        .map(|t| {
            let drafts: usize = t.drafts.iter().map(draft_bytes).sum();
            drafts.saturating_mul(targets(t))
        })
        .fold(0, usize::saturating_add);
    if bytes <= MAX_TRANSLATION_BYTES {
        return Ok(());
    }
    Err(Rejection::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "the {posts} posts this payload can make would take {bytes} bytes; at most \
             {MAX_TRANSLATION_BYTES} are accepted (each part of a long text, and each \
             referenced case, gets the payload's props: send a shorter text, smaller \
             props or fewer references)"
        ),
    ))
}

fn draft_bytes(draft: &crate::draft::Draft) -> usize {
    let author = &draft.author;
    let props = serde_json::to_vec(&draft.props).map_or(0, |v| v.len());
    draft.message.len()
        + author.username.len()
        + author.icon_url.as_ref().map_or(0, String::len)
        + author.icon_emoji.as_ref().map_or(0, String::len)
        + props
        + POST_OVERHEAD_BYTES
}

/// Removes every NUL left in a translation: drafts (message, author,
/// props), thread and case ids, the target's names.
pub fn make_storable(translation: &mut Translation) {
    for draft in &mut translation.drafts {
        strip_nul(&mut draft.message);
        strip_nul(&mut draft.author.username);
        if let Some(url) = &mut draft.author.icon_url {
            strip_nul(url);
        }
        if let Some(emoji) = &mut draft.author.icon_emoji {
            strip_nul(emoji);
        }
        storable_map(&mut draft.props);
    }
    match &mut translation.thread {
        Some(ThreadRef::Key(key)) | Some(ThreadRef::Root(key)) => {
            strip_nul(key);
        }
        None => {}
    }
    if let Some(case) = &mut translation.case {
        if let Some(id) = &mut case.opens {
            strip_nul(id);
        }
        for id in &mut case.references {
            strip_nul(id);
        }
    }
    match &mut translation.target {
        Target::ChannelName(name) | Target::ChannelId(name) | Target::DirectUser(name) => {
            strip_nul(name);
        }
        Target::Default => {}
    }
}

/// Removes the NULs from every string and key of a JSON value.
pub fn storable_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            strip_nul(s);
        }
        Value::Array(items) => items.iter_mut().for_each(storable_value),
        Value::Object(map) => storable_map(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn storable_map(map: &mut Map<String, Value>) {
    if map.keys().any(|k| !is_storable(k)) {
        let entries = std::mem::take(map);
        for (key, value) in entries {
            // A key that becomes another key's twin keeps the later value,
            // as a JSON object with a repeated key does.
            map.insert(without_nul(&key).into_owned(), value);
        }
    }
    map.values_mut().for_each(storable_value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::{Author, CaseRef, Draft};
    use serde_json::json;

    fn translation(message: &str, props: Value) -> Translation {
        Translation {
            target: Target::ChannelName("ops\0".into()),
            thread: Some(ThreadRef::Key("k\0ey".into())),
            case: Some(CaseRef {
                opens: Some("c\0".into()),
                references: vec!["\0r".into()],
            }),
            drafts: vec![Draft {
                message: message.into(),
                author: Author {
                    username: "bo\0t".into(),
                    icon_url: Some("https://x/\0a.png".into()),
                    icon_emoji: Some("smile\0".into()),
                },
                props: props.as_object().cloned().unwrap_or_default(),
            }],
        }
    }

    fn nul_free(value: &Value) -> bool {
        match value {
            Value::String(s) => is_storable(s),
            Value::Array(items) => items.iter().all(nul_free),
            Value::Object(map) => map.iter().all(|(k, v)| is_storable(k) && nul_free(v)),
            _ => true,
        }
    }

    #[test]
    fn free_text_loses_its_nuls_and_nothing_else() {
        let mut s = "a\u{0}b\u{1}c\u{202e}d 😀".to_string();
        assert!(strip_nul(&mut s));
        assert_eq!(s, "ab\u{1}c\u{202e}d 😀");
        assert!(!strip_nul(&mut s), "a second pass changes nothing");
    }

    #[test]
    fn an_identifier_with_a_nul_is_refused_naming_the_field() {
        let error = check_identifier("a\0b", &"thread_key").unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::InvalidPayload);
        assert!(error.detail.contains("`thread_key`"), "{}", error.detail);
        assert!(error.detail.contains("U+0000"), "{}", error.detail);
        assert!(check_identifier("a\u{1}b ü", &"thread_key").is_ok());
    }

    #[test]
    fn every_string_of_a_translation_becomes_storable() {
        let props = json!({
            "attachments": [{"text": "x\0y", "fields": [{"title": "\0", "value": 1}]}],
            "k\0": {"nested\0key": ["\0", null, true, 2.5]},
        });
        let mut t = translation("hello\0 world", props);
        make_storable(&mut t);
        let draft = &t.drafts[0];
        assert_eq!(draft.message, "hello world");
        assert_eq!(draft.author.username, "bot");
        assert_eq!(draft.author.icon_url.as_deref(), Some("https://x/a.png"));
        assert_eq!(draft.author.icon_emoji.as_deref(), Some("smile"));
        let props = Value::Object(draft.props.clone());
        assert!(nul_free(&props), "{props}");
        assert_eq!(props["k"]["nestedkey"][0], "");
        assert_eq!(props["attachments"][0]["text"], "xy");
        assert_eq!(t.thread, Some(ThreadRef::Key("key".into())));
        assert_eq!(t.target, Target::ChannelName("ops".into()));
        let case = t.case.unwrap();
        assert_eq!(case.opens.as_deref(), Some("c"));
        assert_eq!(case.references, vec!["r".to_string()]);
    }

    fn sized(
        parts: usize,
        part_bytes: usize,
        props_bytes: usize,
        references: usize,
    ) -> Translation {
        let mut t = translation("", json!({"blob": "p".repeat(props_bytes)}));
        t.case = Some(CaseRef {
            opens: None,
            references: (0..references).map(|i| i.to_string()).collect(),
        });
        let draft = Draft {
            message: "m".repeat(part_bytes),
            ..t.drafts[0].clone()
        };
        t.drafts = vec![draft; parts];
        t
    }

    #[test]
    fn posts_within_the_limit_pass_and_past_it_are_payload_too_large() {
        // One part of a 1 MiB body: far under the limit, never counted.
        let one = sized(1, 1 << 20, 0, 0);
        assert!(check_size(&[one], 1 << 20, 100).is_ok());
        // 32 parts each carrying 300 KiB of props: 9.6 MiB.
        let split = sized(32, 16 * 1024, 300 * 1024, 0);
        let error = check_size(&[split], 800 * 1024, 100).unwrap_err();
        assert_eq!(error.code, ErrorCode::PayloadTooLarge);
        assert!(error.detail.contains("32 posts"), "{}", error.detail);
        // The same props on 8 parts: 2.5 MiB, accepted.
        let fewer = sized(8, 16 * 1024, 300 * 1024, 0);
        assert!(check_size(&[fewer], 800 * 1024, 100).is_ok());
    }

    #[test]
    fn a_case_update_counts_every_referenced_case() {
        // 40 referenced cases × 300 KiB of props: as if each existed.
        let update = sized(1, 100, 300 * 1024, 40);
        let error = check_size(&[update], 310 * 1024, 100).unwrap_err();
        assert!(error.detail.contains("40 posts"), "{}", error.detail);
        let few = sized(1, 100, 300 * 1024, 3);
        assert!(check_size(&[few], 310 * 1024, 100).is_ok());
    }

    #[test]
    fn more_posts_than_the_limit_is_payload_too_large() {
        let many = sized(11, 10, 0, 0);
        let error = check_size(std::slice::from_ref(&many), 100, 10).unwrap_err();
        assert_eq!(error.code, ErrorCode::PayloadTooLarge);
        assert!(error.detail.contains("11 posts"), "{}", error.detail);
        assert!(check_size(&[many], 100, 11).is_ok());
        let update = sized(2, 10, 0, 6);
        assert!(
            check_size(&[update], 100, 11).is_err(),
            "2 parts in 6 cases"
        );
    }

    #[test]
    fn a_translation_without_nuls_is_left_as_it_was() {
        let props = json!({"a": ["b", {"c": "d"}]});
        let mut t = translation("plain", props);
        t.target = Target::Default;
        t.thread = None;
        t.case = None;
        t.drafts[0].author = Author::default();
        let before = t.clone();
        make_storable(&mut t);
        assert_eq!(t, before);
    }
}
