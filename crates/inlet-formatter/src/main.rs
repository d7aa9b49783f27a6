//! inlet-formatter binary: load configuration, start, stop on SIGTERM.

use clap::Parser;

/// Inlet's formatter: raw webhooks in, formatted posts out.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: inlet_core::service::Options,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    inlet_core::service::main::<inlet_formatter::Formatter>(Args::parse().service).await
}
