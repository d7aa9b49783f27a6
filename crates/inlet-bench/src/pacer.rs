//! Sub-millisecond pacing for the open loop.
//!
//! tokio's timers tick in whole milliseconds and round a deadline up to the
//! next tick, so a message paced with `tokio::time::sleep` leaves 0–1 ms
//! after its due time, and that lateness, the generator's own, counted in
//! every latency measured from the due time. The pacer is one thread that
//! sleeps with the operating system's timer (tens of microseconds of
//! slack) until each message's due time and then releases it to its
//! connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One connection's releases: the count of its messages that are due.
struct Gate {
    released: AtomicU64,
    notify: Notify,
}

/// Releases message `n` (sent on connection `n % connections`) at
/// `start + n / rate`.
pub struct Pacer {
    gates: Vec<Gate>,
}

impl Pacer {
    /// Starts the pacing thread for the messages due before `start +
    /// duration`; the thread ends after releasing the last of them.
    pub fn start(
        start: Instant,
        rate: f64,
        duration: Duration,
        connections: usize,
    ) -> std::io::Result<Arc<Self>> {
        let pacer = Arc::new(Self {
            gates: (0..connections.max(1))
                .map(|_| Gate {
                    released: AtomicU64::new(0),
                    notify: Notify::new(),
                })
                .collect(),
        });
        let worker = pacer.clone();
        std::thread::Builder::new()
            .name("inlet-bench-pacer".into())
            .spawn(move || worker.run(start, rate, duration))?;
        Ok(pacer)
    }

    fn run(&self, start: Instant, rate: f64, duration: Duration) {
        let k = self.gates.len() as u64;
        for n in 0.. {
            let offset = Duration::from_secs_f64(n as f64 / rate);
            if offset >= duration {
                break;
            }
            let due = start + offset;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let gate = &self.gates[(n % k) as usize];
            // Connection c's j-th message is n = j·k + c: j + 1 are due.
            gate.released.store(n / k + 1, Ordering::Release);
            gate.notify.notify_waiters();
        }
    }

    /// Waits until the `j`-th message of `connection` is due.
    pub async fn wait(&self, connection: usize, j: u64) {
        let gate = &self.gates[connection];
        loop {
            let notified = gate.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if gate.released.load(Ordering::Acquire) > j {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn releases_each_connection_in_turn_and_on_time() {
        let start = Instant::now() + Duration::from_millis(5);
        let rate = 2000.0;
        let pacer = Pacer::start(start, rate, Duration::from_millis(15), 3).unwrap();
        for j in 0..10u64 {
            for c in 0..3usize {
                pacer.wait(c, j).await;
                let n = j * 3 + c as u64;
                let due = start + Duration::from_secs_f64(n as f64 / rate);
                assert!(Instant::now() >= due, "message {n} released early");
            }
        }
    }
}
