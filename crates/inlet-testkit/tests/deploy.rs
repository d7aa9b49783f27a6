//! The deployment artifacts checked against the code: every metric the alert
//! rules (`deploy/prometheus/alerts.yml`) and the dashboard
//! (`deploy/grafana/inlet.json`) use is exported by a running service, every
//! alert has a runbook in `docs/operations.md`, and the configuration that
//! `docker-compose.yml` and `deploy/k8s/` hand the services is accepted by
//! the services' own settings loader (an unknown key would stop them), and
//! every RabbitMQ node shipped runs the broker settings Inlet needs.

use inlet_core::Settings;
use inlet_testkit::TestStack;
use inlet_testkit::servers::PARTITION_HANDLING;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn repo_file(path: &str) -> String {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

/// The metric names a rule or dashboard text refers to: every `inlet_…` and
/// `process_…` word, a histogram's `_bucket`/`_sum`/`_count` series mapped
/// to the histogram's name.
fn referenced_metrics(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("inlet_") || w.starts_with("process_"))
        .map(|w| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| w.strip_suffix(suffix))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_and_dashboard_use_only_exported_metrics() {
    let stack = TestStack::start().await.unwrap();
    let exported = stack.exported_metric_names().await.unwrap();
    stack.stop().await;
    assert!(exported.len() >= 12, "metrics missing: {exported:?}");
    for file in ["deploy/prometheus/alerts.yml", "deploy/grafana/inlet.json"] {
        let used = referenced_metrics(&repo_file(file));
        assert!(!used.is_empty(), "{file} uses no Inlet metric");
        let unknown: Vec<&String> = used.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "{file} uses metrics no service exports: {unknown:?}"
        );
    }
}

/// `(alert name, its rule's lines)` for every rule of alerts.yml.
fn alert_rules(text: &str) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.trim_start().strip_prefix("- alert: ") {
            rules.push((name.trim().to_string(), String::new()));
        } else if line.trim_start().starts_with("- ") {
            rules.push((String::new(), String::new()));
        } else if let Some((_, body)) = rules.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    rules.retain(|(name, _)| !name.is_empty());
    rules
}

#[test]
fn every_alert_has_a_summary_and_a_runbook_in_operations_md() {
    let docs = repo_file("docs/operations.md");
    let rules = alert_rules(&repo_file("deploy/prometheus/alerts.yml"));
    assert!(rules.len() >= 7, "alerts missing: {rules:?}");
    for (name, body) in rules {
        assert!(body.contains("summary: "), "{name} has no summary");
        let runbook = format!(
            "runbook_url: \"docs/operations.md#{}\"",
            name.to_lowercase()
        );
        assert!(body.contains(&runbook), "{name}: expected {runbook}");
        assert!(
            docs.lines().any(|l| l == format!("### {name}")),
            "docs/operations.md has no heading `### {name}` (the runbook anchor)"
        );
    }
}

