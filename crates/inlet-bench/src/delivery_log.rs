//! What every webhook's delivery log costs the pipeline, measured in one
//! run (`--delivery-log-cost`): the `mixed` mix with ingress's log on and
//! off, in the order on, off, off, on, so that a drift of the machine over
//! the run weighs on both sides alike. Only ingress writes the log; it is
//! restarted with `INLET__DELIVERY_LOG__ENABLED` between the runs (through
//! `scripts/up`, which starts what is not running), and left as the
//! configuration says at the end.

use crate::report::{self, MixReport};
use anyhow::Context;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// The order of the runs: `true` is the log on.
pub const ORDER: [bool; 4] = [true, false, false, true];

/// The compared figures must stay within this share of the log-off ones.
pub const TOLERANCE: f64 = 0.05;

const INGRESS: &str = "inlet-ingress";

/// Stops ingress and starts it again with the log on (`Some(true)`), off
/// (`Some(false)`) or as the configuration says (`None`).
pub async fn restart_ingress(run_dir: &Path, log: Option<bool>) -> anyhow::Result<()> {
    let up = Path::new("scripts/up");
    anyhow::ensure!(
        up.exists(),
        "--delivery-log-cost restarts ingress through scripts/up: run it from the repository (scripts/bench --delivery-log-cost)"
    );
    let pid_file = run_dir.join(format!("{INGRESS}.pid"));
    let pid = std::fs::read_to_string(&pid_file)
        .with_context(|| format!("reading {}", pid_file.display()))?;
    let pid = pid.trim();
    let status = std::process::Command::new("kill")
        .args(["-TERM", pid])
        .status()
        .context("running kill")?;
    anyhow::ensure!(status.success(), "could not stop {INGRESS} (pid {pid})");
    let gone_by = Instant::now() + Duration::from_secs(30);
    while Path::new(&format!("/proc/{pid}")).exists() {
        anyhow::ensure!(
            Instant::now() < gone_by,
            "{INGRESS} (pid {pid}) did not stop within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut command = std::process::Command::new(up);
    command.stdout(std::process::Stdio::null());
    match log {
        Some(enabled) => command.env("INLET__DELIVERY_LOG__ENABLED", enabled.to_string()),
        None => command.env_remove("INLET__DELIVERY_LOG__ENABLED"),
    };
    let status = command.status().context("running scripts/up")?;
    anyhow::ensure!(status.success(), "scripts/up could not start {INGRESS}");
    Ok(())
}

/// The mean figures of one side (log on or off).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Side {
    pub runs: usize,
    pub sustained_per_s: f64,
    pub ingress_accepted_per_s: f64,
    pub ingress_p50_ms: f64,
    pub ingress_p99_ms: f64,
    pub e2e_p50_ms: f64,
    pub e2e_p99_ms: f64,
    /// Every process, closed loop.
    pub cpu_us_per_message: f64,
}

impl Side {
    fn of<'a>(runs: impl Iterator<Item = &'a MixReport>) -> Self {
        let runs: Vec<&MixReport> = runs.collect();
        let mean = |figure: fn(&MixReport) -> f64| -> f64 {
            if runs.is_empty() {
                0.0
            } else {
                runs.iter().map(|run| figure(run)).sum::<f64>() / runs.len() as f64
            }
        };
        Self {
            runs: runs.len(),
            sustained_per_s: mean(|m| m.max_sustained_per_s),
            ingress_accepted_per_s: mean(|m| m.closed_loop.accepted_per_s),
            ingress_p50_ms: mean(|m| m.open_loop.ingress.p50_ms),
            ingress_p99_ms: mean(|m| m.open_loop.ingress.p99_ms),
            e2e_p50_ms: mean(|m| m.open_loop.e2e.p50_ms),
            e2e_p99_ms: mean(|m| m.open_loop.e2e.p99_ms),
            cpu_us_per_message: mean(|m| m.closed_loop_cpu_us_per_message().values().sum()),
        }
    }
}

/// One target: its line, the log-on figure over the log-off one, and
/// whether it is within the tolerance.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Verdict {
    pub target: String,
    pub on_over_off: f64,
    pub met: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub date: String,
    pub machine: String,
    /// Offered rate of the latency phase, messages per second.
    pub latency_rate_per_s: f64,
    pub on: Side,
    pub off: Side,
    pub verdicts: Vec<Verdict>,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// Each run in the order measured, `true` for the log on.
    pub runs: Vec<(bool, MixReport)>,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The targets: the sustained rate at least (1 − tolerance) × the log-off
/// one; each latency at most (1 + tolerance) × its log-off figure.
fn verdicts(on: &Side, off: &Side) -> Vec<Verdict> {
    let floor = |target: &str, a: f64, b: f64| {
        let r = ratio(a, b);
        Verdict {
            target: target.to_string(),
            on_over_off: r,
            met: r >= 1.0 - TOLERANCE,
        }
    };
    let ceiling = |target: &str, a: f64, b: f64| {
        let r = ratio(a, b);
        Verdict {
            target: target.to_string(),
            on_over_off: r,
            met: r > 0.0 && r <= 1.0 + TOLERANCE,
        }
    };
    vec![
        floor(
            "sustained e2e with / without ≥ 0.95",
            on.sustained_per_s,
            off.sustained_per_s,
        ),
        ceiling(
            "ingress p50 with / without ≤ 1.05",
            on.ingress_p50_ms,
            off.ingress_p50_ms,
        ),
        ceiling(
            "ingress p99 with / without ≤ 1.05",
            on.ingress_p99_ms,
            off.ingress_p99_ms,
        ),
        ceiling(
            "e2e p50 with / without ≤ 1.05",
            on.e2e_p50_ms,
            off.e2e_p50_ms,
        ),
        ceiling(
            "e2e p99 with / without ≤ 1.05",
            on.e2e_p99_ms,
            off.e2e_p99_ms,
        ),
    ]
}

