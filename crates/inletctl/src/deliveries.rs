//! `inletctl webhook deliveries` and `dry-run`: a webhook's delivery log,
//! one line per request (newest last), followed live with `--follow`.

use crate::client::Api;
use clap::Args;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Args)]
pub struct DeliveriesArgs {
    /// The webhook's id.
    id: String,
    /// Only the failures (refused, dead-lettered).
    #[arg(long)]
    failed: bool,
    /// Only this outcome (posted, in_flight, dead_lettered, rejected,
    /// filtered, unsupported, not_wanted, empty, repeat).
    #[arg(long)]
    outcome: Option<String>,
    /// How many of the most recent.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Keep watching: new requests, and the outcomes that arrive later.
    #[arg(long)]
    follow: bool,
}

fn path(args: &DeliveriesArgs) -> String {
    let mut path = format!(
        "/api/v1/webhooks/{}/deliveries?limit={}",
        args.id, args.limit
    );
    if args.failed {
        path.push_str("&failed=true");
    }
    if let Some(outcome) = &args.outcome {
        path.push_str(&format!("&outcome={outcome}"));
    }
    path
}

pub async fn deliveries(api: &Api, args: DeliveriesArgs) -> anyhow::Result<()> {
    let page = api.get(&path(&args)).await?;
    if !args.follow {
        api.show(&page, |page| {
            let mut lines: Vec<String> = entries(page).iter().map(line).collect();
            lines.reverse();
            if lines.is_empty() {
                "no requests logged".into()
            } else {
                lines.join("\n")
            }
        });
        return Ok(());
    }
    // Each request once, then again when its outcome changes (in flight,
    // then posted or dead-lettered).
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut page = page;
    eprintln!("following webhook {} (Ctrl-C to stop)", args.id);
    loop {
        for entry in entries(&page).iter().rev() {
            let id = entry["request_id"].as_str().unwrap_or_default().to_string();
            let outcome = entry["outcome"].as_str().unwrap_or_default().to_string();
            if seen.get(&id) != Some(&outcome) {
                if api.json {
                    println!("{entry}");
                } else {
                    println!("{}", line(entry));
                }
                seen.insert(id, outcome);
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        page = match api.get(&path(&args)).await {
            Ok(page) => page,
            Err(error) => {
                eprintln!("{error:#}; retrying");
                json!({"deliveries": []})
            }
        };
    }
}

fn entries(page: &Value) -> Vec<Value> {
    page["deliveries"].as_array().cloned().unwrap_or_default()
}

/// `<time> <status> <translator[/event]> <outcome> <request id> <what>`.
fn line(entry: &Value) -> String {
    let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
    let mut translator = text("translator");
    if !text("event").is_empty() {
        translator = format!("{translator}/{}", text("event"));
    }
    let what = match text("outcome").as_str() {
        "posted" => {
            let posts = entry["posts"].as_array().cloned().unwrap_or_default();
            let seqs: Vec<String> = posts.iter().map(|p| p["seq"].to_string()).collect();
            format!("{} post(s), seq {}", posts.len(), seqs.join(","))
        }
        "dead_lettered" => format!(
            "{}: {} (dead letter {})",
            text("code"),
            text("detail"),
            text("dead_letter_id")
        ),
        "rejected" => format!("{}: {}", text("code"), text("detail")),
        _ => text("detail"),
    };
    format!(
        "{}  {}  {:<28} {:<13} {}  {}",
        text("at"),
        entry["status"],
        translator,
        text("outcome"),
        text("request_id"),
        what
    )
}

/// Runs a logged request's kept body through its translator again.
pub async fn dry_run(api: &Api, id: &str, request_id: &str) -> anyhow::Result<()> {
    let answer = api
        .post(
            &format!("/api/v1/webhooks/{id}/deliveries/{request_id}/dry-run"),
            json!({}),
        )
        .await?;
    api.show(&answer, |answer| match answer["result"].as_str() {
        Some("posts") => entries_of(answer),
        _ => format!(
            "{}: {} {}",
            answer["result"].as_str().unwrap_or_default(),
            answer["code"].as_str().unwrap_or_default(),
            answer["detail"].as_str().unwrap_or_default()
        ),
    });
    Ok(())
}

fn entries_of(answer: &Value) -> String {
    let posts = answer["posts"].as_array().cloned().unwrap_or_default();
    posts
        .iter()
        .map(|post| {
            format!(
                "[{}] {}",
                post["username"].as_str().unwrap_or_default(),
                post["message"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_what_became_of_the_request() {
        let posted = json!({"at": "2026-12-07T07:00:00Z", "status": 200, "translator": "integration/github",
            "event": "push", "outcome": "posted", "request_id": "r1", "posts": [{"seq": 4}, {"seq": 5}]});
        let line = line(&posted);
        assert!(line.contains("integration/github/push"), "{line}");
        assert!(line.contains("2 post(s), seq 4,5"), "{line}");
        let dead = json!({"status": 200, "outcome": "dead_lettered", "code": "channel_is_archived",
            "detail": "archived", "dead_letter_id": "d1", "request_id": "r2", "translator": "slack"});
        assert!(line_of(&dead).contains("channel_is_archived: archived (dead letter d1)"));
    }

    fn line_of(entry: &Value) -> String {
        line(entry)
    }
}
