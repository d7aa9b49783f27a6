//! What the test files share: the one entry point
//! ([`inlet_dialects::translate`]), its outcome seen as a dialect's
//! translation or refusal, or as an integration's outcome or refusal.

// Each test file uses the helpers it needs.
#![allow(dead_code)]

use inlet_dialects::integrations::IntegrationError;
use inlet_dialects::{
    DialectName, Outcome, Refusal, Rejection, Translation, TranslationRequest, Translator,
};

/// A dialect's one translation of `req`, or its refusal.
pub fn dialect(
    translator: Translator,
    req: &TranslationRequest<'_>,
) -> Result<Translation, Rejection> {
    match translator.translate(req) {
        Outcome::Posts { mut posts, .. } if posts.len() == 1 => Ok(posts.remove(0)),
        Outcome::Refused(Refusal::Dialect(rejection)) => Err(rejection),
        other => panic!("{translator:?} answered {other:?}"),
    }
}

/// The integration `name`'s outcome (posts, or an ignored event), or its
/// refusal.
pub fn integration(name: &str, req: &TranslationRequest<'_>) -> Result<Outcome, IntegrationError> {
    match inlet_dialects::translate(&DialectName::Integration(name.into()), req) {
        Outcome::Refused(Refusal::Integration(error)) => Err(error),
        Outcome::Refused(Refusal::Dialect(rejection)) => {
            panic!("integration/{name} refused in a dialect's words: {rejection}")
        }
        outcome => Ok(outcome),
    }
}
