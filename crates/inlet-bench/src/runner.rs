//! Runs a mix's phases against a target (the pipeline, or the bare
//! pipeline): warm-up, closed loop, the sustained-rate trials, then the
//! open loop whose latencies are compared; each phase verified.

use crate::load::{self, ACCEPTED, Ledger, Pace, Phase};
use crate::mixes::{Generator, Mix};
use crate::provision::Provisioned;
use crate::{Durations, PhaseResult, ceilings, observe, procs, report};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What the load goes to and where its effects are read back.
pub struct Target {
    /// `pipeline` or `bare`, for the progress lines.
    pub name: &'static str,
    pub address: SocketAddr,
    pub redis_url: String,
    pub redis_prefix: String,
    pub posts: observe::Posts,
    /// Whether Inlet's services count in the usage (not for the bare one).
    pub services: bool,
    pub run_dir: PathBuf,
    /// The administrative connection, for the `CHECKPOINT` between mixes.
    pub admin_database_url: String,
}

/// The settings of one mix run.
pub struct MixRun<'a> {
    pub mix: Mix,
    /// Marks the run's messages.
    pub run: String,
    pub connections: usize,
    pub warmup_rate: f64,
    /// The rate of the compared open-loop phase; `None`: a quarter of the
    /// target's own sustained rate.
    pub open_rate: Option<f64>,
    pub durations: &'a Durations,
}

impl Target {
    async fn phase(
        &self,
        run: &str,
        pace: Pace,
        duration: Duration,
        channels: &[Uuid],
        generators: &mut Vec<Generator>,
    ) -> anyhow::Result<PhaseResult> {
        let capacity = match pace {
            Pace::Open { rate } => (rate * duration.as_secs_f64()).ceil() as usize + 1,
            Pace::Closed => (40_000.0 * duration.as_secs_f64()) as usize,
        };
        let start = Instant::now() + Duration::from_millis(200);
        let ledger = Arc::new(Ledger::new(capacity, start));
        let listener =
            observe::Listener::start(&self.redis_url, &self.redis_prefix, run, start).await?;
        tokio::time::sleep_until(start.into()).await;
        let sampler = procs::Sampler::start(procs::pids(&self.run_dir, self.services));
        let phase = Phase {
            run: run.to_string(),
            pace,
            duration,
            address: self.address,
        };
        *generators = load::run(phase, ledger.clone(), std::mem::take(generators)).await?;
        let received_at_end = listener.received.load(Ordering::Relaxed);
        let accepted = (0..ledger.capacity())
            .filter(|&n| ledger.outcome(n) == ACCEPTED)
            .count() as u64;
        listener.drain(accepted, Duration::from_secs(10)).await;
        let usage = sampler.finish();
        // A moment for stragglers that would be duplicates.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let receipts = listener.finish().await?;
        let check = observe::check(&ledger, &receipts, &self.posts, channels, run).await?;
        Ok(PhaseResult {
            ledger,
            receipts,
            check,
            duration,
            received_at_end,
            usage,
        })
    }

    /// Every phase of one mix.
    pub async fn mix(
        &self,
        settings: &MixRun<'_>,
        webhooks: &Provisioned,
    ) -> anyhow::Result<report::MixReport> {
        let (mix, run, durations) = (settings.mix, &settings.run, settings.durations);
        let label = format!("{} {}", self.name, mix.name());
        let mut generators = load::generators(
            mix,
            run,
            self.address,
            &webhooks.hooks,
            settings.connections,
        );
        // Each mix starts from clean buffers: no flush of an earlier
        // phase's writes lands in this one's figures.
        ceilings::settle_postgres(&self.admin_database_url, None).await?;
        let channels = &webhooks.channels;
        let mut phase = async |suffix: String, pace: Pace, duration: Duration| {
            eprintln!("== {label}: {suffix} {pace:?} for {duration:?}");
            self.phase(
                &format!("{run}{suffix}"),
                pace,
                duration,
                channels,
                &mut generators,
            )
            .await
        };
        let warmup_pace = Pace::Open {
            rate: settings.warmup_rate,
        };
        let warmup = phase("w".into(), warmup_pace, durations.warmup).await?;
        let closed = phase("c".into(), Pace::Closed, durations.closed).await?;
        let closed_loop = report::summarize(&closed);
        // The highest rate the pipeline sustains: start just under what the
        // closed loop delivered; step up by 15 % while trials pass, down by
        // a fifth while they fail, until one of each brackets it; then halve
        // the bracket while it is wider than SUSTAINED_RESOLUTION (or the
        // trials run out).
        let start = (closed_loop.accepted_per_s.min(closed_loop.delivered_per_s) * 0.95).floor();
        let mut search = SustainedSearch::new(start);
        let mut trials = Vec::new();
        for t in 0..durations.trials {
            let Some(rate) = search.next_rate() else {
                break;
            };
            let trial = phase(format!("t{t}"), Pace::Open { rate }, durations.trial).await?;
            let trial = report::Trial::judge(rate, report::summarize(&trial));
            search.record(rate, trial.passed);
            trials.push(trial);
        }
        let sustained = search.sustained;
        let open_rate = match settings.open_rate.unwrap_or(sustained / 4.0) {
            rate if rate >= 1.0 => rate,
            _ => settings.warmup_rate,
        };
        let open = phase("o".into(), Pace::Open { rate: open_rate }, durations.open).await?;
        Ok(report::MixReport {
            mix: mix.name().to_string(),
            warmup: report::summarize(&warmup),
            open_loop: report::summarize(&open),
            open_loop_usage: open.usage.clone(),
            closed_loop,
            closed_loop_usage: closed.usage.clone(),
            trials,
            max_sustained_per_s: sustained,
            latency_curves: report::curves(&open),
        })
    }
}

