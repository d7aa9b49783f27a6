//! The HTTP client of inlet-api: bearer token, JSON in and out, API errors
//! turned into readable messages.

use anyhow::{Context, bail};
use serde_json::Value;

pub struct Api {
    base: String,
    token: Option<String>,
    pub json: bool,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, token: Option<String>, json: bool) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token,
            json,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        let token = self
            .token
            .as_deref()
            .context("no token: pass --token, set INLET_ADMIN_TOKEN, or run scripts/up (it writes .inlet/admin-token)")?;
        Ok(self.http.request(method, self.url(path)).bearer_auth(token))
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = builder
            .send()
            .await
            .with_context(|| format!("cannot reach inlet-api at {}", self.base))?;
        let status = response.status();
        let body: Value = if status == reqwest::StatusCode::NO_CONTENT {
            Value::Null
        } else {
            response.json().await.unwrap_or(Value::Null)
        };
        if !status.is_success() {
            let detail = body["detail"].as_str().unwrap_or("no detail");
            bail!("{status}: {detail}");
        }
        Ok(body)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.request(reqwest::Method::GET, path)?).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.request(reqwest::Method::POST, path)?.json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.request(reqwest::Method::DELETE, path)?)
            .await
    }

    /// Prints the JSON when --json was given, else the summary line(s).
    pub fn show(&self, value: &Value, summary: impl FnOnce(&Value) -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", summary(value));
        }
    }

    /// Accepts a team id or a team name.
    pub async fn team_id(&self, team: &str) -> anyhow::Result<String> {
        if uuid_like(team) {
            return Ok(team.to_string());
        }
        let teams = self.get("/api/v1/teams").await?;
        teams["teams"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["name"] == team)
            .and_then(|t| t["id"].as_str().map(str::to_string))
            .with_context(|| format!("no team named {team:?}"))
    }
}

pub fn uuid_like(raw: &str) -> bool {
    raw.len() == 36 && raw.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}
