//! The subcommands.

use crate::client::Api;
use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Create {
        /// URL name: a-z, 0-9, '.', '_', '-'.
        name: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List teams.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (e.g. a webhook owner).
    Create {
        /// Team id or name.
        #[arg(long)]
        team: String,
        username: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List a team's users.
    List {
        #[arg(long)]
        team: String,
    },
}

#[derive(Subcommand)]
pub enum ChannelCommand {
    /// Create a channel.
    Create {
        /// Team id or name.
        #[arg(long)]
        team: String,
        /// URL name: a-z, 0-9, '.', '_', '-'.
        name: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Only members can see it; webhooks post there only if their owner is a member.
        #[arg(long)]
        private: bool,
    },
    /// List a team's channels.
    List {
        #[arg(long)]
        team: String,
    },
    /// Archive a channel: webhooks targeting it get 410 channel_is_archived.
    Archive { id: String },
    /// Add a user to a channel (needed for webhooks to post into a private channel).
    AddMember {
        /// Channel id.
        channel: String,
        /// User id.
        user: String,
    },
    /// Remove a user from a channel.
    RemoveMember { channel: String, user: String },
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Create a webhook and print its URL (the token is shown only now).
    Create(CreateWebhook),
    /// List a team's webhooks (never their tokens).
    List {
        #[arg(long)]
        team: String,
    },
    /// Change a webhook's settings; only the options given change.
    Update(UpdateWebhook),
    /// Replace a webhook's token; the old one stops working at once.
    Rotate { id: String },
    /// Revoke a webhook; its token stops working at once.
    Revoke { id: String },
    /// A webhook's recent requests and what became of each.
    Deliveries(crate::deliveries::DeliveriesArgs),
    /// Run a logged request's kept body through its translator again
    /// (the webhook must keep bodies); nothing is posted.
    DryRun { id: String, request_id: String },
    /// Render the webhook's template (or one given) against a sample
    /// payload: the posts it would make, or the error with its position.
    Preview(crate::templates::PreviewArgs),
    /// Save a new version of the webhook's template (docs/templates.md).
    SetTemplate(crate::templates::SetTemplateArgs),
    /// The saved versions of the webhook's template.
    Templates { id: String },
    /// Make an earlier template version active again (by default the one
    /// before the active one).
    Rollback {
        id: String,
        #[arg(long)]
        version: Option<i32>,
    },
}

#[derive(Args)]
pub struct CreateWebhook {
    /// The channel it posts to by default.
    #[arg(long)]
    channel: String,
    /// The user that owns it (direct messages go from this user).
    #[arg(long)]
    owner: String,
    #[arg(long, default_value = "Incoming Webhook")]
    display_name: String,
    #[arg(long, default_value = "")]
    description: String,
    /// Author name shown on posts unless the payload overrides it.
    #[arg(long)]
    username: Option<String>,
    /// Author icon (http/https) unless the payload overrides it.
    #[arg(long)]
    icon_url: Option<String>,
    /// Refuse payloads that name another channel.
    #[arg(long)]
    locked: bool,
    /// Ignore the payload's `username`.
    #[arg(long)]
    no_username_override: bool,
    /// Ignore the payload's `icon_url`/`icon_emoji`.
    #[arg(long)]
    no_icon_override: bool,
}

#[derive(Args)]
pub struct UpdateWebhook {
    id: String,
    #[arg(long)]
    display_name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// Default author name ("" clears it).
    #[arg(long)]
    username: Option<String>,
    /// Default author icon ("" clears it).
    #[arg(long)]
    icon_url: Option<String>,
    /// Refuse payloads that name another channel.
    #[arg(long)]
    locked: Option<bool>,
    /// Let payloads set the author name.
    #[arg(long)]
    allow_username_override: Option<bool>,
    /// Let payloads set the author icon.
    #[arg(long)]
    allow_icon_override: Option<bool>,
    /// Let @channel, @here and @all notify (otherwise they are neutralised).
    #[arg(long)]
    allow_channel_mentions: Option<bool>,
    /// "markdown" (Mattermost) or "slack" (also *bold*, _italic_, ~strike~).
    #[arg(long)]
    markup: Option<String>,
    /// Keep request bodies in the delivery log (capped, the token cut out).
    #[arg(long)]
    keep_bodies: Option<bool>,
    /// false: the token answers no_service until enabled again.
    #[arg(long)]
    enabled: Option<bool>,
}

#[derive(Args)]
pub struct PostsArgs {
    /// Channel id.
    #[arg(long)]
    channel: String,
    /// Only posts after this seq.
    #[arg(long, default_value_t = 0)]
    after_seq: i64,
    #[arg(long, default_value_t = 100)]
    limit: i64,
}

#[derive(Args)]
pub struct TailArgs {
    /// Channel id.
    #[arg(long)]
    channel: String,
    /// Replay posts after this seq first (default: only new posts).
    #[arg(long)]
    after_seq: Option<i64>,
}

fn id_line(v: &Value, kind: &str, name_key: &str) -> String {
    format!(
        "{kind} {} {}",
        v["id"].as_str().unwrap_or("?"),
        v[name_key].as_str().unwrap_or("")
    )
}

fn list_lines(v: &Value, key: &str, kind: &str, name_key: &str) -> String {
    let lines: Vec<String> = v[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| id_line(item, kind, name_key))
        .collect();
    if lines.is_empty() {
        format!("no {key}")
    } else {
        lines.join("\n")
    }
}

/// One line per webhook, with when it was last used ("never" before its
/// first request).
fn webhook_lines(v: &Value) -> String {
    let lines: Vec<String> = v["webhooks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|hook| {
            let last_used = hook["last_used_at"].as_str().unwrap_or("never");
            format!(
                "{}  last used {last_used}",
                id_line(hook, "webhook", "display_name")
            )
        })
        .collect();
    if lines.is_empty() {
        "no webhooks".into()
    } else {
        lines.join("\n")
    }
}

