//! Each service's memory and CPU, read from `/proc` while a phase runs:
//! peak resident set (sampled every 100 ms) and CPU seconds used. The
//! servers the pipeline runs on (RabbitMQ, PostgreSQL, Redis) are measured
//! too, each as the sum of its processes, so that the CPU a message costs
//! can be split between Inlet and what it stands on.

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

/// The servers, by the command names of their processes.
pub const SERVERS: [(&str, &[&str]); 3] = [
    ("rabbitmq", &["beam.smp", "erl_child_setup", "epmd"]),
    ("postgresql", &["postgres"]),
    ("redis", &["redis-server"]),
];

/// Whether `name` (a key of [`pids`]) is one of Inlet's services.
pub fn is_service(name: &str) -> bool {
    SERVICES.contains(&name)
}

/// The bench's own process (the load generator, and the bare pipeline when
/// it runs): counted for both pipelines, so that "all processes" means the
/// same on either side of a ratio.
pub const BENCH: &str = "inlet-bench";

/// The services' pids (from `scripts/up`'s pid files) when `services`, the
/// bench's own, and the servers' (every process with one of their command
/// names).
pub fn pids(run_dir: &Path, services: bool) -> BTreeMap<String, Vec<u32>> {
    let listed: &[&str] = if services { &SERVICES } else { &[] };
    let mut groups: BTreeMap<String, Vec<u32>> = listed
        .iter()
        .filter_map(|service| {
            let text = std::fs::read_to_string(run_dir.join(format!("{service}.pid"))).ok()?;
            let pid = text.trim().parse().ok()?;
            Path::new(&format!("/proc/{pid}"))
                .exists()
                .then(|| (service.to_string(), vec![pid]))
        })
        .collect();
    groups.insert(BENCH.to_string(), vec![std::process::id()]);
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return groups;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        if let Some((server, _)) = SERVERS
            .iter()
            .find(|(_, names)| names.contains(&comm.trim()))
        {
            groups.entry(server.to_string()).or_default().push(pid);
        }
    }
    groups
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

/// CPU seconds of each process of a group.
fn group_cpu_s(group: &[u32], ticks: f64) -> BTreeMap<u32, f64> {
    group
        .iter()
        .filter_map(|&pid| Some((pid, cpu_s(pid, ticks)?)))
        .collect()
}

/// Samples the services until stopped.
pub struct Sampler {
    peaks: Arc<Mutex<BTreeMap<String, f64>>>,
    start_cpu: BTreeMap<String, BTreeMap<u32, f64>>,
    pids: BTreeMap<String, Vec<u32>>,
    ticks: f64,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(pids: BTreeMap<String, Vec<u32>>) -> Self {
        let ticks = clock_ticks();
        let start_cpu = pids
            .iter()
            .map(|(name, group)| (name.clone(), group_cpu_s(group, ticks)))
            .collect();
        let peaks = Arc::new(Mutex::new(BTreeMap::new()));
        let shared = peaks.clone();
        let watched = pids.clone();
        let task = tokio::spawn(async move {
            loop {
                for (name, group) in &watched {
                    let rss: f64 = group.iter().filter_map(|&pid| rss_mib(pid)).sum();
                    if let Ok(mut peaks) = shared.lock() {
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
            .map(|(name, group)| {
                // Processes that ended meanwhile are left out.
                let start = self.start_cpu.get(name);
                let cpu = group_cpu_s(group, self.ticks)
                    .iter()
                    .filter_map(|(pid, end)| Some(end - start?.get(pid)?))
                    .sum();
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
