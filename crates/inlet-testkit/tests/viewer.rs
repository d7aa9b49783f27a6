//! The web viewer that inlet-api serves at `/`: its page and headers, and
//! the page itself in headless Chromium (`tests/browser/viewer.mjs`, driven
//! by Playwright): sign in, threads folded under their roots, markdown
//! rendered, payload HTML inert, and live posts through a cut connection.
//!
//! The browser test needs Chromium and the script's node_modules: without
//! them it fails and says to run `scripts/browser-setup`; it never skips.

use inlet_testkit::proxy::TcpProxy;
use inlet_testkit::{Services, TestStack};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The whole browser scenario; it usually takes well under a minute.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn browser_dir() -> PathBuf {
    repo_root().join("tests/browser")
}

/// Where screenshots go: `$INLET_BROWSER_ARTIFACTS`, else
/// `<cargo target dir>/browser-artifacts` (this binary is `<target>/debug/deps/…`).
fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INLET_BROWSER_ARTIFACTS") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap_or(Path::new("target"));
    target.join("browser-artifacts")
}

fn require_browser_setup() {
    let setup = "run scripts/browser-setup";
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: {setup}"
    );
    assert!(
        browser_dir().join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: {setup}"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: {setup}"
    );
}

fn read_token_setting(token: &str) -> String {
    format!("sha256:{}", inlet_core::TokenHash::of(token).to_hex())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_without_a_token_under_a_strict_policy() {
    let stack = TestStack::start_with(Services::API, |_| {}).await.unwrap();
    let get = |path: &str, etag: Option<&str>| {
        let mut request = stack.http.get(stack.api_url(path));
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let page = get("/", None).await.unwrap();
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-cache");
    let policy = header("content-security-policy");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    let etag = header("etag");
    assert!(etag.starts_with('"'), "a strong ETag: {etag:?}");
    assert!(page.text().await.unwrap().contains("/assets/app.js"));

    let unchanged = get("/", Some(&etag)).await.unwrap();
    assert_eq!(unchanged.status(), 304);
    for (asset, content_type) in [
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/stream.js", "text/javascript; charset=utf-8"),
        ("/assets/posts.js", "text/javascript; charset=utf-8"),
        ("/assets/markdown.js", "text/javascript; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let response = get(asset, None).await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(response.headers()["content-type"], content_type, "{asset}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    assert_eq!(
        get("/assets/secrets.txt", None).await.unwrap().status(),
        404
    );
    assert_eq!(get("/api/v1/teams", None).await.unwrap().status(), 401);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_viewer_shows_posts_live_folded_and_inert_through_a_cut_connection() {
    require_browser_setup();
    let read_token = format!("read-{}", inlet_testkit::unique_tag());
    let stack = TestStack::start_with(Services::ALL, |s| {
        s.api.read_tokens = vec![read_token_setting(&read_token)];
    })
    .await
    .unwrap();
    let f = stack.fixture().await.unwrap();
    // The browser reaches inlet-api only through the proxy, so the test can cut it.
    let proxy = Arc::new(
        TcpProxy::start(([127, 0, 0, 1], stack.api_port).into())
            .await
            .unwrap(),
    );
    let artifacts = artifacts_dir();
    let started = Instant::now();
    let mut script = Command::new("node")
        .arg(browser_dir().join("viewer.mjs"))
        .current_dir(browser_dir())
        .env("INLET_VIEWER_URL", proxy.url("/"))
        .env("INLET_INGRESS_URL", stack.ingress_url(""))
        .env("INLET_WEBHOOK_TOKEN", &f.token)
        .env("INLET_CHANNEL_ID", &f.channel_id)
        .env("INLET_READ_TOKEN", &read_token)
        .env("INLET_BROWSER_ARTIFACTS", &artifacts)
        .env("INLET_CHROMIUM", CHROMIUM)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start node: run scripts/browser-setup");

    let stdin = script.stdin.take().unwrap();
    let stdout = script.stdout.take().unwrap();
    let mut stderr = script.stderr.take().unwrap();
    let control = tokio::task::spawn_blocking({
        let proxy = proxy.clone();
        move || serve_proxy_commands(stdout, stdin, &proxy)
    });
    let errors = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait_or_kill(&mut script, SCRIPT_TIMEOUT).await;
    let output = control.await.unwrap();
    let errors = errors.await.unwrap();
    let summary = format!(
        "browser scenario: {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        artifacts.display()
    );
    assert!(
        status.as_ref().is_some_and(ExitStatus::success),
        "tests/browser/viewer.mjs failed ({}):\n{output}\n{errors}\n{summary}",
        status.map_or("timed out".to_string(), |s| s.to_string()),
    );
    eprintln!("{output}{summary}");
    assert!(output.contains("all checks passed"), "{output}");
    for shot in [
        "02-history-thread-open",
        "05-connection-cut",
        "06-after-reconnect",
    ] {
        assert!(
            artifacts.join(format!("{shot}.png")).is_file(),
            "{shot}.png"
        );
    }
    stack.stop().await;
}

/// Carries out the script's `@inlet cut` / `@inlet restore` lines and
/// answers `done`; returns everything else it printed.
fn serve_proxy_commands(stdout: ChildStdout, mut stdin: ChildStdin, proxy: &TcpProxy) -> String {
    let mut output = String::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match line.strip_prefix("@inlet ") {
            Some("cut") => proxy.cut(),
            Some("restore") => proxy.restore(),
            Some(other) => panic!("unknown command from the script: {other}"),
            None => {
                output.push_str(&line);
                output.push('\n');
                continue;
            }
        }
        output.push_str(&format!("[{line}]\n"));
        if writeln!(stdin, "done").is_err() {
            break;
        }
    }
    output
}

/// The script's exit status, or None after killing it at `timeout`.
async fn wait_or_kill(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The webhook page in headless Chromium (`tests/browser/webhook.mjs`):
/// with the admin token, a team's webhook, its last use and its delivery
/// log, live, each request with its outcome, its template editor (preview
/// of a sample, an error's position, a save), and never its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_page_shows_its_delivery_log_live() {
    require_browser_setup();
    let stack = TestStack::start().await.unwrap();
    let f = stack.fixture().await.unwrap();
    let artifacts = artifacts_dir();
    let mut script = Command::new("node")
        .arg(browser_dir().join("webhook.mjs"))
        .current_dir(browser_dir())
        .env("INLET_VIEWER_URL", stack.api_url("/"))
        .env("INLET_INGRESS_URL", stack.ingress_url(""))
        .env("INLET_WEBHOOK_TOKEN", &f.token)
        .env("INLET_WEBHOOK_ID", &f.webhook_id)
        .env("INLET_ADMIN_TOKEN", &stack.admin_token)
        .env("INLET_BROWSER_ARTIFACTS", &artifacts)
        .env("INLET_CHROMIUM", CHROMIUM)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start node: run scripts/browser-setup");
    let mut stdout = script.stdout.take().unwrap();
    let mut stderr = script.stderr.take().unwrap();
    let output = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait_or_kill(&mut script, SCRIPT_TIMEOUT).await;
    let output = output.await.unwrap();
    assert!(
        status.as_ref().is_some_and(ExitStatus::success),
        "tests/browser/webhook.mjs failed ({}):\n{output}",
        status.map_or("timed out".to_string(), |s| s.to_string()),
    );
    assert!(output.contains("all checks passed"), "{output}");
    assert!(artifacts.join("webhook-log.png").is_file());
    assert!(artifacts.join("webhook-template.png").is_file());
    stack.stop().await;
}
