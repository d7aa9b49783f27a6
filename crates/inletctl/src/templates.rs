//! `inletctl webhook preview`, `template set`, `templates` and `rollback`:
//! a webhook's template (docs/templates.md) from the command line.

use crate::client::Api;
use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Args)]
pub struct PreviewArgs {
    id: String,
    /// A JSON file: the sample payload the template sees as `body`.
    #[arg(long)]
    payload: PathBuf,
    /// A JSON file `{"message": …, "topic"?: …}`: a template to try instead
    /// of the webhook's own (not saved).
    #[arg(long)]
    template: Option<PathBuf>,
}

#[derive(Args)]
pub struct SetTemplateArgs {
    id: String,
    /// A JSON file `{"message": …, "topic"?, "username"?, "icon_url"?,
    /// "case_id"?}`, each a template string.
    #[arg(long)]
    file: PathBuf,
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// Renders the template against the payload and shows the posts, or the
/// error with its position.
pub async fn preview(api: &Api, args: PreviewArgs) -> anyhow::Result<()> {
    let mut body = json!({ "payload": read_json(&args.payload)? });
    if let Some(path) = &args.template {
        body["template"] = read_json(path)?;
    }
    let v = api
        .post(&format!("/api/v1/webhooks/{}/preview", args.id), body)
        .await?;
    api.show(&v, preview_lines);
    Ok(())
}

fn preview_lines(v: &Value) -> String {
    let text = |key: &str| v[key].as_str().unwrap_or_default().to_string();
    match v["outcome"].as_str() {
        Some("posted") => {
            let mut out = String::new();
            for post in v["posts"].as_array().into_iter().flatten() {
                let thread = post["thread_key"]
                    .as_str()
                    .map(|k| format!(" in thread {k:?}"));
                out.push_str(&format!(
                    "post by {:?}{}:\n{}\n",
                    post["username"].as_str().unwrap_or_default(),
                    thread.unwrap_or_default(),
                    post["message"].as_str().unwrap_or_default()
                ));
            }
            out.trim_end().to_string()
        }
        Some("ignored") => format!("ignored: {}", text("reason")),
        _ => {
            let e = &v["error"];
            let at = match (
                e["field"].as_str(),
                e["line"].as_u64(),
                e["column"].as_u64(),
            ) {
                (Some(field), Some(line), Some(column)) => {
                    format!(" in {field} at line {line}, column {column}")
                }
                (Some(field), Some(line), None) => format!(" in {field} at line {line}"),
                (Some(field), _, _) => format!(" in {field}"),
                _ => String::new(),
            };
            format!(
                "refused ({} {}){at}: {}",
                v["status"],
                e["code"].as_str().unwrap_or_default(),
                e["detail"].as_str().unwrap_or_default()
            )
        }
    }
}

/// Saves a new version of the webhook's template.
pub async fn set(api: &Api, args: SetTemplateArgs) -> anyhow::Result<()> {
    let body = json!({ "template": read_json(&args.file)? });
    let path = format!("/api/v1/webhooks/{}", args.id);
    let v = api
        .send(api.request(reqwest::Method::PATCH, &path)?.json(&body))
        .await?;
    api.show(&v, |v| {
        format!("template version {} is active", v["template_version"])
    });
    Ok(())
}

/// Lists the saved versions, newest first.
pub async fn versions(api: &Api, id: &str) -> anyhow::Result<()> {
    let v = api.get(&format!("/api/v1/webhooks/{id}/templates")).await?;
    api.show(&v, |v| {
        let mut out = String::new();
        for version in v["versions"].as_array().into_iter().flatten() {
            let active = if version["active"].as_bool() == Some(true) {
                " (active)"
            } else {
                ""
            };
            out.push_str(&format!(
                "version {}{active}  {}\n",
                version["version"],
                version["created_at"].as_str().unwrap_or_default()
            ));
        }
        out.trim_end().to_string()
    });
    Ok(())
}

/// Makes an earlier version active again (the one before the active one
/// when none is named).
pub async fn roll_back(api: &Api, id: &str, version: Option<i32>) -> anyhow::Result<()> {
    let v = api
        .post(
            &format!("/api/v1/webhooks/{id}/templates/rollback"),
            json!({ "version": version }),
        )
        .await?;
    api.show(&v, |v| {
        format!("template version {} is active", v["template_version"])
    });
    Ok(())
}