pub async fn team(api: &Api, command: TeamCommand) -> anyhow::Result<()> {
    match command {
        TeamCommand::Create { name, display_name } => {
            let v = api
                .post(
                    "/api/v1/teams",
                    json!({"name": name, "display_name": display_name}),
                )
                .await?;
            api.show(&v, |v| id_line(v, "team", "name"));
        }
        TeamCommand::List => {
            let v = api.get("/api/v1/teams").await?;
            api.show(&v, |v| list_lines(v, "teams", "team", "name"));
        }
    }
    Ok(())
}

pub async fn user(api: &Api, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            team,
            username,
            display_name,
        } => {
            let team_id = api.team_id(&team).await?;
            let body =
                json!({"team_id": team_id, "username": username, "display_name": display_name});
            let v = api.post("/api/v1/users", body).await?;
            api.show(&v, |v| id_line(v, "user", "username"));
        }
        UserCommand::List { team } => {
            let team_id = api.team_id(&team).await?;
            let v = api.get(&format!("/api/v1/users?team_id={team_id}")).await?;
            api.show(&v, |v| list_lines(v, "users", "user", "username"));
        }
    }
    Ok(())
}

pub async fn channel(api: &Api, command: ChannelCommand) -> anyhow::Result<()> {
    match command {
        ChannelCommand::Create {
            team,
            name,
            display_name,
            private,
        } => {
            let team_id = api.team_id(&team).await?;
            let body = json!({"team_id": team_id, "name": name, "display_name": display_name, "private": private});
            let v = api.post("/api/v1/channels", body).await?;
            api.show(&v, |v| id_line(v, "channel", "name"));
        }
        ChannelCommand::List { team } => {
            let team_id = api.team_id(&team).await?;
            let v = api
                .get(&format!("/api/v1/channels?team_id={team_id}"))
                .await?;
            api.show(&v, |v| list_lines(v, "channels", "channel", "name"));
        }
        ChannelCommand::AddMember { channel, user } => {
            let path = format!("/api/v1/channels/{channel}/members/{user}");
            api.send(api.request(reqwest::Method::PUT, &path)?).await?;
            println!("user {user} is a member of channel {channel}");
        }
        ChannelCommand::RemoveMember { channel, user } => {
            let path = format!("/api/v1/channels/{channel}/members/{user}");
            api.send(api.request(reqwest::Method::DELETE, &path)?)
                .await?;
            println!("user {user} is no longer a member of channel {channel}");
        }
        ChannelCommand::Archive { id } => {
            let v = api
                .post(&format!("/api/v1/channels/{id}/archive"), json!({}))
                .await?;
            api.show(&v, |v| {
                format!("archived {}", id_line(v, "channel", "name"))
            });
        }
    }
    Ok(())
}

