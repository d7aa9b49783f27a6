//! Figures from the ledgers, the table on stdout and `latest.json`.

use crate::PhaseResult;
use crate::ceilings::Ceilings;
use crate::load::ACCEPTED;
use crate::mixes::Kind;
use crate::observe::Check;
use crate::procs::Usage;
use crate::ratios::Ratios;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub seconds: f64,
    pub accepted_per_s: f64,
    /// Accepted messages delivered on Redis, per second from the phase's
    /// start to the last delivery.
    pub delivered_per_s: f64,
    /// Accepted but not yet on Redis when sending stopped.
    pub backlog_at_end: u64,
    pub ingress: Latency,
    pub e2e: Latency,
    /// p99 of each second of the phase (by due time), to tell a steady
    /// tail from a stall.
    pub ingress_p99_by_second_ms: Vec<f64>,
    pub e2e_p99_by_second_ms: Vec<f64>,
    /// Ingress latency of each kind of message the phase sent (`mixed`
    /// sends five, and emakin's case openings wait for their verdict).
    pub ingress_by_kind: BTreeMap<String, Latency>,
    pub check: Check,
}

#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    pub rate: f64,
    pub passed: bool,
    pub summary: Summary,
}

impl Trial {
    /// A trial passes with a clean verification, an end-to-end p99 under a
    /// second and (nearly) every offered message accepted.
    pub fn judge(rate: f64, summary: Summary) -> Self {
        let passed = summary.check.clean()
            && summary.e2e.p99_ms < 1000.0
            && summary.accepted_per_s >= rate * 0.97;
        Self {
            rate,
            passed,
            summary,
        }
    }
}

/// Percentile curves of the open-loop phase, for `--plot`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Curves {
    /// (percentile, ms)
    pub ingress: Vec<(f64, f64)>,
    pub e2e: Vec<(f64, f64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MixReport {
    pub mix: String,
    /// Not in the figures, but verified like every phase.
    pub warmup: Summary,
    pub open_loop: Summary,
    pub open_loop_usage: BTreeMap<String, Usage>,
    pub closed_loop: Summary,
    pub closed_loop_usage: BTreeMap<String, Usage>,
    pub trials: Vec<Trial>,
    pub max_sustained_per_s: f64,
    pub latency_curves: Curves,
}

impl MixReport {
    /// A mix that measured nothing.
    pub fn empty(mix: &str) -> Self {
        Self {
            mix: mix.to_string(),
            warmup: Summary::default(),
            open_loop: Summary::default(),
            open_loop_usage: BTreeMap::new(),
            closed_loop: Summary::default(),
            closed_loop_usage: BTreeMap::new(),
            trials: Vec::new(),
            max_sustained_per_s: 0.0,
            latency_curves: Curves::default(),
        }
    }

    /// The verification of every phase of the mix.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        [&self.warmup, &self.open_loop, &self.closed_loop]
            .into_iter()
            .chain(self.trials.iter().map(|t| &t.summary))
            .map(|summary| &summary.check)
    }

    /// CPU time each process group spent per message accepted in the
    /// closed loop (where the pipeline runs flat out), in microseconds.
    pub fn closed_loop_cpu_us_per_message(&self) -> BTreeMap<String, f64> {
        let accepted = self.closed_loop.accepted_per_s * self.closed_loop.seconds;
        if accepted < 1.0 {
            return BTreeMap::new();
        }
        self.closed_loop_usage
            .iter()
            .map(|(name, usage)| (name.clone(), usage.cpu_s * 1e6 / accepted))
            .collect()
    }
}

fn histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 10 minutes, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant, valid histogram bounds")
}

fn latency(h: &Histogram<u64>) -> Latency {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Latency {
        count: h.len(),
        p50_ms: ms(0.5),
        p90_ms: ms(0.9),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: h.max() as f64 / 1000.0,
    }
}

fn histograms(phase: &PhaseResult) -> (Histogram<u64>, Histogram<u64>, u64) {
    let ledger = &phase.ledger;
    let mut ingress = histogram();
    let mut e2e = histogram();
    let mut last_delivery_ns = 0u64;
    for n in 0..ledger.capacity() {
        if ledger.outcome(n) != ACCEPTED {
            continue;
        }
        let scheduled = ledger.scheduled_ns[n].load(Ordering::Relaxed);
        let answered = ledger.answered_ns[n].load(Ordering::Relaxed);
        let _ = ingress.record((answered.saturating_sub(scheduled) / 1000).max(1));
        if let Some(&received) = phase.receipts.first_ns.get(&(n as u64)) {
            let _ = e2e.record((received.saturating_sub(scheduled) / 1000).max(1));
            last_delivery_ns = last_delivery_ns.max(received);
        }
    }
    (ingress, e2e, last_delivery_ns)
}

