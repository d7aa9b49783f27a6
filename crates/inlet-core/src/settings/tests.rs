use super::*;
use std::io::Write;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn toml_file(content: &str) -> tempfile_lite::TempFile {
    let file = tempfile_lite::TempFile::new("toml");
    std::fs::File::create(&file.path)
        .and_then(|mut f| f.write_all(content.as_bytes()))
        .unwrap();
    file
}

/// A tiny temporary file helper (avoids a dependency for two tests).
mod tempfile_lite {
    pub struct TempFile {
        pub path: std::path::PathBuf,
    }
    impl TempFile {
        pub fn new(ext: &str) -> Self {
            let name = format!("inlet-settings-{}.{ext}", uuid::Uuid::new_v4());
            Self {
                path: std::env::temp_dir().join(name),
            }
        }
    }
    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[test]
fn defaults_work_against_local_services() {
    let s = Settings::load_from(None, &[]).unwrap();
    assert_eq!(s.database.url, "postgres://postgres@127.0.0.1:5432/inlet");
    assert_eq!(s.amqp.shards, 16);
    assert_eq!(s.ingress.listen.port(), 8080);
    assert_eq!(s.api.listen.port(), 8081);
}

#[test]
fn file_then_environment_win_over_defaults() {
    let file = toml_file("[amqp]\nshards = 4\nprefix = \"from-file\"\n");
    let s = Settings::load_from(
        Some(&file.path),
        &env(&[
            ("INLET__AMQP__PREFIX", "from-env"),
            ("INLET__DATABASE__POOL_SIZE", "3"),
        ]),
    )
    .unwrap();
    assert_eq!(s.amqp.shards, 4);
    assert_eq!(s.amqp.prefix, "from-env");
    assert_eq!(s.database.pool_size, 3);
}

#[test]
fn unknown_key_is_refused_with_its_name() {
    let file = toml_file("[amqp]\nshard_count = 4\n");
    let err = Settings::load_from(Some(&file.path), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("shard_count"), "{err}");
}

#[test]
fn unknown_environment_key_is_refused_with_its_name() {
    let err = Settings::load_from(None, &env(&[("INLET__REDIS__URLL", "redis://x/")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("urll"), "{err}");
}

#[test]
fn bad_value_is_refused_with_its_key() {
    let err = Settings::load_from(None, &env(&[("INLET__AMQP__SHARDS", "many")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("amqp.shards"), "{err}");
    let err = Settings::load_from(None, &env(&[("INLET__AMQP__SHARDS", "0")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("amqp.shards"), "{err}");
    let err = Settings::load_from(None, &env(&[("INLET__AMQP__URL", "http://x")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("amqp.url"), "{err}");
}

#[test]
fn amqp_url_takes_one_node_or_a_comma_separated_cluster() {
    let s = Settings::load_from(None, &[]).unwrap();
    assert_eq!(s.amqp.nodes(), vec![s.amqp.url.as_str()]);
    let cluster = "amqp://u:p@rabbit-0:5672/%2f?heartbeat=10, amqp://u:p@rabbit-1:5672/%2f,amqps://u:p@rabbit-2/%2f";
    let s = Settings::load_from(None, &env(&[("INLET__AMQP__URL", cluster)])).unwrap();
    assert_eq!(
        s.amqp.nodes(),
        vec![
            "amqp://u:p@rabbit-0:5672/%2f?heartbeat=10",
            "amqp://u:p@rabbit-1:5672/%2f",
            "amqps://u:p@rabbit-2/%2f",
        ]
    );
}

#[test]
fn a_bad_node_of_the_cluster_is_refused_naming_it() {
    for (url, expected) in [
        (
            "amqp://a:5672/%2f,,amqp://c/%2f",
            "node 2 of 3 must be a URL",
        ),
        (
            "amqp://a:5672/%2f,http://b/%2f",
            "node 2 of 2 must be a URL",
        ),
        (
            "amqp://a/%2f,amqp://u:p@/%2f",
            "node 2 of 2 must name a host",
        ),
        ("amqp://:5672/%2f", "must name a host"),
        ("amqp://a/%2f,", "node 2 of 2 must be a URL"),
    ] {
        let err = Settings::load_from(None, &env(&[("INLET__AMQP__URL", url)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("amqp.url"), "{url}: {err}");
        assert!(err.contains(expected), "{url}: {err}");
    }
}

#[test]
fn the_publishing_lanes_need_room_for_at_least_one_webhook() {
    for key in [
        "publish_in_flight",
        "publish_batch_webhooks",
        "publish_batch_bytes",
    ] {
        let var = format!("INLET__INGRESS__{}", key.to_uppercase());
        let err = Settings::load_from(None, &env(&[(var.as_str(), "0")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("ingress.{key}")), "{err}");
        assert!(Settings::load_from(None, &env(&[(var.as_str(), "1")])).is_ok());
    }
}

#[test]
fn the_stream_limits_refuse_0() {
    for key in [
        "max_streams_per_token",
        "max_streams_total",
        "stream_buffer_events",
    ] {
        let var = format!("INLET__API__{}", key.to_uppercase());
        let err = Settings::load_from(None, &env(&[(var.as_str(), "0")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("api.{key}")), "{err}");
        assert!(Settings::load_from(None, &env(&[(var.as_str(), "1")])).is_ok());
    }
}

#[test]
fn the_api_body_limits_refuse_values_no_client_could_meet() {
    for (key, refused, accepted) in [
        ("max_body_bytes", "1023", "1024"),
        ("body_timeout_ms", "99", "100"),
    ] {
        let var = format!("INLET__API__{}", key.to_uppercase());
        let err = Settings::load_from(None, &env(&[(var.as_str(), refused)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("api.{key}")), "{err}");
        assert!(Settings::load_from(None, &env(&[(var.as_str(), accepted)])).is_ok());
    }
}

#[test]
fn missing_config_file_is_refused() {
    let err = Settings::load_from(Some(Path::new("/nonexistent/inlet.toml")), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn secrets_can_come_from_files() {
    let url = toml_file("postgres://secret@db/inlet\n");
    let tokens = toml_file("first\n\nsha256:abcd\n");
    let s = Settings::load_from(
        None,
        &env(&[
            ("INLET__DATABASE__URL_FILE", url.path.to_str().unwrap()),
            (
                "INLET__API__ADMIN_TOKENS_FILE",
                tokens.path.to_str().unwrap(),
            ),
        ]),
    )
    .unwrap();
    assert_eq!(s.database.url, "postgres://secret@db/inlet");
    assert_eq!(s.api.admin_tokens, vec!["first", "sha256:abcd"]);
}

#[test]
fn list_keys_take_comma_separated_environment_values() {
    let s = Settings::load_from(None, &env(&[("INLET__API__ADMIN_TOKENS", "a,b")])).unwrap();
    assert_eq!(s.api.admin_tokens, vec!["a", "b"]);
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

#[test]
fn example_file_documents_every_key_with_its_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/inlet.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let example: toml::Table = toml::from_str(&text).unwrap();
    let example = serde_json::to_value(example).unwrap();
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let (mut documented, mut known) = (Vec::new(), Vec::new());
    flatten("", &example, &mut documented);
    flatten("", &defaults, &mut known);
    documented.sort();
    known.sort();
    assert_eq!(
        documented, known,
        "config/inlet.example.toml and Settings disagree on the keys"
    );
    assert_eq!(
        example, defaults,
        "config/inlet.example.toml must show every default"
    );
    for key in &known {
        let leaf = key.rsplit('.').next().unwrap();
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{leaf} =")))
            .unwrap();
        let above = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        assert!(above.starts_with('#'), "key {key} has no comment above it");
    }
}

#[test]
fn redis_sentinels_are_host_and_port_and_need_a_master_name() {
    let file = toml_file("[redis]\nsentinels = [\"s-0:26379\", \"10.0.0.2:26379\"]\n");
    let s = Settings::load_from(Some(&file.path), &env(&[])).unwrap();
    assert_eq!(s.redis.sentinels.len(), 2);
    assert_eq!(s.redis.sentinel_master, "mymaster");
    for bad in ["s-0", ":26379", "s-0:port", "s-0:70000"] {
        let file = toml_file(&format!("[redis]\nsentinels = [\"{bad}\"]\n"));
        let err = Settings::load_from(Some(&file.path), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("redis.sentinels") && err.contains(bad),
            "{err}"
        );
    }
    let s = Settings::load_from(
        None,
        &env(&[("INLET__REDIS__SENTINELS", "s-0:26379,s-1:26379")]),
    )
    .unwrap();
    assert_eq!(s.redis.sentinels, ["s-0:26379", "s-1:26379"]);
    let s = Settings::load_from(None, &env(&[("INLET__REDIS__SENTINELS", "")])).unwrap();
    assert!(s.redis.sentinels.is_empty(), "{:?}", s.redis.sentinels);
    let file = toml_file("[redis]\nsentinels = [\"s-0:26379\"]\nsentinel_master = \" \"\n");
    let err = Settings::load_from(Some(&file.path), &env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("redis.sentinel_master"), "{err}");
}
