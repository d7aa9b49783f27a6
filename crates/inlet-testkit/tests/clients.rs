//! Real clients, not ours, sending to the running services: Zulip's
//! Python client (`send_message`, after it asks `server_settings`),
//! Slack's `slack_sdk` (`chat_postMessage`, and a thread reply with the
//! `ts` it returned), Apprise through its Mattermost URL, and Prometheus
//! Alertmanager firing and resolving a real alert through its
//! `webhook_configs` and its `slack_configs`. Each ends with the posts read
//! back and compared.
//!
//! The clients come from `scripts/clients-setup` (scripts/test runs it):
//! without them these tests fail and say so; they never skip.

use inlet_store::Post;
use inlet_testkit::{Fixture, TestStack};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A client's whole run, a backstop: each sends a handful of requests.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails with the setup script's own instructions when a client is missing.
fn require_clients() {
    let check = Command::new(repository().join("scripts/clients-setup"))
        .arg("--check")
        .output()
        .expect("cannot run scripts/clients-setup");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

fn venv_python() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    cache.join("inlet/clients-venv/bin/python")
}

/// Runs `tests/clients/send.py <client>` against ingress with `token`;
/// what the client library returned.
async fn send_with(client: &str, stack: &TestStack, token: &str) -> Value {
    let mut command = Command::new(venv_python());
    command
        .arg(repository().join("tests/clients/send.py"))
        .arg(client)
        .env("INLET_INGRESS_URL", stack.ingress_url(""))
        .env("INLET_TOKEN", token)
        .stdin(Stdio::null());
    // The client blocks; the services keep running on the runtime's workers.
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || run(command))
        .await
        .unwrap();
    assert!(
        status == Some(true),
        "{client} failed or was killed after {CLIENT_TIMEOUT:?}: {stdout}{stderr}"
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{client}: {e}: {stdout}"))
}