/// The p99 ingress and end-to-end latency of each second of the phase.
fn by_second(phase: &PhaseResult) -> (Vec<f64>, Vec<f64>) {
    let ledger = &phase.ledger;
    let mut seconds: Vec<(Histogram<u64>, Histogram<u64>)> = Vec::new();
    for n in 0..ledger.capacity() {
        if ledger.outcome(n) != ACCEPTED {
            continue;
        }
        let scheduled = ledger.scheduled_ns[n].load(Ordering::Relaxed);
        let answered = ledger.answered_ns[n].load(Ordering::Relaxed);
        let second = (scheduled / 1_000_000_000) as usize;
        while seconds.len() <= second {
            seconds.push((histogram(), histogram()));
        }
        let (ingress, e2e) = &mut seconds[second];
        let _ = ingress.record((answered.saturating_sub(scheduled) / 1000).max(1));
        if let Some(&received) = phase.receipts.first_ns.get(&(n as u64)) {
            let _ = e2e.record((received.saturating_sub(scheduled) / 1000).max(1));
        }
    }
    let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99) as f64 / 1000.0;
    seconds.iter().map(|(i, e)| (p99(i), p99(e))).unzip()
}

/// The ingress latency of each kind of message sent.
fn by_kind(phase: &PhaseResult) -> BTreeMap<String, Latency> {
    let ledger = &phase.ledger;
    let mut kinds: Vec<Histogram<u64>> = Kind::ALL.iter().map(|_| histogram()).collect();
    for n in 0..ledger.capacity() {
        if ledger.outcome(n) != ACCEPTED {
            continue;
        }
        let scheduled = ledger.scheduled_ns[n].load(Ordering::Relaxed);
        let answered = ledger.answered_ns[n].load(Ordering::Relaxed);
        let kind = usize::from(ledger.kind[n].load(Ordering::Relaxed));
        if let Some(h) = kinds.get_mut(kind) {
            let _ = h.record((answered.saturating_sub(scheduled) / 1000).max(1));
        }
    }
    Kind::ALL
        .iter()
        .zip(&kinds)
        .filter(|(_, h)| !h.is_empty())
        .map(|(kind, h)| (kind.label().to_string(), latency(h)))
        .collect()
}

pub fn summarize(phase: &PhaseResult) -> Summary {
    let (ingress, e2e, last_delivery_ns) = histograms(phase);
    let (ingress_p99_by_second_ms, e2e_p99_by_second_ms) = by_second(phase);
    let seconds = phase.duration.as_secs_f64();
    let accepted = phase.check.accepted;
    Summary {
        seconds,
        accepted_per_s: accepted as f64 / seconds,
        delivered_per_s: if last_delivery_ns > 0 {
            e2e.len() as f64 / (last_delivery_ns as f64 / 1e9).max(seconds)
        } else {
            0.0
        },
        backlog_at_end: accepted.saturating_sub(phase.received_at_end),
        ingress: latency(&ingress),
        e2e: latency(&e2e),
        ingress_p99_by_second_ms,
        e2e_p99_by_second_ms,
        ingress_by_kind: by_kind(phase),
        check: phase.check.clone(),
    }
}

pub fn curves(phase: &PhaseResult) -> Curves {
    let (ingress, e2e, _) = histograms(phase);
    let curve = |h: &Histogram<u64>| {
        let mut points = Vec::new();
        for i in 0..=60 {
            // Percentiles from 0 to 99.9999, denser towards the tail.
            let q = 1.0 - 10f64.powf(-(i as f64) / 10.0);
            points.push((q * 100.0, h.value_at_quantile(q) as f64 / 1000.0));
        }
        points
    };
    Curves {
        ingress: curve(&ingress),
        e2e: curve(&e2e),
    }
}

#[derive(Serialize)]
pub struct Report {
    pub date: String,
    pub machine: String,
    pub quick: bool,
    /// The headline mix (`mixed` when it ran) and its figures.
    pub mix: String,
    pub max_sustained_per_s: f64,
    pub ingress_accepted_per_s: f64,
    pub ingress_p50_ms: f64,
    pub ingress_p99_ms: f64,
    pub e2e_p50_ms: f64,
    pub e2e_p99_ms: f64,
    pub offered_per_s: f64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    pub rss_mib: BTreeMap<String, f64>,
    pub cpu_s: BTreeMap<String, f64>,
    pub ceilings: Ceilings,
    /// The headline mix against the bare durable pipeline's `mixed` run:
    /// with several rounds (`--rounds`), each ratio's median over them.
    pub ratios: Ratios,
    /// Each round's own ratios, in the order measured.
    pub rounds: Vec<Ratios>,
    /// The bare durable pipeline (see `bare`), same run, same phases (the
    /// last round's).
    pub bare: MixReport,
    /// The pipeline's mixes (the last round's).
    pub mixes: Vec<MixReport>,
}

