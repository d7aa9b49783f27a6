//! inlet-ingress binary: load configuration, start, stop on SIGTERM.

use clap::Parser;
use std::path::PathBuf;

/// Inlet's public webhook listener.
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
    let ingress = inlet_ingress::Ingress::build(settings).await?;
    tracing::info!(
        port = ingress.port,
        ops_port = ingress.ops_port,
        "inlet-ingress listening"
    );
    ingress
        .run_until_stopped(inlet_core::shutdown::on_signal())
        .await
}
