//! The instruction-count guard's inputs and committed baselines: each
//! guarded function's instructions (callgrind's `Ir`) as last accepted, and
//! the ceiling a run may reach before it counts as a regression.
//!
//! Instruction counts do not move with the machine's load, unlike times;
//! they move with the compiler and with our code. To accept a change that
//! costs more (or to record one that costs less), run
//! `cargo bench -p inlet-instructions` and copy the new `Instructions`
//! figures into [`BASELINES`].

pub mod inputs;

/// How far above its baseline a function may go: 3 %. Callgrind counts
/// the same binary's instructions exactly; the margin absorbs small
/// changes in the standard library's hashing and allocation paths.
pub const TOLERANCE_PERCENT: u64 = 3;

/// Instructions per call as last accepted, by benchmark id.
pub const BASELINES: &[(&str, u64)] = &[
    ("slack_attachments", 229_861),
    ("github_push_20_commits", 1_260_346),
    ("talkspirit_thread_post", 41_462),
    ("split_long_message", 2_000_171),
    ("token_hash", 4_429),
    ("typical_template", 171_937),
];

/// The most instructions `id` may take: its baseline plus the tolerance,
/// or `None` for an id without a baseline (nothing guarded).
pub fn ceiling(id: &str) -> Option<u64> {
    BASELINES
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, baseline)| baseline + baseline * TOLERANCE_PERCENT / 100)
        .filter(|ceiling| *ceiling > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_is_the_baseline_plus_the_tolerance() {
        let (id, baseline) = BASELINES[0];
        assert_eq!(ceiling(id), Some(baseline + baseline * 3 / 100));
    }

    #[test]
    fn an_unknown_id_is_not_guarded() {
        assert_eq!(ceiling("no-such-benchmark"), None);
    }

    #[test]
    fn every_input_is_accepted_by_its_translator() {
        assert!(matches!(
            inputs::slack_attachments().translate(),
            inlet_dialects::Outcome::Posts { posts, .. } if !posts.is_empty()
        ));
        assert!(matches!(
            inputs::github_push().translate(),
            inlet_dialects::Outcome::Posts { posts, .. } if !posts.is_empty()
        ));
        assert!(matches!(
            inputs::talkspirit_thread_post().translate(),
            inlet_dialects::Outcome::Posts { posts, .. } if !posts.is_empty()
        ));
        assert!(inputs::long_message().split().len() > 1);
        assert!(inputs::token().hash_it().is_ok());
        assert!(matches!(
            inputs::typical_template().render(),
            Some(inlet_templates::Rendering::Post(post)) if post.message.contains("| job-7 | success | 37 |")
        ));
    }
}