impl Comparison {
    pub fn new(latency_rate_per_s: f64, runs: Vec<(bool, MixReport)>) -> Self {
        let on = Side::of(runs.iter().filter(|(on, _)| *on).map(|(_, m)| m));
        let off = Side::of(runs.iter().filter(|(on, _)| !*on).map(|(_, m)| m));
        let total = |field: fn(&crate::observe::Check) -> u64| -> u64 {
            runs.iter().flat_map(|(_, m)| m.checks()).map(field).sum()
        };
        Self {
            date: report::now(),
            machine: report::machine(),
            latency_rate_per_s,
            verdicts: verdicts(&on, &off),
            on,
            off,
            lost: total(|c| c.lost),
            duplicated: total(|c| c.duplicated),
            out_of_order: total(|c| c.out_of_order),
            runs,
        }
    }

    pub fn print(&self) {
        println!();
        println!("machine: {}   date: {}", self.machine, self.date);
        println!(
            "the delivery log's cost, `mixed`, runs in the order on, off, off, on; latencies at {:.0}/s",
            self.latency_rate_per_s
        );
        println!(
            "{:<10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "log", "sustained", "ingress/s", "in p50", "in p99", "e2e p50", "e2e p99", "CPU µs/msg"
        );
        for (name, side) in [("on", &self.on), ("off", &self.off)] {
            println!(
                "{:<10} {:>9.0} {:>9.0} {:>6.2}ms {:>6.2}ms {:>6.2}ms {:>6.2}ms {:>9.0}",
                name,
                side.sustained_per_s,
                side.ingress_accepted_per_s,
                side.ingress_p50_ms,
                side.ingress_p99_ms,
                side.e2e_p50_ms,
                side.e2e_p99_ms,
                side.cpu_us_per_message
            );
        }
        for (on, run) in &self.runs {
            println!(
                "  run with the log {:<3} sustained {:>6.0}/s  in p99 {:>6.2}ms  e2e p99 {:>6.2}ms",
                if *on { "on" } else { "off" },
                run.max_sustained_per_s,
                run.open_loop.ingress.p99_ms,
                run.open_loop.e2e.p99_ms
            );
        }
        for verdict in &self.verdicts {
            println!(
                "  {:<40} {:>6.3}  {}",
                verdict.target,
                verdict.on_over_off,
                if verdict.met { "met" } else { "NOT met" }
            );
        }
        println!(
            "lost {}, duplicated {}, out of order {}",
            self.lost, self.duplicated, self.out_of_order
        );
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sustained: f64, ingress_p99_ms: f64) -> MixReport {
        let mut mix = MixReport::empty("mixed");
        mix.max_sustained_per_s = sustained;
        mix.open_loop.ingress.p99_ms = ingress_p99_ms;
        mix.open_loop.ingress.p50_ms = 1.0;
        mix.open_loop.e2e.p50_ms = 5.0;
        mix.open_loop.e2e.p99_ms = 10.0;
        mix
    }

    #[test]
    fn each_side_is_the_mean_of_its_runs() {
        let runs = vec![
            (true, run(1000.0, 4.0)),
            (false, run(1100.0, 3.0)),
            (false, run(900.0, 5.0)),
            (true, run(800.0, 6.0)),
        ];
        let comparison = Comparison::new(1000.0, runs);
        assert_eq!(comparison.on.runs, 2);
        assert_eq!(comparison.on.sustained_per_s, 900.0);
        assert_eq!(comparison.off.sustained_per_s, 1000.0);
        assert_eq!(comparison.on.ingress_p99_ms, 5.0);
        assert_eq!(comparison.off.ingress_p99_ms, 4.0);
    }

    #[test]
    fn a_rate_below_the_tolerance_or_a_slower_latency_is_not_met() {
        let runs = vec![(true, run(900.0, 4.1)), (false, run(1000.0, 4.0))];
        let verdicts = Comparison::new(1000.0, runs).verdicts;
        let met = |prefix: &str| {
            verdicts
                .iter()
                .find(|v| v.target.starts_with(prefix))
                .map(|v| v.met)
        };
        assert_eq!(met("sustained"), Some(false), "0.90 of the rate");
        assert_eq!(met("ingress p99"), Some(true), "1.025 × the latency");
        assert_eq!(met("e2e p99"), Some(true));
        let runs = vec![(true, run(960.0, 4.4)), (false, run(1000.0, 4.0))];
        let verdicts = Comparison::new(1000.0, runs).verdicts;
        assert!(verdicts[0].met, "0.96 of the rate is within 5 %");
        assert!(!verdicts[2].met, "1.10 × the ingress p99 is not");
    }

    #[test]
    fn a_side_that_measured_nothing_meets_nothing() {
        let comparison = Comparison::new(1000.0, vec![(true, run(1000.0, 4.0))]);
        assert_eq!(comparison.off.runs, 0);
        assert!(comparison.verdicts.iter().all(|v| !v.met));
    }
}
