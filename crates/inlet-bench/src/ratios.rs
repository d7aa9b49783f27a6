//! The pipeline against the bare durable pipeline of the same run: the
//! ratios of the targets, each with its verdict.

use crate::report::MixReport;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Ratios {
    /// Sustained end-to-end rate / the bare pipeline's (target ≥ 0.7).
    pub e2e_over_bare: f64,
    /// Closed-loop ingress accepted rate / the bare pipeline's (≥ 0.8).
    pub ingress_over_bare: f64,
    /// CPU per message in the closed loop, every process (servers, the
    /// bench itself, and the services for the pipeline) / the bare
    /// pipeline's (≤ 1.4).
    pub cpu_over_bare: f64,
    /// The larger of the two below (≤ 2).
    pub p99_over_bare: f64,
    /// Ingress p99 at a quarter of the bare sustained rate / the bare one's.
    pub ingress_p99_over_bare: f64,
    /// End-to-end p99 at that rate / the bare one's.
    pub e2e_p99_over_bare: f64,
}

/// `a / b`, 0 when `b` is not a measurement.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// CPU µs per message accepted in the closed loop, every process.
fn cpu_per_message(mix: &MixReport) -> f64 {
    mix.closed_loop_cpu_us_per_message().values().sum()
}

impl Ratios {
    pub fn new(pipeline: &MixReport, bare: &MixReport) -> Self {
        let ingress_p99_over_bare = ratio(
            pipeline.open_loop.ingress.p99_ms,
            bare.open_loop.ingress.p99_ms,
        );
        let e2e_p99_over_bare = ratio(pipeline.open_loop.e2e.p99_ms, bare.open_loop.e2e.p99_ms);
        Self {
            e2e_over_bare: ratio(pipeline.max_sustained_per_s, bare.max_sustained_per_s),
            ingress_over_bare: ratio(
                pipeline.closed_loop.accepted_per_s,
                bare.closed_loop.accepted_per_s,
            ),
            cpu_over_bare: ratio(cpu_per_message(pipeline), cpu_per_message(bare)),
            p99_over_bare: ingress_p99_over_bare.max(e2e_p99_over_bare),
            ingress_p99_over_bare,
            e2e_p99_over_bare,
        }
    }

    /// Each ratio's median over several rounds (each round the bare
    /// pipeline and the pipeline measured back to back): one round's tail
    /// moves with the machine's moment (quick runs of one build measured
    /// the ingress p99 ratio anywhere from 0.8 to 6.6), the median of
    /// several does much less. `p99_over_bare` stays the larger of the two
    /// medians. `None` without rounds.
    pub fn median(rounds: &[Ratios]) -> Option<Self> {
        if rounds.is_empty() {
            return None;
        }
        let median = |figure: fn(&Ratios) -> f64| -> f64 {
            let mut values: Vec<f64> = rounds.iter().map(figure).collect();
            values.sort_by(f64::total_cmp);
            let middle = values.len() / 2;
            if values.len() % 2 == 1 {
                values[middle]
            } else {
                (values[middle - 1] + values[middle]) / 2.0
            }
        };
        let ingress_p99_over_bare = median(|r| r.ingress_p99_over_bare);
        let e2e_p99_over_bare = median(|r| r.e2e_p99_over_bare);
        Some(Self {
            e2e_over_bare: median(|r| r.e2e_over_bare),
            ingress_over_bare: median(|r| r.ingress_over_bare),
            cpu_over_bare: median(|r| r.cpu_over_bare),
            p99_over_bare: ingress_p99_over_bare.max(e2e_p99_over_bare),
            ingress_p99_over_bare,
            e2e_p99_over_bare,
        })
    }

