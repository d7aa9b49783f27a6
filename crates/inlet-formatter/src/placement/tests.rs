//! Every placement rule, decided without a database: the claims are written
//! out as PostgreSQL would have answered them.

use super::cases::opening_root;
use super::{Claims, Placed, Placements, Target, decide};
use inlet_core::{MessageId, post_id};
use inlet_dialects::draft::{CaseRef, Target as Destination};
use inlet_dialects::{ErrorCode, ThreadRef, Translation};
use inlet_store::repo::claims::Claim;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

fn translation(thread: Option<ThreadRef>, case: Option<CaseRef>) -> Translation {
    Translation {
        target: Destination::Default,
        thread,
        case,
        drafts: Vec::new(),
    }
}

fn by_key(key: &str) -> Translation {
    translation(Some(ThreadRef::Key(key.into())), None)
}

fn case(opens: Option<&str>, references: &[&str]) -> Translation {
    let case = CaseRef {
        opens: opens.map(str::to_string),
        references: references.iter().map(|r| r.to_string()).collect(),
    };
    translation(None, Some(case))
}

fn placed(placements: Placements) -> Placed {
    match placements {
        Placements::Placed(placed) => placed,
        Placements::Rejected(rejection) => panic!("refused: {rejection}"),
    }
}

fn case_roots(known: &[(&str, Uuid)]) -> HashMap<String, Uuid> {
    known
        .iter()
        .map(|(id, root)| (id.to_string(), *root))
        .collect()
}

/// The claims once `holder` has claimed the thread key with its first post.
fn thread_held_by(holder: MessageId) -> Claims {
    let claim = Claim {
        root_post_id: post_id(holder, 0),
        message_id: holder.as_uuid(),
    };
    Claims {
        thread: Some(claim),
        ..Claims::default()
    }
}

/// The claims once `holder` has opened the case, rooted at `root`.
fn case_opened_by(holder: MessageId, root: Uuid) -> Claims {
    let claim = Claim {
        root_post_id: root,
        message_id: holder.as_uuid(),
    };
    Claims {
        opening: Some(claim),
        ..Claims::default()
    }
}

fn in_case(id: &str, root: Option<Uuid>) -> Target {
    Target {
        root,
        thread_key: None,
        case_id: Some(id.into()),
    }
}

#[test]
fn a_message_with_neither_thread_nor_case_is_a_thread_of_its_own() {
    let decided = decide(
        MessageId::new(),
        &translation(None, None),
        &Claims::default(),
    );
    assert_eq!(placed(decided), Placed::into_one(Target::default()));
}

#[test]
fn the_first_message_with_a_thread_key_makes_the_root() {
    let message = MessageId::new();
    let claims = thread_held_by(message);
    let decided = placed(decide(message, &by_key("build-42"), &claims));
    let target = Target {
        root: None,
        thread_key: Some("build-42".into()),
        case_id: None,
    };
    assert_eq!(decided, Placed::into_one(target));
}

#[test]
fn a_later_message_with_the_thread_key_replies_to_the_first_ones_root() {
    let first = MessageId::new();
    let claims = thread_held_by(first);
    let decided = placed(decide(MessageId::new(), &by_key("build-42"), &claims));
    assert_eq!(decided.targets[0].root, Some(post_id(first, 0)));
    assert_eq!(decided.targets[0].thread_key.as_deref(), Some("build-42"));
    assert!(decided.props.is_empty());
}

#[test]
fn a_known_root_id_is_replied_to() {
    let root = Uuid::now_v7();
    let asks = translation(Some(ThreadRef::Root(root.to_string())), None);
    let claims = Claims {
        root: Some(root),
        ..Claims::default()
    };
    let decided = placed(decide(MessageId::new(), &asks, &claims));
    assert_eq!(
        decided.targets,
        vec![Target {
            root: Some(root),
            ..Target::default()
        }]
    );
    assert!(decided.props.is_empty());
}

#[test]
fn an_unknown_root_id_leaves_the_posts_alone_with_unresolved_root_id() {
    let asks = translation(Some(ThreadRef::Root("1712.000100".into())), None);
    let decided = placed(decide(MessageId::new(), &asks, &Claims::default()));
    assert_eq!(decided.targets, vec![Target::default()]);
    assert_eq!(
        decided.props,
        vec![("unresolved_root_id", json!("1712.000100"))]
    );
}

