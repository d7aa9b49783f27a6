//! inlet-delivery binary: load configuration, start, stop on SIGTERM.

use clap::Parser;
use std::path::PathBuf;

/// Inlet's delivery: formatted posts in, stored and published posts out.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (TOML); else $INLET_CONFIG, else ./inlet.toml if present.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
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
    inlet_core::memory::spawn_trimmer();
    let delivery = inlet_delivery::Delivery::build(settings).await?;
    tracing::info!(ops_port = delivery.ops_port, "inlet-delivery started");
    delivery
        .run_until_stopped(inlet_core::shutdown::on_signal())
        .await
}
