//! A service binary's whole life, the same for the four of them: read the
//! configuration, start the logs, build the service (listeners bound), run
//! it until SIGTERM or Ctrl-C, and write out buffered log lines however it
//! ended. Each `main.rs` only names its service.

use crate::Settings;
use std::future::Future;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// The options every service binary takes.
#[derive(clap::Args, Debug)]
pub struct Options {
    /// Configuration file (TOML); else $INLET_CONFIG, else ./inlet.toml if present.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
}

/// The ports a built service listens on, for its start-up log line.
pub struct Listening {
    /// The public listener, for services that have one.
    pub port: Option<u16>,
    /// `/metrics`, `/healthz`, `/readyz`.
    pub ops_port: u16,
}

/// What a service library gives its binary (style.md rule 2).
pub trait Service: Sized {
    /// The process name in logs (`inlet-ingress`).
    const NAME: &'static str;
    fn build(settings: Settings) -> impl Future<Output = anyhow::Result<Self>>;
    fn listening(&self) -> Listening;
    fn run_until_stopped(self, stop: CancellationToken)
    -> impl Future<Output = anyhow::Result<()>>;
}

/// Loads the configuration and starts the logs, then runs `body` and flushes
/// the logs whatever it returned.
pub async fn with_settings<F, Fut>(options: &Options, body: F) -> anyhow::Result<()>
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let result = async {
        let settings = Settings::load(options.config.as_deref())?;
        crate::telemetry::init_tracing(&settings.telemetry);
        body(settings).await
    }
    .await;
    // Buffered log lines are written out before the process exits.
    crate::telemetry::flush_logs();
    result
}

/// Builds `S` and runs it until the process is told to stop.
pub async fn serve<S: Service>(settings: Settings) -> anyhow::Result<()> {
    crate::memory::spawn_trimmer();
    let service = S::build(settings).await?;
    let Listening { port, ops_port } = service.listening();
    match port {
        Some(port) => tracing::info!(port, ops_port, "{} listening", S::NAME),
        None => tracing::info!(ops_port, "{} started", S::NAME),
    }
    service
        .run_until_stopped(crate::shutdown::on_signal())
        .await
}

/// The `main` of a service binary that does nothing but serve.
pub async fn main<S: Service>(options: Options) -> anyhow::Result<()> {
    with_settings(&options, serve::<S>).await
}

/// Implements [`Service`] for a service type whose inherent `build`,
/// `run_until_stopped` and `ops_port` (and `port`, with `listens`) are the
/// real ones: `inlet_core::service!(Ingress, "inlet-ingress", listens)`.
#[macro_export]
macro_rules! service {
    ($service:ty, $name:literal) => {
        $crate::service!(@impl $service, $name, |_s: &$service| None);
    };
    ($service:ty, $name:literal, listens) => {
        $crate::service!(@impl $service, $name, |s: &$service| Some(s.port));
    };
    (@impl $service:ty, $name:literal, $port:expr) => {
        impl $crate::service::Service for $service {
            const NAME: &'static str = $name;

            async fn build(settings: $crate::Settings) -> anyhow::Result<Self> {
                <$service>::build(settings).await
            }

            fn listening(&self) -> $crate::service::Listening {
                $crate::service::Listening {
                    port: ($port)(self),
                    ops_port: self.ops_port,
                }
            }

            async fn run_until_stopped(
                self,
                stop: tokio_util::sync::CancellationToken,
            ) -> anyhow::Result<()> {
                <$service>::run_until_stopped(self, stop).await
            }
        }
    };
}

/// The whole `main.rs` of a service binary that only serves:
/// `inlet_core::service_main!(inlet_ingress::Ingress);`. Its `--help`
/// text is the crate's description.
#[macro_export]
macro_rules! service_main {
    ($service:ty) => {
        #[derive(clap::Parser)]
        #[command(version, about)]
        struct Args {
            #[command(flatten)]
            service: $crate::service::Options,
        }

        #[tokio::main]
        async fn main() -> anyhow::Result<()> {
            let args = <Args as clap::Parser>::parse();
            $crate::service::main::<$service>(args.service).await
        }
    };
}
