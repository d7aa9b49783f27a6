//! `inlet-bench`: the pipeline's throughput and latency beside the ceilings
//! of the same machine, measured in one run (performance.md). It needs the
//! stack up (`scripts/up`); `scripts/bench` does both.

mod bare;
mod ceilings;
mod connections;
mod delivery_log;
mod http;
mod load;
mod mixes;
mod observe;
mod pacer;
mod procs;
mod provision;
mod ratios;
mod report;
mod runner;

use anyhow::Context;
use clap::Parser;
use load::Ledger;
use mixes::{LANES_PER_HOOK, Mix};
use runner::{MixRun, Target};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "inlet-bench",
    about = "Measures the pipeline beside the machine's ceilings"
)]
pub struct Args {
    /// A short run (about four minutes with the stack built): the bare pipeline and the `mixed` mix, short phases.
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
    /// Rounds of the bare pipeline and the mixes, measured back to back;
    /// the report's ratios are each one's median over the rounds (one
    /// round's tail moves with the machine's moment). Not with
    /// --delivery-log-cost, which has its own four runs.
    #[arg(
        long,
        default_value_t = 1,
        value_parser = clap::value_parser!(u16).range(1..=20),
        conflicts_with = "delivery_log_cost"
    )]
    rounds: u16,
    /// Instead of the ceilings and the bare pipeline: the `mixed` mix with
    /// ingress's delivery log on and off, four runs in one (ingress is
    /// restarted between them through scripts/up), compared against 5 %.
    /// The report goes to delivery-log.json beside --out.
    #[arg(long)]
    delivery_log_cost: bool,
}