/// The sustained rate is searched until a passed and a failed trial are
/// this close (a share of the passed rate).
const SUSTAINED_RESOLUTION: f64 = 0.03;

/// The search for the highest rate that passes a trial.
struct SustainedSearch {
    next: f64,
    /// The highest rate that passed (0: none yet).
    sustained: f64,
    /// The lowest rate that failed (infinite: none yet).
    failed_at: f64,
}

impl SustainedSearch {
    fn new(start: f64) -> Self {
        Self {
            next: start,
            sustained: 0.0,
            failed_at: f64::INFINITY,
        }
    }

    /// The rate of the next trial, `None` when the search is done.
    fn next_rate(&self) -> Option<f64> {
        let bracketed = self.sustained > 0.0 && self.failed_at.is_finite();
        let done = self.next < 1.0
            || self.next >= self.failed_at
            || self.next <= self.sustained
            || (bracketed
                && self.failed_at - self.sustained <= self.sustained * SUSTAINED_RESOLUTION);
        (!done).then_some(self.next)
    }

    fn record(&mut self, rate: f64, passed: bool) {
        if passed {
            self.sustained = self.sustained.max(rate);
        } else {
            self.failed_at = self.failed_at.min(rate);
        }
        self.next = if self.sustained > 0.0 && self.failed_at.is_finite() {
            ((self.sustained + self.failed_at) / 2.0).floor()
        } else {
            (rate * if passed { 1.15 } else { 0.8 }).floor()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rates a search tries against a pipeline that sustains `limit`.
    fn tried(start: f64, limit: f64, trials: usize) -> (Vec<f64>, f64) {
        let mut search = SustainedSearch::new(start);
        let mut rates = Vec::new();
        for _ in 0..trials {
            let Some(rate) = search.next_rate() else {
                break;
            };
            search.record(rate, rate <= limit);
            rates.push(rate);
        }
        (rates, search.sustained)
    }

    #[test]
    fn the_search_steps_up_until_a_failure_then_halves_the_bracket() {
        let (rates, sustained) = tried(1000.0, 1250.0, 10);
        assert_eq!(rates[..3], [1000.0, 1150.0, 1322.0]);
        assert_eq!(rates[3], 1236.0, "half way between 1150 and 1322");
        assert!((1250.0 * 0.97..=1250.0).contains(&sustained), "{sustained}");
    }

    #[test]
    fn the_search_steps_down_until_a_pass() {
        let (rates, sustained) = tried(1000.0, 500.0, 10);
        assert_eq!(rates[..4], [1000.0, 800.0, 640.0, 512.0]);
        assert!((500.0 * 0.97..=500.0).contains(&sustained), "{sustained}");
    }

    #[test]
    fn the_search_ends_when_the_trials_run_out_or_nothing_passes() {
        let (rates, _) = tried(1000.0, 1250.0, 3);
        assert_eq!(rates.len(), 3);
        let (rates, sustained) = tried(1000.0, 0.0, 100);
        assert_eq!(sustained, 0.0);
        assert!(rates.last().is_some_and(|rate| *rate >= 1.0));
    }
}