/// One round: the bare pipeline, then the pipeline's mixes, back to back.
pub struct Round {
    pub bare: MixReport,
    pub mixes: Vec<MixReport>,
}

/// The mix the targets are judged on: `mixed` when it ran.
fn headline(mixes: &[MixReport]) -> MixReport {
    mixes
        .iter()
        .find(|m| m.mix == "mixed")
        .or_else(|| mixes.first())
        .cloned()
        .unwrap_or_else(|| MixReport::empty(""))
}

pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().next()?.to_string();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib / 1024.0 / 1024.0)
        })
        .unwrap_or(0.0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {memory:.0} GiB")
}

pub fn now() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl Report {
    /// The report of `rounds` (at least one): the headline figures and the
    /// runs are the last round's, the ratios each one's median over every
    /// round, and loss, duplicates and order are counted over every round.
    pub fn new(quick: bool, ceilings: Ceilings, rounds: Vec<Round>) -> Self {
        let total = |field: fn(&Check) -> u64| -> u64 {
            rounds
                .iter()
                .flat_map(|round| &round.mixes)
                .flat_map(MixReport::checks)
                .map(field)
                .sum()
        };
        let lost = total(|c| c.lost);
        let duplicated = total(|c| c.duplicated);
        let out_of_order = total(|c| c.out_of_order);
        let each: Vec<Ratios> = rounds
            .iter()
            .map(|round| Ratios::new(&headline(&round.mixes), &round.bare))
            .collect();
        let ratios = Ratios::median(&each).unwrap_or_default();
        let Round { bare, mixes } = rounds.into_iter().last().unwrap_or(Round {
            bare: MixReport::empty("bare-mixed"),
            mixes: Vec::new(),
        });
        let h = headline(&mixes);
        Self {
            date: now(),
            machine: machine(),
            quick,
            mix: h.mix.clone(),
            max_sustained_per_s: h.max_sustained_per_s,
            ingress_accepted_per_s: h.closed_loop.accepted_per_s,
            ingress_p50_ms: h.open_loop.ingress.p50_ms,
            ingress_p99_ms: h.open_loop.ingress.p99_ms,
            e2e_p50_ms: h.open_loop.e2e.p50_ms,
            e2e_p99_ms: h.open_loop.e2e.p99_ms,
            offered_per_s: h.open_loop.accepted_per_s,
            lost,
            duplicated,
            out_of_order,
            rss_mib: h
                .open_loop_usage
                .iter()
                .map(|(k, v)| (k.clone(), v.peak_rss_mib))
                .collect(),
            cpu_s: h
                .open_loop_usage
                .iter()
                .map(|(k, v)| (k.clone(), v.cpu_s))
                .collect(),
            ceilings,
            ratios,
            rounds: each,
            bare,
            mixes,
        }
    }

    /// The bare pipeline's run, then the pipeline's mixes.
    fn runs(&self) -> impl Iterator<Item = &MixReport> {
        std::iter::once(&self.bare).chain(&self.mixes)
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }

    pub fn print(&self) {
        let c = &self.ceilings;
        println!();
        println!(
            "machine: {}   date: {}   {}",
            self.machine,
            self.date,
            if self.quick { "quick run" } else { "full run" }
        );
        println!();
        println!("ceilings (same run)");
        println!(
            "  bare confirmed publish (quorum)   {:>10.0} msg/s",
            c.amqp_confirm_per_s
        );
        println!(
            "  bare INSERT + COMMIT              {:>10.0} rows/s ({} connections)",
            c.pg_insert_per_s, c.pg_connections
        );
        println!(
            "  bare INSERT, 100 rows each        {:>10.0} rows/s",
            c.pg_batch_rows_per_s
        );
        println!(
            "  bare Redis PUBLISH                {:>10.0} msg/s",
            c.redis_publish_per_s
        );
        println!(
            "  bare actix-web 200 ok             {:>10.0} req/s",
            c.http_per_s
        );
        println!();
        println!(
            "{:<20} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10} {:>6} {:>5} {:>5}",
            "mix",
            "sustained",
            "ingress/s",
            "in p50",
            "in p99",
            "e2e p50",
            "e2e p99",
            "max rss",
            "lost",
            "dup",
            "order"
        );
        for m in self.runs() {
            let (mut lost, mut dup, mut order) = (0, 0, 0);
            for check in m.checks() {
                lost += check.lost;
                dup += check.duplicated;
                order += check.out_of_order;
            }
            let rss = m
                .open_loop_usage
                .iter()
                .filter(|(name, _)| crate::procs::is_service(name))
                .map(|(_, u)| u.peak_rss_mib)
                .fold(0.0, f64::max);
            println!(
                "{:<20} {:>9.0} {:>9.0} {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.1}MiB {:>6} {:>5} {:>5}",
                m.mix,
                m.max_sustained_per_s,
                m.closed_loop.accepted_per_s,
                m.open_loop.ingress.p50_ms,
                m.open_loop.ingress.p99_ms,
                m.open_loop.e2e.p50_ms,
                m.open_loop.e2e.p99_ms,
                rss,
                lost,
                dup,
                order
            );
        }
        println!(
            "(latencies at {:.0}/s offered; sustained = highest open-loop rate with zero loss and e2e p99 < 1 s)",
            self.offered_per_s
        );
        println!();
        for m in self.runs() {
            let kinds = &m.open_loop.ingress_by_kind;
            if kinds.len() < 2 {
                continue;
            }
            println!("ingress latency by kind at that rate, {}", m.mix);
            for (kind, latency) in kinds {
                println!(
                    "  {kind:<20} {:>6} messages   p50 {:>7.2}ms   p99 {:>7.2}ms",
                    latency.count, latency.p50_ms, latency.p99_ms
                );
            }
        }
        println!();
        println!("CPU per accepted message in the closed loop (µs)");
        for m in self.runs() {
            let per_message = m.closed_loop_cpu_us_per_message();
            let parts: Vec<String> = per_message
                .iter()
                .map(|(name, us)| format!("{name} {us:.0}"))
                .collect();
            let total: f64 = per_message.values().sum();
            println!("  {:<20} total {total:.0}: {}", m.mix, parts.join(", "));
        }
        println!();
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        let worst_rss = self
            .rss_mib
            .iter()
            .filter(|(name, _)| crate::procs::is_service(name))
            .map(|(_, rss)| *rss)
            .fold(0.0, f64::max);
        if self.rounds.len() > 1 {
            println!(
                "each round's ratios (the bare pipeline and {}, back to back)",
                self.mix
            );
            println!(
                "  {:<6} {:>8} {:>8} {:>8} {:>10} {:>10}",
                "round", "e2e", "ingress", "CPU", "ingr p99", "e2e p99"
            );
            for (n, r) in self.rounds.iter().enumerate() {
                println!(
                    "  {:<6} {:>8.2} {:>8.2} {:>8.2} {:>10.2} {:>10.2}",
                    n + 1,
                    r.e2e_over_bare,
                    r.ingress_over_bare,
                    r.cpu_over_bare,
                    r.ingress_p99_over_bare,
                    r.e2e_p99_over_bare
                );
            }
            println!();
            println!(
                "targets ({} mix against the bare durable pipeline, same run; the median of {} rounds)",
                self.mix,
                self.rounds.len()
            );
        } else {
            println!(
                "targets ({} mix against the bare durable pipeline, same run)",
                self.mix
            );
        }
        self.ratios.print();
        println!(
            "  RSS ≤ 64 MiB per service             {:>8.1}   {}",
            worst_rss,
            verdict(worst_rss <= 64.0)
        );
        println!(
            "  zero loss, zero duplicates          {:>4} {:>5}   {}",
            self.lost,
            self.duplicated,
            verdict(self.lost == 0 && self.duplicated == 0)
        );
        for (service, usage) in &self.rss_mib {
            println!(
                "    {service:<16} peak RSS {usage:>6.1} MiB, CPU {:>6.2} s",
                self.cpu_s.get(service).copied().unwrap_or(0.0)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(sustained: f64, lost: u64) -> Round {
        let mut bare = MixReport::empty("bare-mixed");
        bare.max_sustained_per_s = 1000.0;
        let mut mixed = MixReport::empty("mixed");
        mixed.max_sustained_per_s = sustained;
        mixed.closed_loop.check.lost = lost;
        Round {
            bare,
            mixes: vec![mixed],
        }
    }

    #[test]
    fn a_report_of_rounds_counts_every_rounds_losses_and_keeps_the_last_rounds_runs() {
        let rounds = vec![round(900.0, 2), round(500.0, 0), round(700.0, 0)];
        let report = Report::new(true, Ceilings::default(), rounds);
        // A loss in the first round is not hidden by two clean ones.
        assert_eq!(report.lost, 2);
        assert_eq!(report.rounds.len(), 3);
        let each: Vec<f64> = report.rounds.iter().map(|r| r.e2e_over_bare).collect();
        assert_eq!(each, [0.9, 0.5, 0.7]);
        assert!((report.ratios.e2e_over_bare - 0.7).abs() < 1e-9);
        // The figures and runs shown are the last round's.
        assert_eq!(report.max_sustained_per_s, 700.0);
        assert_eq!(report.mixes[0].max_sustained_per_s, 700.0);
    }
}
