//! `inlet-bench`: the pipeline's throughput and latency beside the ceilings
//! of the same machine, measured in one run (performance.md). It needs the
//! stack up (`scripts/up`); `scripts/bench` does both.

mod ceilings;
mod http;
mod load;
mod mixes;
mod observe;
mod pacer;
mod procs;
mod provision;
mod report;

use anyhow::Context;
use clap::Parser;
use load::{ACCEPTED, Ledger, Pace, Phase};
use mixes::{Generator, LANES_PER_HOOK, Mix};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "inlet-bench",
    about = "Measures the pipeline beside the machine's ceilings"
)]
pub struct Args {
    /// A short run (under two minutes with the stack built): the `mixed` mix only, short phases.
    #[arg(long)]
    quick: bool,
    /// Mixes to run (repeatable). Default: `mixed` with --quick, every mix otherwise.
    #[arg(long = "mix", value_enum)]
    mixes: Vec<Mix>,
    /// Ingress address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    ingress: SocketAddr,
    /// inlet-api base URL.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    api: String,
    /// File holding an admin token.
    #[arg(long, default_value = ".inlet/admin-token")]
    token_file: PathBuf,
    /// Directory of the services' pid files (from scripts/up).
    #[arg(long, default_value = ".inlet/run")]
    run_dir: PathBuf,
    /// Where the JSON report goes.
    #[arg(long, default_value = ".inlet/bench/latest.json")]
    out: PathBuf,
    /// HTTP connections of the load generator (and concurrency of the
    /// ceilings). An open-loop phase can offer at most this many requests
    /// per ingress latency.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Offered rate of the latency phase, messages per second.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Channels per mix.
    #[arg(long, default_value_t = 16)]
    channels: usize,
    /// Webhooks per mix, spread over the channels.
    #[arg(long, default_value_t = 32)]
    hooks: usize,
}

struct Durations {
    ceiling: Duration,
    /// Sent after provisioning and before measuring: the first requests of
    /// new webhooks fill caches and connection pools.
    warmup: Duration,
    open: Duration,
    closed: Duration,
    trial: Duration,
    trials: usize,
}

impl Args {
    fn durations(&self) -> Durations {
        if self.quick {
            Durations {
                ceiling: Duration::from_secs(2),
                warmup: Duration::from_secs(3),
                open: Duration::from_secs(10),
                closed: Duration::from_secs(10),
                trial: Duration::from_secs(8),
                trials: 3,
            }
        } else {
            Durations {
                ceiling: Duration::from_secs(5),
                warmup: Duration::from_secs(4),
                open: Duration::from_secs(20),
                closed: Duration::from_secs(20),
                trial: Duration::from_secs(15),
                trials: 5,
            }
        }
    }

    fn mixes(&self) -> Vec<Mix> {
        if !self.mixes.is_empty() {
            self.mixes.clone()
        } else if self.quick {
            vec![Mix::Mixed]
        } else {
            vec![
                Mix::Mixed,
                Mix::Slack,
                Mix::SlackAttachments,
                Mix::GithubPush,
                Mix::TalkspiritThreads,
                Mix::EmakinCases,
            ]
        }
    }
}

/// A random-enough run id: the marker prefix of this run's messages.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}",
        (nanos ^ u128::from(std::process::id()) << 40) & 0xff_ffff_ffff
    )
}

/// The outcome of one paced phase.
pub struct PhaseResult {
    pub ledger: Arc<Ledger>,
    pub receipts: observe::Receipts,
    pub check: observe::Check,
    pub duration: Duration,
    /// Received on Redis by the end of sending.
    pub received_at_end: u64,
    /// Each process's memory and CPU from the start of sending until every
    /// accepted message was delivered (the verification not included).
    pub usage: std::collections::BTreeMap<String, procs::Usage>,
}

struct Bench {
    args: Args,
    settings: inlet_core::Settings,
    api: provision::Api,
}