pub async fn webhook(api: &Api, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::Create(a) => {
            let body = json!({
                "channel_id": a.channel, "owner_id": a.owner, "display_name": a.display_name,
                "description": a.description, "username": a.username, "icon_url": a.icon_url,
                "channel_locked": a.locked, "allow_username_override": !a.no_username_override,
                "allow_icon_override": !a.no_icon_override,
            });
            let v = api.post("/api/v1/webhooks", body).await?;
            api.show(&v, show_token);
        }
        WebhookCommand::List { team } => {
            let team_id = api.team_id(&team).await?;
            let v = api
                .get(&format!("/api/v1/webhooks?team_id={team_id}"))
                .await?;
            api.show(&v, webhook_lines);
        }
        WebhookCommand::Update(a) => {
            let body = json!({
                "display_name": a.display_name, "description": a.description, "username": a.username,
                "icon_url": a.icon_url, "channel_locked": a.locked,
                "allow_username_override": a.allow_username_override, "allow_icon_override": a.allow_icon_override,
                "allow_channel_mentions": a.allow_channel_mentions, "markup": a.markup, "enabled": a.enabled,
                "keep_bodies": a.keep_bodies,
            });
            let path = format!("/api/v1/webhooks/{}", a.id);
            let v = api
                .send(api.request(reqwest::Method::PATCH, &path)?.json(&body))
                .await?;
            api.show(&v, |v| {
                format!("updated {}", id_line(v, "webhook", "display_name"))
            });
        }
        WebhookCommand::Rotate { id } => {
            let v = api
                .post(&format!("/api/v1/webhooks/{id}/rotate"), json!({}))
                .await?;
            api.show(&v, show_token);
        }
        WebhookCommand::Revoke { id } => {
            let v = api.delete(&format!("/api/v1/webhooks/{id}")).await?;
            api.show(&v, |v| {
                format!("revoked {}", id_line(v, "webhook", "display_name"))
            });
        }
        WebhookCommand::Deliveries(args) => crate::deliveries::deliveries(api, args).await?,
        WebhookCommand::DryRun { id, request_id } => {
            crate::deliveries::dry_run(api, &id, &request_id).await?
        }
        WebhookCommand::Preview(args) => crate::templates::preview(api, args).await?,
        WebhookCommand::SetTemplate(args) => crate::templates::set(api, args).await?,
        WebhookCommand::Templates { id } => crate::templates::versions(api, &id).await?,
        WebhookCommand::Rollback { id, version } => {
            crate::templates::roll_back(api, &id, version).await?
        }
    }
    Ok(())
}

fn show_token(v: &Value) -> String {
    let mut out = format!("{}\n", id_line(v, "webhook", "display_name"));
    out.push_str("The token is shown only now. URLs to paste:\n");
    if let Some(urls) = v["urls"].as_object() {
        for (dialect, url) in urls {
            if let Some(url) = url.as_str() {
                out.push_str(&format!("  {dialect:<14} {url}\n"));
            }
        }
        for (name, url) in v["urls"]["integrations"].as_object().into_iter().flatten() {
            out.push_str(&format!(
                "  {:<14} {}\n",
                format!("{name} (vendor)"),
                url.as_str().unwrap_or("")
            ));
        }
    }
    out.trim_end().to_string()
}

fn post_line(post: &Value) -> String {
    format!(
        "[{}] {} {}: {}",
        post["seq"],
        post["created_at"].as_str().unwrap_or(""),
        post["username"].as_str().unwrap_or(""),
        post["message"].as_str().unwrap_or("")
    )
}

