//! inletctl: the operator's command line, a thin client of inlet-api.

mod client;
mod commands;
mod deliveries;
mod templates;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Manage Inlet (teams, users, channels, webhooks) and watch channels.
///
/// Talks to inlet-api. The admin token comes from --token, else
/// $INLET_ADMIN_TOKEN, else the file .inlet/admin-token that scripts/up writes.
#[derive(Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Base URL of inlet-api.
    #[arg(
        long,
        global = true,
        env = "INLET_API_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    api: String,
    /// Admin (or read) token.
    #[arg(long, global = true, env = "INLET_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// File holding the token when --token and $INLET_ADMIN_TOKEN are absent.
    #[arg(long, global = true, default_value = ".inlet/admin-token")]
    token_file: PathBuf,
    /// Print the API's JSON instead of a summary.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Teams (tenants).
    #[command(subcommand)]
    Team(commands::TeamCommand),
    /// Users of a team.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Channels of a team.
    #[command(subcommand)]
    Channel(commands::ChannelCommand),
    /// Incoming webhooks: create (prints the URL to paste), list, rotate, revoke.
    #[command(subcommand)]
    Webhook(commands::WebhookCommand),
    /// Dead letters: list, show, replay, discard.
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(commands::DeadLetterCommand),
    /// List a channel's posts in order.
    Posts(commands::PostsArgs),
    /// Follow a channel live (posts appear as they are published).
    Tail(commands::TailArgs),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let token = cli.token.clone().or_else(|| {
        std::fs::read_to_string(&cli.token_file)
            .ok()
            .map(|t| t.trim().to_string())
    });
    let api = client::Api::new(&cli.api, token, cli.json);
    let result = match cli.command {
        Command::Team(c) => commands::team(&api, c).await,
        Command::User(c) => commands::user(&api, c).await,
        Command::Channel(c) => commands::channel(&api, c).await,
        Command::Webhook(c) => commands::webhook(&api, c).await,
        Command::DeadLetters(c) => commands::dead_letters(&api, c).await,
        Command::Posts(a) => commands::posts(&api, a).await,
        Command::Tail(a) => commands::tail(&api, a).await,
    };
    if let Err(error) = result {
        eprintln!("inletctl: {error:#}");
        std::process::exit(1);
    }
}
