//! inlet-delivery binary: load configuration, start, stop on SIGTERM.

use clap::Parser;

/// Inlet's delivery: formatted posts in, stored and published posts out.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    service: inlet_core::service::Options,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    inlet_core::service::main::<inlet_delivery::Delivery>(Args::parse().service).await
}
