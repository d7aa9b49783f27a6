//! The arrows of docs/architecture.md that must never exist, checked against
//! every crate's `[dependencies]`: the dialect crate stays pure, core stays
//! below every I/O crate, each server's crate knows only its server,
//! services talk through the broker only, and the CLI is a client of the
//! API. (Dev-dependencies are test fixtures and are not checked.)

use std::collections::BTreeSet;

/// What a pure crate (the dialects, the templates) must never depend on:
/// no crate of Inlet's below it that does I/O, and no I/O crate.
const PURE_NEVER: &[&str] = &[
    "inlet-core",
    "inlet-store",
    "inlet-redis",
    "inlet-bus",
    "inlet-directory",
    "tokio",
    "redis",
    "lapin",
    "tokio-postgres",
    "deadpool-postgres",
    "actix-web",
];

/// (crate, what it must never depend on).
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("inlet-dialects", PURE_NEVER),
    ("inlet-templates", PURE_NEVER),
    (
        "inlet-core",
        &[
            "inlet-dialects",
            "inlet-store",
            "inlet-redis",
            "inlet-bus",
            "inlet-directory",
            "redis",
            "lapin",
            "tokio-postgres",
        ],
    ),
    (
        "inlet-store",
        &[
            "inlet-dialects",
            "inlet-templates",
            "inlet-redis",
            "inlet-bus",
            "inlet-directory",
            "redis",
            "lapin",
        ],
    ),
    (
        "inlet-redis",
        &[
            "inlet-dialects",
            "inlet-store",
            "inlet-bus",
            "inlet-directory",
            "lapin",
            "tokio-postgres",
        ],
    ),
    (
        "inlet-bus",
        &[
            "inlet-dialects",
            "inlet-store",
            "inlet-redis",
            "inlet-directory",
            "redis",
            "tokio-postgres",
        ],
    ),
    ("inlet-directory", &["inlet-bus", "lapin"]),
    (
        "inlet-ingress",
        &["inlet-formatter", "inlet-delivery", "inlet-api"],
    ),
    (
        "inlet-formatter",
        &[
            "inlet-ingress",
            "inlet-delivery",
            "inlet-api",
            "inlet-templates",
        ],
    ),
    (
        "inlet-delivery",
        &[
            "inlet-ingress",
            "inlet-formatter",
            "inlet-api",
            "inlet-dialects",
            "inlet-templates",
        ],
    ),
    (
        "inlet-api",
        &["inlet-ingress", "inlet-formatter", "inlet-delivery"],
    ),
    (
        "inletctl",
        &[
            "inlet-store",
            "inlet-bus",
            "inlet-redis",
            "inlet-directory",
            "inlet-dialects",
        ],
    ),
];

/// The names under a crate's `[dependencies]` table.
fn dependencies(krate: &str) -> BTreeSet<String> {
    let path = format!("{}/../{krate}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut names = BTreeSet::new();
    let mut in_dependencies = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            names.insert(name.to_string());
        }
    }
    names
}

#[test]
fn no_crate_depends_on_what_the_architecture_forbids() {
    let mut broken = Vec::new();
    for (krate, forbidden) in FORBIDDEN {
        let has = dependencies(krate);
        assert!(!has.is_empty(), "{krate} lists no dependency: wrong path?");
        broken.extend(
            forbidden
                .iter()
                .filter(|f| has.contains(**f))
                .map(|f| format!("{krate} -> {f}")),
        );
    }
    assert!(broken.is_empty(), "forbidden dependencies: {broken:?}");
}

#[test]
fn the_reading_of_dependencies_sees_a_known_arrow() {
    // The check above is only worth something if it reads real arrows.
    assert!(dependencies("inlet-ingress").contains("inlet-dialects"));
    assert!(dependencies("inlet-directory").contains("inlet-store"));
}