impl Bench {
    async fn phase(
        &self,
        run: &str,
        pace: Pace,
        duration: Duration,
        provisioned: &provision::Provisioned,
        generators: &mut Vec<Generator>,
    ) -> anyhow::Result<PhaseResult> {
        let capacity = match pace {
            Pace::Open { rate } => (rate * duration.as_secs_f64()).ceil() as usize + 1,
            Pace::Closed => (40_000.0 * duration.as_secs_f64()) as usize,
        };
        let start = Instant::now() + Duration::from_millis(200);
        let ledger = Arc::new(Ledger::new(capacity, start));
        let listener = observe::Listener::start(
            &self.settings.redis.url,
            &self.settings.redis.prefix,
            run,
            start,
        )
        .await?;
        tokio::time::sleep_until(start.into()).await;
        let sampler = procs::Sampler::start(procs::pids(&self.args.run_dir));
        *generators = load::run(
            Phase {
                run: run.to_string(),
                pace,
                duration,
                address: self.args.ingress,
            },
            ledger.clone(),
            std::mem::take(generators),
        )
        .await?;
        let received_at_end = listener.received.load(Ordering::Relaxed);
        let accepted = (0..ledger.capacity())
            .filter(|&n| ledger.outcome(n) == ACCEPTED)
            .count() as u64;
        listener.drain(accepted, Duration::from_secs(10)).await;
        let usage = sampler.finish();
        // A moment for stragglers that would be duplicates.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let receipts = listener.finish().await?;
        let check = observe::check(
            &ledger,
            &receipts,
            &self.settings.database.url,
            &provisioned.channels,
            run,
        )
        .await?;
        Ok(PhaseResult {
            ledger,
            receipts,
            check,
            duration,
            received_at_end,
            usage,
        })
    }

