//! Every `2xx` becomes its posts (reliability.md A9): generated payloads for
//! every dialect and integration entry point, hostile strings included (NUL,
//! C0 and C1 controls, lone surrogate escapes, bidi overrides, 4-byte emoji,
//! very long words, nesting just under the depth limit, the largest accepted
//! body), each sent once waiting for its verdict and once not, on the real
//! stack. Every `2xx` must end as its posts (or as the documented
//! `not_posted` verdict) and leave no dead letter; every `4xx` must leave
//! nothing.
//!
//! The payloads are the dialect crate's fixtures, mutated by a seeded
//! generator: `INLET_PROPERTY_SEED` and `INLET_PROPERTY_CASES` (default 240)
//! choose the run; a failure prints the seed and the case to replay it.
//! A longer run: `INLET_PROPERTY_CASES=5000 cargo nextest run -p
//! inlet-testkit --test accepted_means_posted` (docs/reliability.md).

use inlet_testkit::{Fixture, TestStack};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One request to send: where, how, and what.
#[derive(Clone, Debug)]
struct Case {
    label: String,
    /// `slack`, `talkspirit`, `emakin` or `integration/<name>`.
    dialect: String,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What one send of a case got back.
#[derive(Debug)]
struct Sent {
    waited: bool,
    status: u16,
    message_id: String,
    body: Value,
}

/// SplitMix64: a small, seeded, repeatable generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fragments no sender should be able to turn into a lost message.
const HOSTILE: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "\u{1}\u{7}\u{1b}[31mred\u{1b}[0m\u{7f}",
    "\u{85}\u{9b}\u{9f}",
    "\u{202e}evil\u{202c}\u{2066}x\u{2069}",
    "😀🧑‍🚀𝕏",
    "\u{feff}\u{200b}\u{fffe}",
    "<!channel> @here <@U123> <#C1|x>",
    "[x](javascript:alert(1))",
    "`` ``` ~~~",
];

/// The fields that name threads, cases and channels in the dialects.
const IDENTIFIERS: &[&str] = &[
    "thread_key",
    "root_id",
    "thread_ts",
    "channel",
    "thread_id",
    "id",
];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../inlet-dialects/tests/fixtures")
}

/// The fixtures' JSON bodies, each with its request facts.
fn seeds() -> Vec<Case> {
    let mut seeds = Vec::new();
    for dialect in ["slack", "talkspirit", "emakin"] {
        for (stem, body, request) in json_bodies(&fixtures_root().join(dialect)) {
            seeds.push(Case {
                label: format!("{dialect}/{stem}"),
                dialect: dialect.into(),
                content_type: content_type(&request),
                headers: pairs(&request["headers"]),
                query: Vec::new(),
                body,
            });
        }
    }
    let integrations = fixtures_root().join("integrations");
    for name in inlet_dialects::integrations::names() {
        for (stem, body, request) in json_bodies(&integrations.join(name)) {
            let mut headers = pairs(&request["headers"]);
            if *name == "github" && request["no_event_header"] != true && headers.is_empty() {
                let event = stem.split("__").next().unwrap_or_default();
                headers.push(("X-GitHub-Event".into(), event.into()));
            }
            seeds.push(Case {
                label: format!("integration/{name}/{stem}"),
                dialect: format!("integration/{name}"),
                content_type: content_type(&request),
                headers,
                query: pairs(&request["query"]),
                body,
            });
        }
    }
    seeds.sort_by(|a, b| a.label.cmp(&b.label));
    seeds
}

fn json_bodies(dir: &Path) -> Vec<(String, Vec<u8>, Value)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem.ends_with(".expected") || stem.ends_with(".request") {
            continue;
        }
        let body = std::fs::read(&path).unwrap();
        let request = std::fs::read(dir.join(format!("{stem}.request.json")))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        out.push((stem.to_string(), body, request));
    }
    out
}

