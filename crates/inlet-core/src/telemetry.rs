//! Logging and metrics set-up, in one place.
//!
//! Logs: `tracing`, JSON lines in containers, human-readable on a terminal.
//! Metrics: an explicit Prometheus `Registry` per process, handed to each
//! component's `Metrics::register` (no global registry).

use crate::settings::{LogFormat, TelemetrySettings};
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. A second call (tests) is a no-op.
pub fn init_tracing(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match settings.log_format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BufferedStdout::shared())
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Log lines go to stdout through one shared 64 KiB buffer, written out
/// when it fills and every 100 ms by a flusher thread: one `write` for many
/// lines instead of one per line (ingress logs every request). What is
/// still buffered when a process is killed (at most 100 ms of lines) is
/// lost; [`flush_logs`] writes it out on a normal exit.
#[derive(Clone)]
pub struct BufferedStdout {
    buffer: std::sync::Arc<std::sync::Mutex<std::io::BufWriter<std::io::Stdout>>>,
}

static LOG_BUFFER: std::sync::OnceLock<BufferedStdout> = std::sync::OnceLock::new();
const LOG_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

impl BufferedStdout {
    /// The process's one buffer, with its flusher thread started.
    pub fn shared() -> Self {
        LOG_BUFFER
            .get_or_init(|| {
                let writer = Self {
                    buffer: std::sync::Arc::new(std::sync::Mutex::new(
                        std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
                    )),
                };
                let flushed = writer.clone();
                let _ = std::thread::Builder::new()
                    .name("log-flusher".into())
                    .spawn(move || {
                        loop {
                            std::thread::sleep(LOG_FLUSH_INTERVAL);
                            flushed.flush_now();
                        }
                    });
                writer
            })
            .clone()
    }

    fn flush_now(&self) {
        use std::io::Write;
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = buffer.flush();
    }
}

/// Writes out buffered log lines (call before a process exits).
pub fn flush_logs() {
    if let Some(writer) = LOG_BUFFER.get() {
        writer.flush_now();
    }
}

/// One log line's access to the buffer.
pub struct BufferedLine<'a>(std::sync::MutexGuard<'a, std::io::BufWriter<std::io::Stdout>>);

impl std::io::Write for BufferedLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // The flusher thread writes out; a line does not force a syscall.
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BufferedStdout {
    type Writer = BufferedLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BufferedLine(self.buffer.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A registry with `inlet_build_info` already in it.
pub fn new_registry(service: &str) -> Registry {
    let registry = Registry::new();
    let info = IntGaugeVec::new(
        Opts::new(
            "inlet_build_info",
            "Build of the running service (always 1).",
        ),
        &["service", "version", "commit"],
    )
    .expect("static metric definition");
    info.with_label_values(&[
        service,
        env!("CARGO_PKG_VERSION"),
        option_env!("INLET_GIT_COMMIT").unwrap_or("unknown"),
    ])
    .set(1);
    registry
        .register(Box::new(info))
        .expect("first registration");
    // process_cpu_seconds_total, process_resident_memory_bytes, … (Linux).
    let process = prometheus::process_collector::ProcessCollector::for_self();
    if let Err(error) = registry.register(Box::new(process)) {
        tracing::warn!(%error, "process metrics unavailable");
    }
    registry
}

/// Latency buckets from 0.5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub fn counter(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let metric = IntCounter::new(name, help)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

pub fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
) -> prometheus::Result<Histogram> {
    let metric = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

pub fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let metric = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

/// `inlet_dead_lettered_total{stage, reason}`: messages a stage
/// dead-lettered, by reason; `stage` is a constant label of the service
/// (`formatter`, `delivery`), `reason` a bounded set chosen by it. The
/// `reasons` known in advance start at 0, so an alert on one of them sees
/// its series before the first dead letter.
pub fn dead_letters_counter(
    registry: &Registry,
    stage: &str,
    reasons: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let opts = Opts::new(
        "inlet_dead_lettered_total",
        "Messages dead-lettered, by stage and reason.",
    )
    .const_label("stage", stage);
    let metric = IntCounterVec::new(opts, &["reason"])?;
    for reason in reasons {
        metric.with_label_values(&[reason]);
    }
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

pub fn histogram_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> prometheus::Result<HistogramVec> {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    let metric = HistogramVec::new(opts, labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

pub fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let metric = IntGauge::new(name, help)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

pub fn gauge_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

/// Renders a registry in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    let encoder = prometheus::TextEncoder::new();
    if let Err(error) = encoder.encode_utf8(&registry.gather(), &mut out) {
        tracing::error!(%error, "cannot encode metrics");
    }
    out
}