pub struct Durations {
    pub ceiling: Duration,
    /// Sent after provisioning and before measuring: the first requests of
    /// new webhooks fill caches and connection pools.
    pub warmup: Duration,
    pub open: Duration,
    pub closed: Duration,
    pub trial: Duration,
    pub trials: usize,
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
                trials: 5,
            }
        } else {
            Durations {
                ceiling: Duration::from_secs(5),
                warmup: Duration::from_secs(4),
                open: Duration::from_secs(20),
                closed: Duration::from_secs(20),
                trial: Duration::from_secs(15),
                trials: 7,
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

/// Failures end in one line (the error and its causes), never a
/// backtrace: a missing stack or a full PostgreSQL is the reader's to fix,
/// not a bug.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("inlet-bench: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
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
    if args.delivery_log_cost {
        return measure_delivery_log_cost(&args, &settings, &api, &base, &durations).await;
    }

    eprintln!("== ceilings ({:?} each)", durations.ceiling);
    let ceilings = measure_ceilings(&args, &settings, &base, durations.ceiling).await?;
    eprintln!("{ceilings:?}");
    let pipeline = pipeline_target(&args, &settings)?;
    let mut rounds = Vec::new();
    for round in 1..=args.rounds {
        if args.rounds > 1 {
            eprintln!("== round {round} of {}", args.rounds);
        }
        // Each round's messages carry their own marker.
        let base = match round {
            1 => base.clone(),
            n => format!("{base}r{n}"),
        };
        rounds.push(run_round(&args, &settings, &api, &pipeline, &base, &durations).await?);
    }
    let report = report::Report::new(args.quick, ceilings, rounds);
    report.print();
    report.write(&args.out)?;
    eprintln!("report written to {}", args.out.display());
    Ok(())
}

/// One round: the bare pipeline's `mixed` run, then each mix through the
/// pipeline at the bare pipeline's quarter rate.
async fn run_round(
    args: &Args,
    settings: &inlet_core::Settings,
    api: &provision::Api,
    pipeline: &Target,
    base: &str,
    durations: &Durations,
) -> anyhow::Result<report::Round> {
    let bare = run_bare(args, settings, base, durations).await?;
    // The pipeline's latencies are compared with the bare pipeline's at
    // the same offered rate: a quarter of what the bare one sustains.
    let open_rate = Some(bare.max_sustained_per_s / 4.0).filter(|rate| *rate >= 1.0);
    let mut mixes = Vec::new();
    for mix in args.mixes() {
        let run = format!("{base}{}", mix.name().replace('-', ""));
        eprintln!(
            "== {}: provisioning {} channels, {} webhooks",
            mix.name(),
            args.channels,
            args.hooks
        );
        let provisioned = api.provision(&run, args.channels, args.hooks).await?;
        let settings = MixRun {
            mix,
            run,
            connections: args.connections,
            warmup_rate: args.rate,
            open_rate,
            durations,
        };
        mixes.push(pipeline.mix(&settings, &provisioned).await?);
    }
    Ok(report::Round { bare, mixes })
}

/// The `mixed` mix with the delivery log on and off, in one run.
async fn measure_delivery_log_cost(
    args: &Args,
    settings: &inlet_core::Settings,
    api: &provision::Api,
    base: &str,
    durations: &Durations,
) -> anyhow::Result<()> {
    let pipeline = pipeline_target(args, settings)?;
    let mut runs = Vec::new();
    for (n, log) in delivery_log::ORDER.into_iter().enumerate() {
        let state = if log { "on" } else { "off" };
        eprintln!("== the delivery log {state}: restarting ingress");
        delivery_log::restart_ingress(&args.run_dir, Some(log)).await?;
        let run = format!("{base}log{n}");
        let provisioned = api.provision(&run, args.channels, args.hooks).await?;
        let settings = MixRun {
            mix: Mix::Mixed,
            run,
            connections: args.connections,
            warmup_rate: args.rate,
            open_rate: Some(args.rate),
            durations,
        };
        let measured = pipeline.mix(&settings, &provisioned).await;
        if measured.is_err() {
            // Leave the stack as configured, whatever happened.
            delivery_log::restart_ingress(&args.run_dir, None).await?;
        }
        runs.push((log, measured?));
    }
    eprintln!("== restarting ingress as configured");
    delivery_log::restart_ingress(&args.run_dir, None).await?;
    let comparison = delivery_log::Comparison::new(args.rate, runs);
    comparison.print();
    let out = args.out.with_file_name("delivery-log.json");
    comparison.write(&out)?;
    eprintln!("report written to {}", out.display());
    Ok(())
}

/// The pipeline under test: the stack of scripts/up.
fn pipeline_target(args: &Args, settings: &inlet_core::Settings) -> anyhow::Result<Target> {
    Ok(Target {
        name: "pipeline",
        address: args.ingress,
        redis_url: settings.redis.url.clone(),
        redis_prefix: settings.redis.prefix.clone(),
        posts: observe::Posts {
            database: settings.database.url.parse()?,
            table: "posts",
        },
        services: true,
        run_dir: args.run_dir.clone(),
        admin_database_url: settings.database.url.clone(),
    })
}

/// The ceilings' own database (its tables are the bench's alone).
const CEILING_DATABASE: &str = "inlet_bench_ceiling";

/// The bare pipeline's `mixed` run, with the services' default sizes.
async fn run_bare(
    args: &Args,
    settings: &inlet_core::Settings,
    base: &str,
    durations: &Durations,
) -> anyhow::Result<report::MixReport> {
    let mut database: tokio_postgres::Config = settings.database.url.parse()?;
    database.dbname(CEILING_DATABASE);
    let (channels, hooks) = bare::hooks(base, args.channels, args.hooks);
    let http_workers = match settings.ingress.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let bare = bare::Bare::start(
        bare::Config {
            amqp_url: settings.amqp.url.clone(),
            redis_url: settings.redis.url.clone(),
            database: database.clone(),
            run: base.to_string(),
            http_workers,
            relay_prefetch: settings.formatter.prefetch,
            batch_size: settings.delivery.batch_size,
            batch_linger_ms: settings.delivery.batch_linger_ms,
        },
        &hooks,
    )
    .await?;
    let target = Target {
        name: "bare",
        address: bare.address,
        redis_url: settings.redis.url.clone(),
        redis_prefix: bare.redis_prefix.clone(),
        posts: observe::Posts {
            database,
            table: bare::TABLE,
        },
        services: false,
        run_dir: args.run_dir.clone(),
        admin_database_url: settings.database.url.clone(),
    };
    let run = MixRun {
        mix: Mix::Mixed,
        run: format!("{base}bare"),
        connections: args.connections,
        warmup_rate: args.rate,
        open_rate: None,
        durations,
    };
    let measured = target
        .mix(&run, &provision::Provisioned { channels, hooks })
        .await;
    bare.stop().await?;
    // Named apart from the pipeline's `mixed` in the table and the JSON.
    measured.map(|report| report::MixReport {
        mix: "bare-mixed".to_string(),
        ..report
    })
}

async fn measure_ceilings(
    args: &Args,
    settings: &inlet_core::Settings,
    base: &str,
    duration: Duration,
) -> anyhow::Result<ceilings::Ceilings> {
    let k = args.connections;
    let slots = connections::slots(&settings.database.url)
        .await
        .context("reading PostgreSQL's connection slots")?;
    // Beside the ceilings' own: the bare pipeline's writer and the
    // verification's reader.
    let reserved = settings.delivery.lanes + 1;
    let budget = connections::available(slots, settings.database.pool_size, reserved + 1)?;
    let pg_connections = k.min(budget - reserved);
    // A typical message of the mixed workload, ~1 KiB.
    let payload = vec![b'x'; 1024];
    let message = "x".repeat(400);
    let amqp_confirm_per_s = ceilings::amqp(
        &settings.amqp.url,
        &format!("inlet-bench.{base}.ceiling"),
        payload.clone(),
        k,
        duration,
    )
    .await?;
    let database = ceilings::postgres_database(&settings.database.url, CEILING_DATABASE).await?;
    let pg_insert_per_s = ceilings::postgres(
        &settings.database.url,
        &database,
        &message,
        1,
        pg_connections,
        duration,
    )
    .await?;
    let pg_batch_rows_per_s = ceilings::postgres(
        &settings.database.url,
        &database,
        &message,
        100,
        pg_connections.min(4),
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
        pg_connections,
        pg_batch_rows_per_s,
        redis_publish_per_s,
        http_per_s,
    })
}
