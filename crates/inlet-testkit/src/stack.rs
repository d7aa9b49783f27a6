//! The whole pipeline in-process: ingress, formatter, delivery and api on
//! free ports, isolated by a fresh database and unique prefixes.

use crate::TestDatabase;
use inlet_core::Settings;
use inlet_store::Post;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Which services to start.
#[derive(Clone, Copy, Debug)]
pub struct Services {
    pub ingress: bool,
    pub formatter: bool,
    pub delivery: bool,
    pub api: bool,
}

impl Services {
    pub const ALL: Services = Services {
        ingress: true,
        formatter: true,
        delivery: true,
        api: true,
    };
    pub const NONE: Services = Services {
        ingress: false,
        formatter: false,
        delivery: false,
        api: false,
    };
    pub const INGRESS: Services = Services {
        ingress: true,
        ..Services::NONE
    };
    pub const FORMATTER: Services = Services {
        formatter: true,
        ..Services::NONE
    };
    pub const DELIVERY: Services = Services {
        delivery: true,
        ..Services::NONE
    };
    pub const API: Services = Services {
        api: true,
        ..Services::NONE
    };

    /// These services and `other`'s.
    pub const fn and(self, other: Services) -> Services {
        Services {
            ingress: self.ingress || other.ingress,
            formatter: self.formatter || other.formatter,
            delivery: self.delivery || other.delivery,
            api: self.api || other.api,
        }
    }
}

pub struct TestStack {
    pub settings: Settings,
    pub admin_token: String,
    pub ingress_port: u16,
    pub ingress_ops_port: u16,
    pub api_port: u16,
    /// Ops listener (metrics, health) of each started service, by name.
    pub ops_ports: std::collections::HashMap<&'static str, u16>,
    pub pool: inlet_store::Pool,
    pub http: reqwest::Client,
    cancel: CancellationToken,
    /// Running services: (name, own stop token, task).
    tasks: Vec<(&'static str, CancellationToken, JoinHandle<()>)>,
    _database: TestDatabase,
}

/// A team, a channel, an owner and a webhook on it.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub team_id: String,
    pub channel_id: String,
    pub owner_id: String,
    pub webhook_id: String,
    pub token: String,
}

impl Fixture {
    /// A raw webhook of the Slack dialect posting `text`, as ingress makes
    /// it for this fixture's channel, received now.
    pub fn raw_webhook(&self, text: &str) -> inlet_proto::v1::RawWebhook {
        let now_micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_micros() as i64;
        inlet_proto::v1::RawWebhook {
            message_id: uuid::Uuid::now_v7().to_string(),
            webhook_id: self.webhook_id.clone(),
            team_id: self.team_id.clone(),
            dialect: "slack".into(),
            ordering_key: self.channel_id.clone(),
            received_at_micros: now_micros,
            content_type: "application/json".into(),
            body: json!({ "text": text }).to_string().into_bytes(),
            ..Default::default()
        }
    }
}

/// Settings for one isolated test.
pub fn test_settings(database_url: &str) -> Settings {
    let tag = crate::unique_tag();
    let mut s = Settings::default();
    s.database.url = database_url.to_string();
    s.database.pool_size = 2;
    s.amqp.url = crate::amqp_url();
    s.amqp.prefix = format!("t{tag}.");
    s.amqp.shards = 2;
    s.amqp.queue_expires_ms = 120_000;
    s.amqp.confirm_timeout_ms = 2_000;
    s.amqp.reconnect_max_backoff_ms = 500;
    s.redis.url = crate::redis_url();
    s.redis.prefix = format!("t{tag}:");
    let any = |port| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    s.ingress.listen = any(0);
    s.ingress.metrics_listen = any(0);
    s.ingress.workers = 2;
    // Tests send bursts on one webhook; rate limits are tested on purpose.
    s.ingress.rate_per_minute = 0;
    // Tests wait for `last_used_at`; production writes it less often.
    s.ingress.last_used_flush_ms = 300;
    s.formatter.metrics_listen = any(0);
    s.formatter.standby_delay_ms = 0;
    s.delivery.metrics_listen = any(0);
    s.delivery.standby_delay_ms = 0;
    s.delivery.relay_interval_ms = 200;
    s.delivery.relay_grace_ms = 300;
    s.api.listen = any(0);
    s.api.metrics_listen = any(0);
    s.service.shutdown_timeout_ms = 3_000;
    s
}

