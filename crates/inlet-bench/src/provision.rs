//! Provisioning through inlet-api, as an operator would: one team per run,
//! its owner, `C` channels and `W` webhooks spread over them.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use uuid::Uuid;

/// A webhook the load generator posts to.
#[derive(Clone, Debug)]
pub struct Hook {
    pub channel_id: Uuid,
    pub token: String,
}

pub struct Provisioned {
    pub channels: Vec<Uuid>,
    pub hooks: Vec<Hook>,
}

pub struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}: is the stack up (scripts/up)?"))?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST {path}: {status} {value}");
        }
        Ok(value)
    }

    pub async fn provision(
        &self,
        run: &str,
        channels: usize,
        hooks: usize,
    ) -> anyhow::Result<Provisioned> {
        let team = self
            .post(
                "/api/v1/teams",
                json!({"name": format!("bench-{run}"), "display_name": format!("Bench {run}")}),
            )
            .await?;
        let team_id = id(&team)?;
        let owner = self
            .post(
                "/api/v1/users",
                json!({"team_id": team_id, "username": "bench-owner"}),
            )
            .await?;
        let owner_id = id(&owner)?;
        let mut channel_ids = Vec::with_capacity(channels);
        for c in 0..channels {
            let channel = self
                .post(
                    "/api/v1/channels",
                    json!({"team_id": team_id, "name": format!("bench-{c}")}),
                )
                .await?;
            channel_ids.push(id(&channel)?);
        }
        let mut made = Vec::with_capacity(hooks);
        for w in 0..hooks {
            let channel_id = channel_ids[w % channels];
            let hook = self
                .post(
                    "/api/v1/webhooks",
                    json!({"channel_id": channel_id, "owner_id": owner_id, "display_name": format!("bench {w}"), "rate_per_minute": 60_000_000}),
                )
                .await?;
            let token = hook["token"]
                .as_str()
                .context("webhook without a token")?
                .to_string();
            made.push(Hook { channel_id, token });
        }
        Ok(Provisioned {
            channels: channel_ids,
            hooks: made,
        })
    }
}

fn id(value: &Value) -> anyhow::Result<Uuid> {
    value["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no id in {value}"))
}