fn content_type(request: &Value) -> Option<String> {
    match &request["content_type"] {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("application/json".into()),
        _ => None,
    }
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

/// Every string in a JSON value, as a path of keys and indexes.
fn string_paths(value: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::String(_) => out.push(at.clone()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(json!(i));
                string_paths(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                at.push(json!(k));
                string_paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(value: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

/// A mutation of `seed`, decided by `rng`.
fn mutate(seed: &Case, rng: &mut Rng, max_body: usize, max_depth: usize) -> Case {
    let mut case = seed.clone();
    let Ok(mut value) = serde_json::from_slice::<Value>(&seed.body) else {
        return case;
    };
    let mut paths = Vec::new();
    string_paths(&value, &mut Vec::new(), &mut paths);
    let mut kinds = Vec::new();
    let rounds = 1 + rng.below(3);
    let mut text_level: Option<&'static str> = None;
    for _ in 0..rounds {
        let kind = rng.below(10);
        match kind {
            // A hostile fragment inside a string value.
            0..=3 if !paths.is_empty() => {
                let path = rng.pick(&paths).clone();
                let fragment = *rng.pick(HOSTILE);
                if let Some(Value::String(s)) = at_path(&mut value, &path) {
                    let cut = (0..=s.len())
                        .filter(|i| s.is_char_boundary(*i))
                        .nth(rng.below(s.chars().count() + 1))
                        .unwrap_or(0);
                    s.insert_str(cut, fragment);
                }
                kinds.push("hostile_string");
            }
            // A NUL in a key, beside a string the payload has (so in an
            // object a translation reads, such as `props` or a field).
            4 => {
                let path = if paths.is_empty() {
                    Vec::new()
                } else {
                    rng.pick(&paths).clone()
                };
                let parent = path.len().saturating_sub(1);
                if let Some(Value::Object(map)) = at_path(&mut value, &path[..parent]) {
                    map.insert("k\u{0}ey".into(), json!("v\u{0}"));
                }
                if let Some(props) = value.get_mut("props").and_then(Value::as_object_mut) {
                    props.insert("p\u{0}".into(), json!({"\u{0}": ["\u{0}"]}));
                }
                kinds.push("nul_key");
            }
            // A hostile identifier (thread key, root id, channel, case id)
            // or `topic` / `stream` parameter.
            5 => {
                let fragment = *rng.pick(&["a\u{0}b", "\u{202e}x", "😀", "\u{1}"]);
                if case.dialect.starts_with("integration/") {
                    let name = *rng.pick(&["topic", "topic", "topic", "stream"]);
                    case.query.retain(|(k, _)| k != name);
                    case.query.push((name.into(), format!("t{fragment}")));
                } else if let Value::Object(map) = &mut value {
                    let field = *rng.pick(IDENTIFIERS);
                    map.insert(field.into(), json!(format!("k{fragment}")));
                    if case.dialect == "emakin" && rng.below(2) == 0 {
                        map.insert("references".into(), json!([format!("r{fragment}"), "ok"]));
                    }
                }
                kinds.push("identifier");
            }
            // A very long word (no place to split but the limit).
            6 if !paths.is_empty() => {
                let path = rng.pick(&paths).clone();
                let word = "w".repeat(20_000 + rng.below(30_000));
                if let Some(Value::String(s)) = at_path(&mut value, &path) {
                    s.push_str(&word);
                }
                kinds.push("long_word");
            }
            // Nesting just under the depth limit, in a field nobody reads.
            7 => {
                if let Value::Object(map) = &mut value {
                    let mut deep = json!("bottom");
                    for _ in 0..max_depth.saturating_sub(2) {
                        deep = json!([deep]);
                    }
                    map.insert("inlet_test_deep".into(), deep);
                }
                kinds.push("deep");
            }
            // A lone surrogate escape, written into the JSON text.
            8 => {
                text_level = Some(*rng.pick(&["\\ud800", "\\udfff", "\\ud83d x"]));
                kinds.push("lone_surrogate");
            }
            // The largest accepted body: a long text up to the limit.
            _ => {
                if let Value::Object(map) = &mut value {
                    let used = serde_json::to_vec(map).map(|b| b.len()).unwrap_or(0);
                    let room = max_body.saturating_sub(used + 64);
                    // 25 bytes once written as JSON (`\u0000` is six).
                    let words = "lorem ipsum \u{0}dolor ".repeat(room / 25);
                    map.insert("inlet_test_padding".into(), json!(words));
                }
                kinds.push("largest_body");
            }
        }
    }
    let mut text = serde_json::to_string(&value).unwrap();
    if let Some(escape) = text_level {
        // Inside the first string value of the text.
        if let Some(at) = text.find(":\"") {
            text.insert_str(at + 2, escape);
        }
    }
    case.body = text.into_bytes();
    case.label = format!("{} [{}]", case.label, kinds.join(", "));
    case
}

/// The URL of a case on this stack.
fn url(stack: &TestStack, f: &Fixture, case: &Case, wait: bool) -> String {
    let mut query: Vec<String> = case
        .query
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                inlet_testkit::urlencode(k),
                inlet_testkit::urlencode(v)
            )
        })
        .collect();
    if wait {
        query.push("wait=true".into());
    }
    let path = match case.dialect.as_str() {
        "slack" => format!("/hooks/{}", f.token),
        "talkspirit" => format!("/v1/incoming/{}", f.token),
        "emakin" => format!("/hooks/channels/{}/{}", f.channel_id, f.token),
        other => {
            let name = other.strip_prefix("integration/").unwrap();
            query.push(format!("api_key={}", f.token));
            format!("/api/v1/external/{name}")
        }
    };
    if query.is_empty() {
        stack.ingress_url(&path)
    } else {
        stack.ingress_url(&format!("{path}?{}", query.join("&")))
    }
}

async fn send(stack: &TestStack, f: &Fixture, case: &Case, wait: bool, again: bool) -> Sent {
    let mut request = stack.http.post(url(stack, f, case, wait));
    if let Some(ct) = &case.content_type {
        request = request.header("content-type", ct);
    }
    for (name, value) in &case.headers {
        // A vendor's delivery id is its idempotency key: each case is a
        // delivery of its own (fixtures share ids), and so is the second
        // send of one.
        let lower = name.to_ascii_lowercase();
        let value = if lower.contains("delivery")
            || lower.contains("uuid")
            || lower.ends_with("request-id")
        {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(&(&case.label, &case.body), &mut hasher);
            let case_id = std::hash::Hasher::finish(&hasher);
            let again = if again { "-again" } else { "" };
            format!("{value}-{case_id:x}{again}")
        } else {
            value.clone()
        };
        request = request.header(name.as_str(), value);
    }
    let response = request.body(case.body.clone()).send().await;
    let response = match response {
        Ok(response) => response,
        Err(error) => panic!("{}: cannot reach ingress: {error}", case.label),
    };
    let status = response.status().as_u16();
    let message_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Sent {
        waited: wait,
        status,
        message_id,
        body,
    }
}

/// Posts per message id, from the database.
async fn posts_by_message(stack: &TestStack) -> HashMap<String, i64> {
    let client = stack.pool.get().await.unwrap();
    client
        .query(
            "SELECT message_id::text, count(*) FROM posts GROUP BY message_id",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn dead_letters(stack: &TestStack) -> Vec<String> {
    let client = stack.pool.get().await.unwrap();
    client
        .query(
            "SELECT message_id::text, stage, reason, detail FROM dead_letters",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let (id, stage, reason, detail): (String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            let detail: String = detail.chars().take(200).collect();
            format!("{id} {stage}/{reason}: {detail}")
        })
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_2xx_becomes_its_posts_and_every_4xx_leaves_nothing() {
    let seed = env_number("INLET_PROPERTY_SEED", 20_261_207);
    let count = env_number("INLET_PROPERTY_CASES", 240) as usize;
    let stack = Arc::new(TestStack::start().await.unwrap());
    let f = Arc::new(stack.fixture().await.unwrap());
    let max_body = stack.settings.ingress.max_body_bytes;
    let max_depth = stack.settings.limits.max_json_depth;
    let seeds = seeds();
    assert!(seeds.len() > 300, "the fixtures were not found");

    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..count)
        .map(|i| {
            let seed_case = &seeds[i % seeds.len()];
            // A third of the cases are the fixtures as they are.
            if rng.below(3) == 0 {
                seed_case.clone()
            } else {
                mutate(seed_case, &mut rng, max_body, max_depth)
            }
        })
        .collect();

    // Four senders side by side; each case waits first, then does not.
    let queue = Arc::new(tokio::sync::Mutex::new(cases.into_iter().enumerate()));
    let mut senders = Vec::new();
    for _ in 0..4 {
        let (stack, f, queue) = (stack.clone(), f.clone(), queue.clone());
        senders.push(tokio::spawn(async move {
            let mut results = Vec::new();
            loop {
                let Some((i, case)) = queue.lock().await.next() else {
                    break;
                };
                let waited = send(&stack, &f, &case, true, false).await;
                let plain = send(&stack, &f, &case, false, true).await;
                results.push((i, case, [waited, plain]));
            }
            results
        }));
    }
    let mut results = Vec::new();
    for sender in senders {
        results.extend(sender.await.unwrap());
    }
    results.sort_by_key(|(i, _, _)| *i);

    // What each answer promises, checked as far as an answer alone tells.
    let mut failures = Vec::new();
    let mut expect_posts: BTreeMap<String, (String, Option<i64>)> = BTreeMap::new();
    let mut expect_none: BTreeMap<String, String> = BTreeMap::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (i, case, sends) in &results {
        let what = format!("case {i} (seed {seed}) {}", case.label);
        let nothing_meant = sends[0].body.get("not_posted").is_some();
        for sent in sends {
            *statuses.entry(sent.status).or_default() += 1;
            let id = sent.message_id.clone();
            match sent.status {
                200 | 202 if sent.waited && sent.status == 200 => {
                    let posts = sent.body["posts"].as_array().map_or(0, Vec::len);
                    if sent.body["ok"] != true {
                        failures.push(format!("{what}: waited 200 without ok: {}", sent.body));
                    } else if posts == 0 && !nothing_meant {
                        failures.push(format!(
                            "{what}: waited 200 with no posts and no `not_posted`: {}",
                            sent.body
                        ));
                    } else if posts == 0 {
                        expect_none.insert(id, what.clone());
                    } else {
                        expect_posts.insert(id, (what.clone(), Some(posts as i64)));
                    }
                }
                200 | 202 => {
                    if nothing_meant {
                        expect_none.insert(id, what.clone());
                    } else {
                        expect_posts.insert(id, (what.clone(), None));
                    }
                }
                400..=499 => {
                    // The second send of a case opening finds the case.
                    let reported = sent.body["error"] == "already_reported";
                    if !sent.waited && !reported && sends[0].status < 300 {
                        failures.push(format!(
                            "{what}: accepted when waiting, {} when not: {}",
                            sent.status, sent.body
                        ));
                    }
                    expect_none.insert(id, what.clone());
                }
                other => failures.push(format!("{what}: answered {other}: {}", sent.body)),
            }
            if std::env::var_os("INLET_PROPERTY_VERBOSE").is_some() {
                let body: String = sent.body.to_string().chars().take(160).collect();
                println!("{what} wait={} -> {} {body}", sent.waited, sent.status);
            }
        }
    }

    // Every accepted message is posted, in time; then nothing else happens.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let posted = loop {
        let posted = posts_by_message(&stack).await;
        let missing = expect_posts
            .keys()
            .filter(|id| !posted.contains_key(*id))
            .count();
        if missing == 0 || tokio::time::Instant::now() > deadline {
            break posted;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (id, (what, count)) in &expect_posts {
        match (posted.get(id), count) {
            (None, _) => failures.push(format!("{what}: accepted as {id}, never posted")),
            (Some(n), Some(expected)) if n != expected => failures.push(format!(
                "{what}: the verdict listed {expected} posts, {n} were stored"
            )),
            _ => {}
        }
    }
    for (id, what) in &expect_none {
        if let Some(n) = posted.get(id) {
            failures.push(format!(
                "{what}: refused or not meant to post as {id}, yet {n} posts"
            ));
        }
    }
    for letter in dead_letters(&stack).await {
        failures.push(format!("dead letter: {letter}"));
    }
    let accepted = expect_posts.len();
    println!(
        "seed {seed}: {} sends, answers {statuses:?}, {accepted} posted",
        2 * results.len()
    );
    assert!(
        accepted > count / 3,
        "too few accepted to mean anything: {statuses:?}"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if let Ok(stack) = Arc::try_unwrap(stack) {
        stack.stop().await;
    }
}

/// A row the database refuses is a bug of ours (nothing a payload can do
/// reaches it any more), so the test makes one: a `CHECK` on the test
/// database's posts. The waiting sender is told the reason and the dead
/// letter, never `ok` with no posts; a repeat of its `Idempotency-Key` gets
/// the same; the message beside it in the batch is posted; the counter the
/// `InletRejectedByDatabase` alert watches counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_answered_as_one_and_counted() {
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let client = stack.pool.get().await.unwrap();
    client
        .batch_execute(
            "ALTER TABLE posts ADD CONSTRAINT test_refuses_boom CHECK (message NOT LIKE '%boom%')",
        )
        .await
        .unwrap();
    let url = stack.ingress_url(&format!("/hooks/{}?wait=true", f.token));
    let send = |text: &'static str, key: &'static str| {
        stack
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(json!({ "text": text }).to_string())
            .send()
    };
    let (refused, fine) = tokio::join!(send("boom", "k-boom"), send("fine", "k-fine"));
    let (refused, fine) = (refused.unwrap(), fine.unwrap());
    assert_eq!(fine.status(), 200);
    assert_eq!(refused.status(), 500);
    let answer: Value = refused.json().await.unwrap();
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["error"], "rejected_by_database", "{answer}");
    let letter = answer["dead_letter_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!letter.is_empty(), "{answer}");
    let stored: String = client
        .query_one(
            "SELECT reason FROM dead_letters WHERE id = $1::text::uuid",
            &[&letter],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, "rejected_by_database");

    // The same key: the same verdict, and nothing new.
    let again = send("boom", "k-boom").await.unwrap();
    assert_eq!(again.status(), 500);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["dead_letter_id"], letter.as_str(), "{again}");
    let letters: i64 = client
        .query_one("SELECT count(*) FROM dead_letters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(letters, 1);
    let posts = stack.posts_of(&f.channel_id).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message, "fine");

    let metrics = stack.metrics("delivery").await.unwrap();
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("inlet_dead_lettered_total")
                && l.contains("reason=\"rejected_by_database\"")
                && l.contains("stage=\"delivery\"")
        })
        .unwrap_or_default();
    assert!(line.ends_with(" 1"), "{line:?}");
    stack.stop().await;
}
