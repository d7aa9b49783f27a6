//! inlet-api fuzzed over its own OpenAPI document by schemathesis
//! (reliability.md B9), through `scripts/api-fuzz`, against the real stack:
//! with the admin token no generated request gets a 5xx; without a token
//! every protected operation answers 401, with a wrong one 403.
//!
//! schemathesis lives in a virtualenv that `scripts/api-fuzz --setup` makes
//! (scripts/test runs it): without it this test fails and says so; it
//! never skips.

use inlet_testkit::{Fixture, TestStack};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The script's five runs each have a limit of their own; this is the
/// backstop for the whole.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(270);

fn api_fuzz_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/api-fuzz")
}

/// Fails with the script's own instructions when schemathesis is missing.
fn require_schemathesis() {
    let check = Command::new(api_fuzz_script())
        .arg("--check")
        .output()
        .expect("cannot run scripts/api-fuzz");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Ids that exist, for the generated requests to find: the fixture's team,
/// channel, owner and webhook, and a post in that channel.
async fn existing_ids(stack: &TestStack, fixture: &Fixture) -> Vec<String> {
    assert_eq!(
        stack
            .slack_status(&fixture.token, r#"{"text":"a post to find"}"#)
            .await,
        200
    );
    let posts = stack
        .wait_for_posts(&fixture.channel_id, 1, Duration::from_secs(15))
        .await
        .unwrap();
    vec![
        fixture.team_id.clone(),
        fixture.channel_id.clone(),
        fixture.owner_id.clone(),
        fixture.webhook_id.clone(),
        posts[0].id.to_string(),
    ]
}

/// The script's exit status and everything it printed; it is killed at
/// `timeout`, and its output then ends with a line that says so.
/// Where the script sends: the API, and ingress's message APIs with a
/// webhook's token.
struct Targets {
    api_url: String,
    admin_token: String,
    ids: Vec<String>,
    ingress_url: String,
    webhook_token: String,
}

fn run_api_fuzz(targets: &Targets) -> (Option<ExitStatus>, String) {
    let output_path = std::env::temp_dir().join(format!(
        "inlet-api-fuzz-{}.log",
        inlet_testkit::unique_tag()
    ));
    let output = std::fs::File::create(&output_path).unwrap();
    let mut script = Command::new(api_fuzz_script())
        .env("INLET_API_URL", &targets.api_url)
        .env("INLET_ADMIN_TOKEN", &targets.admin_token)
        .env("INLET_API_FUZZ_IDS", targets.ids.join(" "))
        .env("INLET_INGRESS_URL", &targets.ingress_url)
        .env("INLET_WEBHOOK_TOKEN", &targets.webhook_token)
        .stdin(Stdio::null())
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        // Its own process group, so that a timeout stops schemathesis too.
        .process_group(0)
        .spawn()
        .expect("cannot run scripts/api-fuzz");
    let status = wait_or_kill(&mut script, SCRIPT_TIMEOUT);
    let mut text = std::fs::read_to_string(&output_path).unwrap_or_default();
    let _ = std::fs::remove_file(&output_path);
    if status.is_none() {
        text.push_str(&format!("\n(killed after {SCRIPT_TIMEOUT:?})\n"));
    }
    (status, text)
}

fn wait_or_kill(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The group's id is the script's pid: `kill -- -pid` reaches its children.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_gets_no_server_error_and_no_protected_operation_without_a_valid_token() {
    require_schemathesis();
    let stack = TestStack::start().await.unwrap();
    let fixture = stack.fixture().await.unwrap();
    let ids = existing_ids(&stack, &fixture).await;
    let targets = Targets {
        api_url: stack.api_url(""),
        admin_token: stack.admin_token.clone(),
        ids,
        ingress_url: stack.ingress_url(""),
        webhook_token: fixture.token.clone(),
    };
    // The script blocks; the services keep running on the runtime's workers.
    let (status, output) = tokio::task::spawn_blocking(move || run_api_fuzz(&targets))
        .await
        .unwrap();
    stack.stop().await;
    println!("{output}");
    assert!(
        status.is_some_and(|s| s.success()),
        "scripts/api-fuzz failed ({status:?}):\n{output}"
    );
}