impl TestStack {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Services::ALL, |_| {}).await
    }

    pub async fn start_with(
        services: Services,
        adjust: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<Self> {
        let database = TestDatabase::create().await?;
        let mut settings = test_settings(&database.url);
        let admin_token = format!("admin-{}", crate::unique_tag());
        // A key for sealing signing secrets, as an operator would configure.
        let key_file = std::env::temp_dir().join(format!("inlet-test-key-{}", crate::unique_tag()));
        let key: String = (0..32)
            .map(|_| format!("{:02x}", uuid::Uuid::new_v4().as_bytes()[0]))
            .collect();
        std::fs::write(&key_file, key)?;
        settings.secrets.key_file = key_file.to_string_lossy().into_owned();
        settings.api.admin_tokens = vec![format!(
            "sha256:{}",
            inlet_core::TokenHash::of(&admin_token).to_hex()
        )];
        adjust(&mut settings);
        let pool = inlet_store::connect(&settings.database)?;
        let mut stack = Self {
            settings,
            admin_token,
            ingress_port: 0,
            ingress_ops_port: 0,
            api_port: 0,
            ops_ports: Default::default(),
            pool,
            // A service that never answers fails the test instead of
            // hanging it.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            cancel: CancellationToken::new(),
            tasks: Vec::new(),
            _database: database,
        };
        stack.spawn(services).await?;
        Ok(stack)
    }

    /// Starts more services of the same stack (e.g. delivery, later).
    pub async fn spawn(&mut self, services: Services) -> anyhow::Result<()> {
        self.spawn_with(services, |_| {}).await
    }

    /// Starts more services with adjusted settings (e.g. a second replica).
    pub async fn spawn_with(
        &mut self,
        services: Services,
        adjust: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<()> {
        let mut s = self.settings.clone();
        adjust(&mut s);
        let mut ready_ports = Vec::new();
        if services.api {
            let api = inlet_api::Api::build(s.clone()).await?;
            self.api_port = api.port;
            ready_ports.push(api.ops_port);
            self.ops_ports.insert("api", api.ops_port);
            let stop = self.cancel.child_token();
            self.push("api", stop.clone(), api.run_until_stopped(stop));
        }
        if services.delivery {
            let delivery = inlet_delivery::Delivery::build(s.clone()).await?;
            ready_ports.push(delivery.ops_port);
            self.ops_ports.insert("delivery", delivery.ops_port);
            let stop = self.cancel.child_token();
            self.push("delivery", stop.clone(), delivery.run_until_stopped(stop));
        }
        if services.formatter {
            let formatter = inlet_formatter::Formatter::build(s.clone()).await?;
            ready_ports.push(formatter.ops_port);
            self.ops_ports.insert("formatter", formatter.ops_port);
            let stop = self.cancel.child_token();
            self.push("formatter", stop.clone(), formatter.run_until_stopped(stop));
        }
        if services.ingress {
            let ingress = inlet_ingress::Ingress::build(s.clone()).await?;
            self.ingress_port = ingress.port;
            self.ingress_ops_port = ingress.ops_port;
            ready_ports.push(ingress.ops_port);
            self.ops_ports.insert("ingress", ingress.ops_port);
            let stop = self.cancel.child_token();
            self.push("ingress", stop.clone(), ingress.run_until_stopped(stop));
        }
        for port in ready_ports {
            self.wait_ready(port, Duration::from_secs(45)).await?;
        }
        Ok(())
    }

    fn push(
        &mut self,
        name: &'static str,
        stop: CancellationToken,
        service: impl std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    ) {
        let task = tokio::spawn(async move {
            if let Err(error) = service.await {
                eprintln!("{name} failed: {error:#}");
            }
        });
        self.tasks.push((name, stop, task));
    }

    /// Stops every running instance of `service` gracefully (what SIGTERM
    /// does) and waits for it to exit.
    pub async fn stop_service(&mut self, service: &str) {
        let (stopping, running): (Vec<_>, Vec<_>) = self
            .tasks
            .drain(..)
            .partition(|(name, _, _)| *name == service);
        self.tasks = running;
        for (_, stop, task) in stopping {
            stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        self.ops_ports.remove(service);
    }

    /// Kills the first started of the running instances of `service` (the
    /// active one of replicas that registered on the same shards): its task
    /// is dropped where it stands, as a crash would leave it. A worker's
    /// batch in hand is abandoned unacknowledged and its broker connection
    /// closes, so the broker hands the shards and the unacknowledged
    /// deliveries to the standby; an ingress's listeners stop at once,
    /// dropping requests in flight. It is no crash: connection tasks the
    /// service spawned may run on for a while (decisions.md 106), so worker
    /// replicas are killed as real processes in `crash.rs` of formatter
    /// and delivery (SIGKILL).
    pub async fn kill_first(&mut self, service: &str) {
        let Some(at) = self.tasks.iter().position(|(name, _, _)| *name == service) else {
            panic!("no {service} running");
        };
        let (_, stop, task) = self.tasks.remove(at);
        task.abort();
        let _ = task.await;
        // Anything it spawned off its stop token ends as well.
        stop.cancel();
    }

    /// Waits until a service's `/readyz` answers 200; the error says what
    /// it answered last.
    pub async fn wait_ready(&self, ops_port: u16, timeout: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let url = format!("http://127.0.0.1:{ops_port}/readyz");
        loop {
            let asked = self
                .http
                .get(&url)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            let last = match asked {
                Ok(response) if response.status() == 200 => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    format!("{status}: {}", response.text().await.unwrap_or_default())
                }
                Err(error) => error.to_string(),
            };
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!(
                    "service on ops port {ops_port} not ready within {timeout:?}; last answer: {last}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn ingress_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.ingress_port)
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.api_port)
    }

    /// POSTs JSON to the API as admin; fails the test unless 2xx.
    pub async fn api_post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(self.api_url(path))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    /// `method path` on the API as the admin, with a JSON body when given:
    /// the status and the JSON answered (`null` when there is none).
    pub async fn api_request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.api_url(path))
            .bearer_auth(&self.admin_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Adds `user_id` to `channel_id` as the admin, or removes them; fails
    /// the test unless `204`.
    pub async fn set_membership(&self, channel_id: &str, user_id: &str, member: bool) {
        let method = match member {
            true => reqwest::Method::PUT,
            false => reqwest::Method::DELETE,
        };
        let path = format!("/api/v1/channels/{channel_id}/members/{user_id}");
        let (status, answer) = self.api_request(method, &path, None).await;
        assert_eq!(status, 204, "{path}: {answer}");
    }

    /// Makes a webhook on `channel_id` owned by `owner_id` as the admin:
    /// the webhook as answered, with its token; fails the test unless 2xx.
    pub async fn create_webhook(&self, channel_id: &str, owner_id: &str) -> Value {
        let body = json!({"channel_id": channel_id, "owner_id": owner_id});
        self.api_post("/api/v1/webhooks", body).await.unwrap()
    }

    /// Changes a webhook as the admin (`PATCH /api/v1/webhooks/{id}`): the
    /// webhook as answered; fails the test unless `200`.
    pub async fn patch_webhook(&self, webhook_id: &str, changes: Value) -> Value {
        let path = format!("/api/v1/webhooks/{webhook_id}");
        let (status, answer) = self
            .api_request(reqwest::Method::PATCH, &path, Some(&changes))
            .await;
        assert_eq!(status, 200, "PATCH {path}: {answer}");
        answer
    }

    /// Makes a channel in `team_id` as the admin, with `fields` (`name`,
    /// `private`, …) beside the team; its id.
    pub async fn create_channel(&self, team_id: &str, mut fields: Value) -> String {
        fields["team_id"] = json!(team_id);
        let channel = self.api_post("/api/v1/channels", fields).await.unwrap();
        channel["id"].as_str().unwrap().to_string()
    }

    /// Makes a user `username` in `team_id` as the admin; its id.
    pub async fn create_user(&self, team_id: &str, username: &str) -> String {
        let body = json!({"team_id": team_id, "username": username});
        let user = self.api_post("/api/v1/users", body).await.unwrap();
        user["id"].as_str().unwrap().to_string()
    }

    /// `GET url` without a token: the JSON answered, whatever the status.
    pub async fn get_json(&self, url: &str) -> Value {
        let response = self.http.get(url).send().await.expect("an answer");
        response.json().await.expect("a JSON answer")
    }

    /// Archives a channel as the admin; fails the test unless 2xx.
    pub async fn archive_channel(&self, channel_id: &str) {
        let path = format!("/api/v1/channels/{channel_id}/archive");
        self.api_post(&path, json!({})).await.unwrap();
    }

    /// `GET path` on the API as the admin: the JSON of a 2xx answer.
    pub async fn api_get(&self, path: &str) -> anyhow::Result<Value> {
        let text = self.api_get_text(path).await?;
        Ok(serde_json::from_str(&text)?)
    }

    /// `GET path` on the API as the admin: the text of a 2xx answer.
    pub async fn api_get_text(&self, path: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .get(self.api_url(path))
            .bearer_auth(&self.admin_token)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "GET {path}: {status} {text}");
        Ok(text)
    }

    /// A team, an owner, a channel and a webhook, made through the API.
    pub async fn fixture(&self) -> anyhow::Result<Fixture> {
        let tag = crate::unique_tag();
        let team = self
            .api_post("/api/v1/teams", json!({"name": format!("team-{tag}")}))
            .await?;
        let team_id = team["id"].as_str().unwrap_or_default().to_string();
        let owner = self
            .api_post(
                "/api/v1/users",
                json!({"team_id": team_id, "username": "owner"}),
            )
            .await?;
        let channel = self
            .api_post(
                "/api/v1/channels",
                json!({"team_id": team_id, "name": "town-square"}),
            )
            .await?;
        let hook = self
            .api_post(
                "/api/v1/webhooks",
                json!({"channel_id": channel["id"], "owner_id": owner["id"], "display_name": "CI"}),
            )
            .await?;
        Ok(Fixture {
            team_id,
            channel_id: channel["id"].as_str().unwrap_or_default().to_string(),
            owner_id: owner["id"].as_str().unwrap_or_default().to_string(),
            webhook_id: hook["id"].as_str().unwrap_or_default().to_string(),
            token: hook["token"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// The Slack-dialect URL of the webhook `token`: `/hooks/{token}`.
    pub fn hook_url(&self, token: &str) -> String {
        self.ingress_url(&format!("/hooks/{token}"))
    }

    /// POSTs `body` with `headers` to the webhook `token`'s `/hooks/{token}`;
    /// fails the test when ingress cannot be reached.
    pub async fn post_hook(
        &self,
        token: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.hook_url(token));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let sent = request.body(body).send().await;
        sent.unwrap_or_else(|error| panic!("cannot reach ingress: {error}"))
    }

    /// Sends a Slack-dialect webhook.
    pub async fn post_slack(&self, token: &str, body: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .post(self.hook_url(token))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?)
    }

    /// Sends a Slack-dialect webhook and returns only the status.
    pub async fn slack_status(&self, token: &str, body: &str) -> u16 {
        match self.post_slack(token, body).await {
            Ok(response) => response.status().as_u16(),
            Err(error) => panic!("cannot reach ingress: {error}"),
        }
    }

    /// Waits (15 s at most) until the channel holds a post, and fails the
    /// test unless it is the only one; returns it.
    pub async fn wait_for_only_post(&self, channel_id: &str) -> Post {
        let posts = self.wait_for_posts(channel_id, 1, Duration::from_secs(15));
        let mut posts = posts.await.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(posts.len(), 1, "more posts than the one expected");
        posts.remove(0)
    }

    /// Waits until the channel holds at least `n` posts; returns them in seq order.
    pub async fn wait_for_posts(
        &self,
        channel_id: &str,
        n: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Post>> {
        let channel: uuid::Uuid = channel_id.parse()?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let posts = self.posts(channel).await?;
            if posts.len() >= n {
                return Ok(posts);
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("{} of {n} posts after {timeout:?}", posts.len());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Every post of a channel, in seq order.
    pub async fn posts(&self, channel: uuid::Uuid) -> anyhow::Result<Vec<Post>> {
        let client = self.pool.get().await?;
        Ok(inlet_store::repo::posts::list(&**client, channel, 0, 100_000).await?)
    }

    /// The posts of the channel whose id (as a fixture holds it) is
    /// `channel_id`; fails the test when they cannot be read.
    pub async fn posts_of(&self, channel_id: &str) -> Vec<Post> {
        let channel = channel_id.parse().expect("a channel id");
        self.posts(channel).await.expect("the channel's posts")
    }

    /// The seq up to which `channel`'s posts were published on Redis.
    pub async fn published_seq(&self, channel: uuid::Uuid) -> anyhow::Result<i64> {
        let client = self.pool.get().await?;
        let row = client
            .query_one(
                "SELECT published_seq FROM channels WHERE id = $1",
                &[&channel],
            )
            .await?;
        Ok(row.get(0))
    }

    /// The headers RabbitMQ adds to a message it dead-letters after its
    /// delivery limit on shard `shard` of `hop`'s queues.
    pub fn first_death_headers(&self, hop: inlet_bus::Hop, shard: u16) -> lapin::types::FieldTable {
        use lapin::types::{AMQPValue, FieldTable, LongString};
        let topology = inlet_bus::Topology::new(&self.settings.amqp);
        let text = |s: &str| AMQPValue::LongString(LongString::from(s));
        let mut headers = FieldTable::default();
        headers.insert(
            "x-first-death-queue".into(),
            text(&topology.queue(hop, shard)),
        );
        headers.insert("x-first-death-reason".into(), text("delivery_limit"));
        headers
    }

    /// A consumer of every shard of `hop`'s queues, as a service would open
    /// it (prefetch 16), for tests that play a service's part by hand.
    pub async fn consume_hop(
        &self,
        hop: inlet_bus::Hop,
        name: &str,
    ) -> anyhow::Result<inlet_bus::ConsumerSet> {
        let topology = inlet_bus::Topology::new(&self.settings.amqp);
        let shards = (0..self.settings.amqp.shards).collect::<Vec<_>>();
        let set = inlet_bus::ConsumerSet::open(
            &self.settings.amqp.url,
            name,
            &topology,
            hop,
            16,
            (shards, Vec::new()),
            Duration::ZERO,
        )
        .await?;
        Ok(set)
    }

    /// A service's `/metrics` text.
    pub async fn metrics(&self, service: &str) -> anyhow::Result<String> {
        let port = self
            .ops_ports
            .get(service)
            .ok_or_else(|| anyhow::anyhow!("{service} not started"))?;
        Ok(self
            .http
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await?
            .text()
            .await?)
    }

    /// Makes every service do some work (an accepted and a refused
    /// webhook, a published post), so that labelled metrics have series, and
    /// returns the metric names the four services export.
    pub async fn exported_metric_names(
        &self,
    ) -> anyhow::Result<std::collections::BTreeSet<String>> {
        let f = self.fixture().await?;
        anyhow::ensure!(
            self.slack_status(&f.token, r#"{"text":"x"}"#).await == 200,
            "webhook refused"
        );
        anyhow::ensure!(
            self.slack_status(&f.token, r#"{"text":""}"#).await == 400,
            "empty text accepted"
        );
        // Delivery counts after its commit: wait until it has published.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !self
            .metrics("delivery")
            .await?
            .contains("inlet_end_to_end_seconds_count")
        {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "delivery never published"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut names = std::collections::BTreeSet::new();
        for service in ["ingress", "formatter", "delivery", "api"] {
            let text = self.metrics(service).await?;
            let declared = text
                .lines()
                .filter_map(|l| l.strip_prefix("# HELP ").or(l.strip_prefix("# TYPE ")))
                .filter_map(|l| l.split_whitespace().next());
            names.extend(declared.map(str::to_string));
        }
        Ok(names)
    }

    /// Stops every service gracefully and removes the test's queues.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        for (_, _, task) in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        // Queues expire on their own (`amqp.queue_expires_ms`); see
        // `Topology::delete_exchanges` for why they are not deleted. Best
        // effort: a broker that does not answer does not hold the test.
        let _ =
            tokio::time::timeout(Duration::from_secs(10), delete_exchanges(&self.settings)).await;
    }
}

async fn delete_exchanges(settings: &Settings) {
    let topology = inlet_bus::Topology::new(&settings.amqp);
    if let Ok(connection) = inlet_bus::connect(&settings.amqp.url, "inlet-test-cleanup").await {
        if let Ok(channel) = connection.create_channel().await {
            let _ = topology.delete_exchanges(&channel).await;
        }
        let _ = connection.close(200, "cleanup".into()).await;
    }
}
