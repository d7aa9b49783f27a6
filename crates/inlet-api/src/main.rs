//! inlet-api binary: `serve` (the default) or `migrate`.

use clap::{Parser, Subcommand};
use inlet_core::service;

/// Inlet's management and read API.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: service::Options,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create the database if it is missing and apply pending migrations (idempotent).
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let command = args.command.unwrap_or(Command::Serve);
    service::with_settings(&args.service, |settings| async move {
        match command {
            Command::Serve => service::serve::<inlet_api::Api>(settings).await,
            Command::Migrate => {
                let applied = inlet_api::migrate(&settings).await?;
                println!("migrations applied: {applied}");
                Ok(())
            }
        }
    })
    .await
}