    /// Each target: its line, the measured ratio, and whether it is met.
    pub fn targets(&self) -> [(&'static str, f64, bool); 5] {
        [
            (
                "sustained e2e / bare ≥ 0.7",
                self.e2e_over_bare,
                self.e2e_over_bare >= 0.7,
            ),
            (
                "closed-loop ingress / bare ≥ 0.8",
                self.ingress_over_bare,
                self.ingress_over_bare >= 0.8,
            ),
            (
                "CPU per message / bare ≤ 1.4",
                self.cpu_over_bare,
                self.cpu_over_bare > 0.0 && self.cpu_over_bare <= 1.4,
            ),
            (
                "ingress p99 / bare ≤ 2",
                self.ingress_p99_over_bare,
                self.ingress_p99_over_bare > 0.0 && self.ingress_p99_over_bare <= 2.0,
            ),
            (
                "e2e p99 / bare ≤ 2",
                self.e2e_p99_over_bare,
                self.e2e_p99_over_bare > 0.0 && self.e2e_p99_over_bare <= 2.0,
            ),
        ]
    }

    pub fn print(&self) {
        for (target, value, met) in self.targets() {
            let verdict = if met { "met" } else { "NOT met" };
            println!("  {target:<36} {value:>8.2}   {verdict}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procs::Usage;
    use crate::report::{Latency, Summary};

    fn run(sustained: f64, accepted_per_s: f64, cpu_s: f64, p99_ms: [f64; 2]) -> MixReport {
        let latency = |p99_ms| Latency {
            p99_ms,
            ..Latency::default()
        };
        let mut report = MixReport::empty("mixed");
        report.max_sustained_per_s = sustained;
        report.closed_loop = Summary {
            seconds: 10.0,
            accepted_per_s,
            ..Summary::default()
        };
        report.closed_loop_usage.insert(
            "postgresql".into(),
            Usage {
                peak_rss_mib: 0.0,
                cpu_s,
            },
        );
        report.open_loop.ingress = latency(p99_ms[0]);
        report.open_loop.e2e = latency(p99_ms[1]);
        report
    }

    #[test]
    fn ratios_compare_the_pipeline_with_the_bare_run() {
        let pipeline = run(1400.0, 1800.0, 9.0, [3.0, 30.0]);
        let bare = run(2000.0, 2000.0, 5.0, [2.0, 10.0]);
        let ratios = Ratios::new(&pipeline, &bare);
        assert!((ratios.e2e_over_bare - 0.7).abs() < 1e-9);
        assert!((ratios.ingress_over_bare - 0.9).abs() < 1e-9);
        // 9 s / 18,000 messages against 5 s / 20,000.
        assert!((ratios.cpu_over_bare - 2.0).abs() < 1e-9);
        assert!((ratios.ingress_p99_over_bare - 1.5).abs() < 1e-9);
        assert!((ratios.p99_over_bare - 3.0).abs() < 1e-9);
        let met: Vec<bool> = ratios.targets().iter().map(|t| t.2).collect();
        assert_eq!(met, [true, true, false, true, false]);
    }

    #[test]
    fn several_rounds_give_each_ratios_median() {
        let bare = run(2000.0, 2000.0, 5.0, [2.0, 10.0]);
        let rounds: Vec<Ratios> = [
            run(1400.0, 1000.0, 5.0, [12.0, 10.0]),
            run(1800.0, 1800.0, 5.0, [3.0, 30.0]),
            run(1600.0, 1200.0, 5.0, [4.0, 20.0]),
        ]
        .iter()
        .map(|pipeline| Ratios::new(pipeline, &bare))
        .collect();
        let median = Ratios::median(&rounds).expect("three rounds");
        assert!((median.e2e_over_bare - 0.8).abs() < 1e-9);
        assert!((median.ingress_over_bare - 0.6).abs() < 1e-9);
        // Ingress 6, 1.5, 2 → 2; e2e 1, 3, 2 → 2: a single round's 6 or 3
        // does not decide it.
        assert!((median.ingress_p99_over_bare - 2.0).abs() < 1e-9);
        assert!((median.e2e_p99_over_bare - 2.0).abs() < 1e-9);
        assert!((median.p99_over_bare - 2.0).abs() < 1e-9);
        // Two rounds: the mean of the middle two.
        let two = Ratios::median(&rounds[..2]).expect("two rounds");
        assert!((two.e2e_over_bare - 0.8).abs() < 1e-9);
        assert!((two.ingress_p99_over_bare - 3.75).abs() < 1e-9);
        assert!(Ratios::median(&[]).is_none());
    }

    #[test]
    fn a_bare_run_that_measured_nothing_meets_no_target() {
        let ratios = Ratios::new(
            &run(1000.0, 1000.0, 1.0, [1.0, 1.0]),
            &MixReport::empty("mixed"),
        );
        assert!(ratios.targets().iter().all(|t| !t.2));
    }
}
