//! inlet-ingress binary: load configuration, start, stop on SIGTERM.

use clap::Parser;

/// Inlet's public webhook listener.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: inlet_core::service::Options,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    inlet_core::service::main::<inlet_ingress::Ingress>(Args::parse().service).await
}
