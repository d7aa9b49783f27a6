//! Each service's memory and CPU, read from `/proc` while a phase runs:
//! peak resident set (sampled every 100 ms) and CPU seconds used.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

pub const SERVICES: [&str; 4] = [
    "inlet-ingress",
    "inlet-formatter",
    "inlet-delivery",
    "inlet-api",
];

#[derive(Clone, Debug, Default, Serialize)]
pub struct Usage {
    pub peak_rss_mib: f64,
    pub cpu_s: f64,
}

/// The services' pids, from `scripts/up`'s pid files.
pub fn pids(run_dir: &Path) -> BTreeMap<String, u32> {
    SERVICES
        .iter()
        .filter_map(|service| {
            let text = std::fs::read_to_string(run_dir.join(format!("{service}.pid"))).ok()?;
            let pid = text.trim().parse().ok()?;
            Path::new(&format!("/proc/{pid}"))
                .exists()
                .then(|| (service.to_string(), pid))
        })
        .collect()
}

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of `pid` so far.
fn cpu_s(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// Samples the services until stopped.
pub struct Sampler {
    peaks: Arc<Mutex<BTreeMap<String, f64>>>,
    start_cpu: BTreeMap<String, f64>,
    pids: BTreeMap<String, u32>,
    ticks: f64,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(pids: BTreeMap<String, u32>) -> Self {
        let ticks = clock_ticks();
        let start_cpu = pids
            .iter()
            .filter_map(|(name, &pid)| Some((name.clone(), cpu_s(pid, ticks)?)))
            .collect();
        let peaks = Arc::new(Mutex::new(BTreeMap::new()));
        let shared = peaks.clone();
        let watched = pids.clone();
        let task = tokio::spawn(async move {
            loop {
                for (name, &pid) in &watched {
                    if let Some(rss) = rss_mib(pid)
                        && let Ok(mut peaks) = shared.lock()
                    {
                        let peak: &mut f64 = peaks.entry(name.clone()).or_insert(0.0);
                        *peak = peak.max(rss);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self {
            peaks,
            start_cpu,
            pids,
            ticks,
            task,
        }
    }

    pub fn finish(self) -> BTreeMap<String, Usage> {
        self.task.abort();
        let peaks = self.peaks.lock().map(|p| p.clone()).unwrap_or_default();
        self.pids
            .iter()
            .map(|(name, &pid)| {
                let cpu = cpu_s(pid, self.ticks).unwrap_or(0.0)
                    - self.start_cpu.get(name).copied().unwrap_or(0.0);
                (
                    name.clone(),
                    Usage {
                        peak_rss_mib: peaks.get(name).copied().unwrap_or(0.0),
                        cpu_s: cpu,
                    },
                )
            })
            .collect()
    }
}
