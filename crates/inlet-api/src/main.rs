//! inlet-api binary: `serve` (the default) or `migrate`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Inlet's management and read API.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML); else $INLET_CONFIG, else ./inlet.toml if present.
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,
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
    let result = run().await;
    // Buffered log lines are written out before the process exits.
    inlet_core::telemetry::flush_logs();
    result
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = inlet_core::Settings::load(args.config.as_deref())?;
    inlet_core::telemetry::init_tracing(&settings.telemetry);
    match args.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let applied = inlet_api::migrate(&settings).await?;
            println!("migrations applied: {applied}");
            Ok(())
        }
        Command::Serve => {
            inlet_core::memory::spawn_trimmer();
            let api = inlet_api::Api::build(settings).await?;
            tracing::info!(
                port = api.port,
                ops_port = api.ops_port,
                "inlet-api listening"
            );
            api.run_until_stopped(inlet_core::shutdown::on_signal())
                .await
        }
    }
}
