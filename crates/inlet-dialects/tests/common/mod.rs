//! What the test files share: the one entry point
//! ([`inlet_dialects::translate`]), its outcome seen as a dialect's
//! translation or refusal, or as an integration's outcome or refusal; and
//! the fixture cases (`<case>.json` beside `<case>.request.json` and
//! `<case>.expected.json`): listed, read and judged.

// Each test file uses the helpers it needs.
#![allow(dead_code)]

use inlet_dialects::integrations::IntegrationError;
use inlet_dialects::{
    DialectName, Outcome, Refusal, Rejection, Target, Translation, TranslationRequest, Translator,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

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

/// The fixture cases in `dir`, sorted: the files `is_body` accepts by
/// name, but the expectations (`*.expected.json`) and the requests
/// (`*.request.json`) beside them.
pub fn fixture_cases(dir: &Path, is_body: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            is_body(name) && !name.ends_with(".expected.json") && !name.ends_with(".request.json")
        })
        .collect();
    paths.sort();
    paths
}

/// Fails with every fixture's failure, when there is any.
pub fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The request facts of the case `body_path` (`<case>.request.json`
/// beside it: headers, query, webhook settings, limits…), `{}` when none.
pub fn request_of(body_path: &Path) -> Value {
    let stem = body_path.file_stem().unwrap().to_str().unwrap();
    std::fs::read(body_path.with_file_name(format!("{stem}.request.json")))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or(Value::Object(Default::default()))
}

/// The expected outcome of the case `body_path` (`<case>.expected.json`
/// beside it). When the file is missing and `INLET_FIXTURES_WRITE_MISSING`
/// is set, `write` makes it from what the code does now, for a person to
/// review, and the case fails all the same.
pub fn expected_of(body_path: &Path, write: impl FnOnce(&Path)) -> Result<Value, String> {
    let stem = body_path.file_stem().unwrap().to_str().unwrap();
    let expected_path = body_path.with_file_name(format!("{stem}.expected.json"));
    match std::fs::read(&expected_path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap()),
        Err(_) if std::env::var_os("INLET_FIXTURES_WRITE_MISSING").is_some() => {
            write(&expected_path);
            Err(format!("{stem}: expected file written; review it"))
        }
        Err(e) => Err(format!("{stem}: missing expected file: {e}")),
    }
}

/// The case `body_path` passes when `matches`; else its expected and
/// actual outcomes, side by side.
pub fn verdict(
    body_path: &Path,
    matches: bool,
    expected: &Value,
    actual: &Value,
) -> Result<(), String> {
    if matches {
        return Ok(());
    }
    Err(format!(
        "{}: expected\n{}\ngot\n{}",
        body_path.display(),
        serde_json::to_string_pretty(expected).unwrap(),
        serde_json::to_string_pretty(actual).unwrap()
    ))
}

/// A translation's target as the expected files write it.
pub fn target_json(target: &Target) -> Value {
    match target {
        Target::Default => json!({"kind": "default"}),
        Target::ChannelName(n) => json!({"kind": "channel_name", "value": n}),
        Target::ChannelId(i) => json!({"kind": "channel_id", "value": i}),
        Target::DirectUser(u) => json!({"kind": "direct_user", "value": u}),
    }
}