pub async fn posts(api: &Api, args: PostsArgs) -> anyhow::Result<()> {
    let path = format!(
        "/api/v1/channels/{}/posts?after_seq={}&limit={}",
        args.channel, args.after_seq, args.limit
    );
    let v = api.get(&path).await?;
    api.show(&v, |v| {
        let lines: Vec<String> = v["posts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(post_line)
            .collect();
        if lines.is_empty() {
            "no posts".into()
        } else {
            lines.join("\n")
        }
    });
    Ok(())
}

/// Follows the channel's event stream; reconnects with `Last-Event-ID`
/// after a network blip, so nothing is missed or shown twice.
pub async fn tail(api: &Api, args: TailArgs) -> anyhow::Result<()> {
    let mut last = args.after_seq;
    let mut connected_once = false;
    loop {
        let mut request = api.request(
            reqwest::Method::GET,
            &format!("/api/v1/channels/{}/events", args.channel),
        )?;
        if let Some(seq) = last {
            request = request.header("Last-Event-ID", seq.to_string());
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            // A restart or a network blip: keep trying, resume from `last`.
            Err(error) if connected_once => {
                eprintln!("cannot reach inlet-api ({error}); retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            Err(error) => return Err(error).context("cannot reach inlet-api"),
        };
        if !response.status().is_success() {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            anyhow::bail!(
                "{}",
                body["detail"].as_str().unwrap_or("the stream was refused")
            );
        }
        connected_once = true;
        eprintln!("following channel {} (Ctrl-C to stop)", args.channel);
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if let Some(seq) = print_event(api, &event) {
                    last = Some(seq);
                }
            }
        }
        eprintln!("stream interrupted; reconnecting");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Prints a `posted` event; returns the event's id (the seq to resume after).
fn print_event(api: &Api, event: &str) -> Option<i64> {
    let seq = event
        .lines()
        .find_map(|l| l.strip_prefix("id: "))?
        .parse()
        .ok()?;
    if !event.lines().any(|l| l == "event: posted") {
        return Some(seq);
    }
    let data = event.lines().find_map(|l| l.strip_prefix("data: "))?;
    if api.json {
        println!("{data}");
    } else if let Ok(post) = serde_json::from_str::<Value>(data) {
        println!("{}", post_line(&post));
    }
    Some(seq)
}

#[derive(Subcommand)]
pub enum DeadLetterCommand {
    /// Dead letters neither replayed nor discarded, oldest first.
    List,
    /// One dead letter: its reason and the message it holds.
    Show { id: String },
    /// Publish its message again where it failed (it cannot post twice).
    Replay { id: String },
    /// Close it without replaying.
    Discard { id: String },
}

fn dead_letter_line(v: &Value) -> String {
    format!(
        "{}  {}  {}  {}: {}",
        v["id"].as_str().unwrap_or("?"),
        v["created_at"].as_str().unwrap_or("?"),
        v["stage"].as_str().unwrap_or("?"),
        v["reason"].as_str().unwrap_or("?"),
        v["detail"].as_str().unwrap_or("")
    )
}

pub async fn dead_letters(api: &Api, command: DeadLetterCommand) -> anyhow::Result<()> {
    match command {
        DeadLetterCommand::List => {
            let v = api.get("/api/v1/dead-letters").await?;
            api.show(&v, |v| {
                let letters = v["dead_letters"].as_array().cloned().unwrap_or_default();
                if letters.is_empty() {
                    return "no open dead letters".into();
                }
                letters
                    .iter()
                    .map(dead_letter_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        DeadLetterCommand::Show { id } => {
            let v = api.get(&format!("/api/v1/dead-letters/{id}")).await?;
            api.show(&v, |v| {
                format!(
                    "{}\nstate: {}\nmessage id: {}\nmessage: {}",
                    dead_letter_line(v),
                    v["state"].as_str().unwrap_or("?"),
                    v["message_id"].as_str().unwrap_or("?"),
                    serde_json::to_string_pretty(&v["message"]).unwrap_or_default()
                )
            });
        }
        DeadLetterCommand::Replay { id } => {
            let v = api
                .post(&format!("/api/v1/dead-letters/{id}/replay"), json!({}))
                .await?;
            api.show(&v, |v| {
                format!(
                    "replayed {} (message {}) onto the {} hop",
                    v["id"].as_str().unwrap_or("?"),
                    v["message_id"].as_str().unwrap_or("?"),
                    v["hop"].as_str().unwrap_or("?")
                )
            });
        }
        DeadLetterCommand::Discard { id } => {
            api.delete(&format!("/api/v1/dead-letters/{id}")).await?;
            api.show(&json!({"discarded": id}), |_| format!("discarded {id}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_lines_show_when_each_was_last_used() {
        let answer = json!({"webhooks": [
            {"id": "a", "display_name": "CI", "last_used_at": "2025-01-02T03:04:05Z"},
            {"id": "b", "display_name": "Alerts", "last_used_at": null},
        ]});
        assert_eq!(
            webhook_lines(&answer),
            "webhook a CI  last used 2025-01-02T03:04:05Z\nwebhook b Alerts  last used never"
        );
        assert_eq!(webhook_lines(&json!({"webhooks": []})), "no webhooks");
    }
}