/// The more-indented lines after `key: |` in a YAML text, unindented.
fn block_scalar(yaml: &str, key: &str) -> String {
    let mut lines = yaml.lines().skip_while(|l| l.trim() != format!("{key}: |"));
    let header = lines.next().expect("block scalar present");
    let outer = header.len() - header.trim_start().len();
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > outer)
        .collect();
    let inner = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.iter()
        .map(|l| l.get(inner..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The quoted value of `key: "…"` in a YAML text.
fn quoted_value(yaml: &str, key: &str) -> String {
    let prefix = format!("{key}: \"");
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {key} in the YAML"))
        .to_string()
}

/// A file in a directory of its own under the system's temporary directory.
fn temp_file(dir: &str, name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inlet-deploy-{}-{dir}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn the_kubernetes_config_map_and_secret_are_accepted_by_every_service() {
    let toml = block_scalar(&repo_file("deploy/k8s/configmap.yaml"), "inlet.toml");
    let secret = repo_file("deploy/k8s/secret.yaml");
    let config = temp_file("k8s", "inlet.toml", &toml);
    let mut env = Vec::new();
    for (key, var) in [
        ("database-url", "INLET__DATABASE__URL_FILE"),
        ("amqp-url", "INLET__AMQP__URL_FILE"),
        ("redis-url", "INLET__REDIS__URL_FILE"),
    ] {
        let path = temp_file("k8s", key, &quoted_value(&secret, key));
        env.push((var.to_string(), path.display().to_string()));
    }
    let tokens = temp_file(
        "k8s",
        "admin-tokens",
        &block_scalar(&secret, "admin-tokens"),
    );
    env.push((
        "INLET__API__ADMIN_TOKENS_FILE".into(),
        tokens.display().to_string(),
    ));
    let settings = Settings::load_from(Some(&config), &env)
        .unwrap_or_else(|e| panic!("deploy/k8s configuration refused: {e}"));
    assert_eq!(settings.ingress.listen.port(), 8080);
    assert_eq!(settings.api.listen.port(), 8081);
    assert_eq!(settings.service.shutdown_timeout_ms, 20_000);
    assert_eq!(settings.api.admin_tokens.len(), 1);
    assert!(settings.database.url.starts_with("postgres://"));
}

/// The `INLET__…` variables of docker-compose.yml (commented ones left out),
/// `${VAR:-default}` replaced by its default.
fn compose_environment(compose: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for line in compose.lines().map(str::trim) {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        if !key.starts_with("INLET__") {
            continue;
        }
        let value = match value.strip_prefix("${") {
            Some(rest) => rest
                .split_once(":-")
                .and_then(|(_, d)| d.strip_suffix('}'))
                .unwrap_or_else(|| panic!("{key}: give ${{VAR:-default}}")),
            None => value,
        };
        env.push((key.to_string(), value.to_string()));
    }
    env
}

#[test]
fn the_compose_environment_is_accepted_by_every_service() {
    let env = compose_environment(&repo_file("docker-compose.yml"));
    assert!(env.len() >= 5, "compose environment not found: {env:?}");
    let settings = Settings::load_from(None, &env)
        .unwrap_or_else(|e| panic!("docker-compose.yml environment refused: {e}"));
    assert!(settings.amqp.url.contains("@rabbitmq:5672"));
    assert!(settings.database.url.contains("@postgres:5432/"));
    assert_eq!(settings.api.admin_tokens.len(), 1);
}

/// The `cluster` profile: the node list its header exports is accepted by
/// the services and names the three nodes the profile runs.
#[test]
fn the_compose_cluster_profile_names_its_three_nodes() {
    let compose = repo_file("docker-compose.yml");
    let url = compose
        .lines()
        .find_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix("export INLET_AMQP_URL=")
        })
        .expect("docker-compose.yml shows the cluster's INLET_AMQP_URL")
        .trim_matches('"')
        .to_string();
    let env = vec![("INLET__AMQP__URL".to_string(), url)];
    let settings = Settings::load_from(None, &env)
        .unwrap_or_else(|e| panic!("the cluster's INLET_AMQP_URL refused: {e}"));
    let nodes = settings.amqp.nodes();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    for (node, host) in nodes.iter().zip(["rabbitmq", "rabbitmq-1", "rabbitmq-2"]) {
        assert!(node.contains(&format!("@{host}:5672/")), "{node}");
        assert!(
            compose.contains(&format!("hostname: {host}")),
            "no node {host} in docker-compose.yml"
        );
    }
    assert!(compose.contains(r#"profiles: ["cluster"]"#));
}

/// The settings of `deploy/rabbitmq/rabbitmq.conf`, one per line, without
/// its comments.
fn rabbitmq_settings() -> Vec<String> {
    repo_file("deploy/rabbitmq/rabbitmq.conf")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Every RabbitMQ node shipped runs Inlet's broker settings, among them the
/// partition handling the fault tests' cluster runs with: the Operator's
/// cluster carries each line of `deploy/rabbitmq/rabbitmq.conf`, and each
/// node of docker-compose.yml mounts the file.
#[test]
fn every_shipped_rabbitmq_node_has_the_broker_settings_inlet_needs() {
    let settings = rabbitmq_settings();
    assert!(
        settings.iter().any(|s| s == PARTITION_HANDLING),
        "deploy/rabbitmq/rabbitmq.conf lacks {PARTITION_HANDLING:?}: {settings:?}"
    );
    let operator = repo_file("deploy/k8s/dependencies/rabbitmq-cluster.yaml");
    let additional: Vec<String> = block_scalar(&operator, "additionalConfig")
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    for setting in &settings {
        assert!(
            additional.contains(setting),
            "rabbitmq-cluster.yaml's additionalConfig lacks {setting:?}"
        );
    }
    let compose = repo_file("docker-compose.yml");
    let mounts = compose
        .matches("./deploy/rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/")
        .count();
    let nodes = ["rabbitmq", "rabbitmq-1", "rabbitmq-2"];
    for host in nodes {
        assert!(
            compose.contains(&format!("hostname: {host}")),
            "no node {host}"
        );
    }
    assert_eq!(mounts, nodes.len(), "a compose node without rabbitmq.conf");
}