#[test]
fn a_case_opening_starts_the_case_thread() {
    let message = MessageId::new();
    let claims = case_opened_by(message, post_id(message, 0));
    let decided = placed(decide(message, &case(Some("INC-1"), &[]), &claims));
    assert_eq!(decided, Placed::into_one(in_case("INC-1", None)));
}

#[test]
fn a_second_opening_of_a_case_by_another_message_is_already_reported() {
    let first = MessageId::new();
    let claims = case_opened_by(first, post_id(first, 0));
    let decided = decide(MessageId::new(), &case(Some("INC-1"), &[]), &claims);
    let Placements::Rejected(rejection) = decided else {
        panic!("placed: {decided:?}");
    };
    assert_eq!(rejection.code, ErrorCode::AlreadyReported);
    assert_eq!(rejection.detail, "already reported");
}

#[test]
fn a_redelivered_opening_finds_its_own_claim_and_is_placed_the_same_again() {
    let message = MessageId::new();
    let opens = case(Some("INC-1"), &[]);
    let claims = case_opened_by(message, post_id(message, 0));
    // Delivered, then redelivered: PostgreSQL answers the claim this
    // message made the first time.
    let first = decide(message, &opens, &claims);
    let again = decide(message, &opens, &claims);
    assert_eq!(again, first);
    assert_eq!(placed(again), Placed::into_one(in_case("INC-1", None)));
}

#[test]
fn a_reference_to_a_known_case_replies_in_its_thread() {
    let root = Uuid::now_v7();
    let claims = Claims {
        case_roots: case_roots(&[("INC-1", root)]),
        ..Claims::default()
    };
    let decided = placed(decide(MessageId::new(), &case(None, &["INC-1"]), &claims));
    assert_eq!(decided, Placed::into_one(in_case("INC-1", Some(root))));
}

#[test]
fn a_reference_to_an_unknown_case_stands_alone_and_is_unresolved() {
    let references = case(None, &["INC-404"]);
    let decided = placed(decide(MessageId::new(), &references, &Claims::default()));
    assert_eq!(decided.targets, vec![Target::default()]);
    assert_eq!(decided.unresolved_references, vec!["INC-404".to_string()]);
    assert_eq!(
        decided.props,
        vec![("unresolved_references", json!(["INC-404"]))]
    );
}

#[test]
fn several_references_post_in_each_known_case_in_order_and_list_the_unknown() {
    let (one, three) = (Uuid::now_v7(), Uuid::now_v7());
    let claims = Claims {
        case_roots: case_roots(&[("INC-3", three), ("INC-1", one)]),
        ..Claims::default()
    };
    let references = case(None, &["INC-1", "INC-2", "INC-3", "INC-4"]);
    let decided = placed(decide(MessageId::new(), &references, &claims));
    let targets = vec![in_case("INC-1", Some(one)), in_case("INC-3", Some(three))];
    assert_eq!(decided.targets, targets);
    assert_eq!(decided.unresolved_references, vec!["INC-2", "INC-4"]);
    assert_eq!(
        decided.props,
        vec![("unresolved_references", json!(["INC-2", "INC-4"]))]
    );
}

#[test]
fn an_opening_that_references_a_known_case_claims_and_joins_that_thread() {
    let (message, root) = (MessageId::new(), Uuid::now_v7());
    let roots = case_roots(&[("INC-1", root)]);
    let opens = CaseRef {
        opens: Some("INC-2".into()),
        references: vec!["INC-0".into(), "INC-1".into()],
    };
    assert_eq!(opening_root(message, &opens, &roots), root);
    let claims = Claims {
        case_roots: roots,
        ..case_opened_by(message, root)
    };
    let asks = translation(None, Some(opens));
    let decided = placed(decide(message, &asks, &claims));
    assert_eq!(decided.targets, vec![in_case("INC-1", Some(root))]);
    assert_eq!(decided.unresolved_references, vec!["INC-0"]);
}

#[test]
fn an_opening_without_known_references_claims_its_own_first_post() {
    let message = MessageId::new();
    let opens = CaseRef {
        opens: Some("INC-1".into()),
        references: vec!["INC-404".into()],
    };
    let root = opening_root(message, &opens, &HashMap::new());
    assert_eq!(root, post_id(message, 0));
}

#[test]
fn a_case_wins_over_a_thread_key() {
    let asks = Translation {
        thread: Some(ThreadRef::Key("k".into())),
        ..case(None, &[])
    };
    let decided = placed(decide(MessageId::new(), &asks, &Claims::default()));
    assert_eq!(decided.targets, vec![Target::default()]);
}