    async fn mix(
        &self,
        mix: Mix,
        base: &str,
        durations: &Durations,
    ) -> anyhow::Result<report::MixReport> {
        let run = format!("{base}{}", mix.name().replace('-', ""));
        eprintln!(
            "== {}: provisioning {} channels, {} webhooks",
            mix.name(),
            self.args.channels,
            self.args.hooks
        );
        let provisioned = self
            .api
            .provision(&run, self.args.channels, self.args.hooks)
            .await?;

        let mut generators = load::generators(
            mix,
            &run,
            self.args.ingress,
            &provisioned.hooks,
            self.args.connections,
        );
        // Each mix starts from clean buffers: no flush of an earlier
        // phase's writes lands in this one's figures.
        ceilings::settle_postgres(&self.settings.database.url, None).await?;
        eprintln!(
            "== {}: warm-up at {}/s for {:?}",
            mix.name(),
            self.args.rate,
            durations.warmup
        );
        let warmup = self
            .phase(
                &format!("{run}w"),
                Pace::Open {
                    rate: self.args.rate,
                },
                durations.warmup,
                &provisioned,
                &mut generators,
            )
            .await?;

        eprintln!(
            "== {}: open loop at {}/s for {:?}",
            mix.name(),
            self.args.rate,
            durations.open
        );
        let open = self
            .phase(
                &format!("{run}o"),
                Pace::Open {
                    rate: self.args.rate,
                },
                durations.open,
                &provisioned,
                &mut generators,
            )
            .await?;

        eprintln!(
            "== {}: closed loop, {} connections, {:?}",
            mix.name(),
            self.args.connections,
            durations.closed
        );
        let closed = self
            .phase(
                &format!("{run}c"),
                Pace::Closed,
                durations.closed,
                &provisioned,
                &mut generators,
            )
            .await?;
        let closed_summary = report::summarize(&closed);

        // The highest rate the pipeline sustains: start just under what the
        // closed loop delivered; step up by 15 % while trials pass, down by
        // a fifth while they fail, until one of each brackets it (or the
        // trials run out).
        let mut rate = (closed_summary
            .accepted_per_s
            .min(closed_summary.delivered_per_s)
            * 0.95)
            .floor();
        let mut trials = Vec::new();
        let mut sustained: f64 = 0.0;
        let mut failed_at = f64::INFINITY;
        for t in 0..durations.trials {
            if rate < 1.0 {
                break;
            }
            eprintln!(
                "== {}: sustained trial at {rate}/s for {:?}",
                mix.name(),
                durations.trial
            );
            let trial = self
                .phase(
                    &format!("{run}t{t}"),
                    Pace::Open { rate },
                    durations.trial,
                    &provisioned,
                    &mut generators,
                )
                .await?;
            let summary = report::summarize(&trial);
            let passed = trial.check.clean()
                && summary.e2e.p99_ms < 1000.0
                && summary.accepted_per_s >= rate * 0.97;
            trials.push(report::Trial {
                rate,
                passed,
                summary,
            });
            if passed {
                sustained = sustained.max(rate);
            } else {
                failed_at = failed_at.min(rate);
            }
            let next = if passed {
                (rate * 1.15).floor()
            } else {
                (rate * 0.8).floor()
            };
            if next >= failed_at || next <= sustained {
                break;
            }
            rate = next;
        }
        Ok(report::MixReport {
            mix: mix.name().to_string(),
            warmup: report::summarize(&warmup),
            open_loop: report::summarize(&open),
            open_loop_usage: open.usage.clone(),
            closed_loop: closed_summary,
            closed_loop_usage: closed.usage.clone(),
            trials,
            max_sustained_per_s: sustained,
            latency_curves: report::curves(&open),
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = inlet_core::Settings::load(None)
        .context("loading the configuration (INLET__… variables)")?;
    let token = std::fs::read_to_string(&args.token_file).with_context(|| {
        format!(
            "reading the admin token from {} (run scripts/up first)",
            args.token_file.display()
        )
    })?;
    if args.hooks * LANES_PER_HOOK < args.connections {
        anyhow::bail!("--hooks × {LANES_PER_HOOK} must be at least --connections");
    }
    let durations = args.durations();
    let base = run_id();
    let api = provision::Api::new(&args.api, token.trim());
    let bench = Bench {
        args,
        settings,
        api,
    };

    eprintln!("== ceilings ({:?} each)", durations.ceiling);
    let ceilings = measure_ceilings(&bench, &base, durations.ceiling).await?;
    eprintln!("{ceilings:?}");

    let mut mixes = Vec::new();
    for mix in bench.args.mixes() {
        mixes.push(bench.mix(mix, &base, &durations).await?);
    }
    let report = report::Report::new(bench.args.quick, ceilings, mixes);
    report.print();
    report.write(&bench.args.out)?;
    eprintln!("report written to {}", bench.args.out.display());
    Ok(())
}

async fn measure_ceilings(
    bench: &Bench,
    base: &str,
    duration: Duration,
) -> anyhow::Result<ceilings::Ceilings> {
    let k = bench.args.connections;
    // A typical message of the mixed workload, ~1 KiB.
    let payload = vec![b'x'; 1024];
    let message = "x".repeat(400);
    let settings = &bench.settings;
    let amqp_confirm_per_s = ceilings::amqp(
        &settings.amqp.url,
        &format!("inlet-bench.{base}.ceiling"),
        payload.clone(),
        k,
        duration,
    )
    .await?;
    let database =
        ceilings::postgres_database(&settings.database.url, "inlet_bench_ceiling").await?;
    let pg_insert_per_s =
        ceilings::postgres(&settings.database.url, &database, &message, 1, k, duration).await?;
    let pg_batch_rows_per_s = ceilings::postgres(
        &settings.database.url,
        &database,
        &message,
        100,
        4,
        duration,
    )
    .await?;
    let redis_publish_per_s = ceilings::redis_publish(
        &settings.redis.url,
        &format!("inlet-bench.{base}"),
        payload.clone(),
        k,
        duration,
    )
    .await?;
    let http_per_s = ceilings::http(payload, k, duration).await?;
    ceilings::settle_postgres(&settings.database.url, Some(&database)).await?;
    Ok(ceilings::Ceilings {
        amqp_confirm_per_s,
        pg_insert_per_s,
        pg_batch_rows_per_s,
        redis_publish_per_s,
        http_per_s,
    })
}