/// Runs `command` to its end or [`CLIENT_TIMEOUT`]: whether it succeeded
/// (`None`: killed), and what it printed.
fn run(mut command: Command) -> (Option<bool>, String, String) {
    let dir = std::env::temp_dir().join(format!("inlet-client-{}", inlet_testkit::unique_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("cannot start the clients' Python");
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status.success());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let printed = (read(&out), read(&err));
    let _ = std::fs::remove_dir_all(&dir);
    (status, printed.0, printed.1)
}

async fn started() -> (TestStack, Fixture) {
    require_clients();
    let stack = TestStack::start().await.unwrap();
    let fixture = stack.fixture().await.unwrap();
    (stack, fixture)
}

async fn posts_of(stack: &TestStack, f: &Fixture, n: usize) -> Vec<Post> {
    let posts = stack
        .wait_for_posts(&f.channel_id, n, Duration::from_secs(30))
        .await
        .unwrap();
    // Nothing more arrives after the expected posts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = stack.posts(posts[0].channel_id).await.unwrap();
    assert_eq!(
        all.len(),
        n,
        "{:#?}",
        all.iter().map(|p| &p.message).collect::<Vec<_>>()
    );
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zulips_python_client_sends_into_a_topic() {
    let (stack, f) = started().await;
    let sent = send_with("zulip", &stack, &f.token).await;
    assert!(sent["feature_level"].as_u64().unwrap() > 0, "{sent}");
    assert_eq!(sent["first"]["result"], "success", "{sent}");
    assert_eq!(sent["second"]["result"], "success", "{sent}");
    assert!(sent["first"]["id"].is_u64(), "{sent}");
    assert_eq!(sent["missing"]["result"], "error", "{sent}");

    let posts = posts_of(&stack, &f, 2).await;
    assert_eq!(
        posts[0].id.to_string(),
        sent["first"]["post_id"].as_str().unwrap()
    );
    assert_eq!(posts[0].message, "Deploy **started**");
    assert_eq!(posts[0].thread_key.as_deref(), Some("deploys"));
    assert_eq!(posts[1].message, "Deploy done");
    assert_eq!(posts[1].root_id, Some(posts[0].id));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slacks_sdk_posts_and_replies_in_the_thread_of_the_ts_it_got() {
    let (stack, f) = started().await;
    let sent = send_with("slack", &stack, &f.token).await;
    assert_eq!(sent["root"]["ok"], true, "{sent}");
    assert_eq!(sent["reply"]["ok"], true, "{sent}");
    assert_eq!(sent["error"], "channel_not_found", "{sent}");

    let posts = posts_of(&stack, &f, 2).await;
    assert_eq!(
        posts[0].id.to_string(),
        sent["root"]["ts"].as_str().unwrap()
    );
    assert_eq!(posts[0].message, "Build **42** failed");
    assert_eq!(
        posts[1].id.to_string(),
        sent["reply"]["ts"].as_str().unwrap()
    );
    assert_eq!(posts[1].root_id, Some(posts[0].id));
    // The blocks are what is shown; the text was their fallback.
    assert!(
        posts[1].message.contains("fixed in **build 43**"),
        "{}",
        posts[1].message
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apprise_notifies_through_its_mattermost_url() {
    let (stack, f) = started().await;
    let sent = send_with("apprise", &stack, &f.token).await;
    assert_eq!(sent, json!({"added": true, "sent": true}));
    let posts = posts_of(&stack, &f, 1).await;
    assert!(posts[0].message.contains("Backup"), "{}", posts[0].message);
    assert!(
        posts[0].message.contains("Nightly backup finished in 42 s"),
        "{}",
        posts[0].message
    );
    assert_eq!(posts[0].dialect, "slack");
    stack.stop().await;
}

/// A private Alertmanager (its own port, storage and no cluster), stopped
/// when dropped.
struct Alertmanager {
    url: String,
    process: Child,
    storage: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Alertmanager {
    async fn start(config: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "inlet-alertmanager-{}",
            inlet_testkit::unique_tag()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
        let port = free_port();
        let process = Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start prometheus-alertmanager");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{url}/-/ready")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(Instant::now() < deadline, "Alertmanager did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            url,
            process,
            storage: dir,
        }
    }

    /// Posts one alert: firing, or resolved when `ends_at` is given.
    async fn alert(&self, starts_at: &str, ends_at: Option<&str>) {
        let mut alert = json!({
            "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
            "annotations": {"summary": "Disk full on db1"},
            "generatorURL": "http://prometheus.example/graph?g0.expr=disk&g0.tab=1",
            "startsAt": starts_at,
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = ends_at.into();
        }
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/alerts", self.url))
            .json(&json!([alert]))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.storage);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_fires_and_resolves_through_its_webhook_and_its_slack_receiver() {
    let (stack, f) = started().await;
    let slack_hook = stack
        .api_post(
            "/api/v1/webhooks",
            json!({"channel_id": f.channel_id, "owner_id": f.owner_id, "display_name": "Alertmanager"}),
        )
        .await
        .unwrap();
    let slack_token = slack_hook["token"].as_str().unwrap();
    let ingress = stack.ingress_url("");
    let config = format!(
        r##"
route:
  receiver: inlet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: inlet
    webhook_configs:
      - url: "{ingress}/api/v1/external/alertmanager?api_key={token}&stream=town-square"
        send_resolved: true
    slack_configs:
      - api_url: "{ingress}/hooks/{slack_token}"
        channel: "#town-square"
        send_resolved: true
"##,
        token = f.token,
    );
    let alertmanager = Alertmanager::start(&config).await;
    let now = chrono::Utc::now();
    let started_at = (now - chrono::Duration::minutes(5)).to_rfc3339();
    alertmanager.alert(&started_at, None).await;
    let firing = stack
        .wait_for_posts(&f.channel_id, 2, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(firing.len(), 2);
    alertmanager
        .alert(&started_at, Some(&chrono::Utc::now().to_rfc3339()))
        .await;
    let posts = stack
        .wait_for_posts(&f.channel_id, 4, Duration::from_secs(30))
        .await
        .unwrap();
    drop(alertmanager);

    let by =
        |dialect: &str| -> Vec<&Post> { posts.iter().filter(|p| p.dialect == dialect).collect() };
    let webhook = by("integration/alertmanager");
    assert_eq!(webhook.len(), 2, "{posts:#?}");
    assert!(
        webhook[0]
            .message
            .starts_with(":alert: **FIRING** DiskFull"),
        "{}",
        webhook[0].message
    );
    assert!(
        webhook[0].message.contains("g0.tab=0"),
        "{}",
        webhook[0].message
    );
    assert!(
        webhook[1]
            .message
            .starts_with(":squared_ok: **Resolved** DiskFull"),
        "{}",
        webhook[1].message
    );
    assert_eq!(webhook[0].thread_key.as_deref(), Some("db1"));
    assert_eq!(
        webhook[1].root_id,
        Some(webhook[0].id),
        "one thread per instance"
    );

    let slack = by("slack");
    assert_eq!(slack.len(), 2, "{posts:#?}");
    let shown = |post: &Post| format!("{} {}", post.message, post.props["attachments"]);
    assert!(shown(slack[0]).contains("FIRING"), "{}", shown(slack[0]));
    assert!(shown(slack[0]).contains("DiskFull"), "{}", shown(slack[0]));
    assert!(shown(slack[1]).contains("RESOLVED"), "{}", shown(slack[1]));
    stack.stop().await;
}
