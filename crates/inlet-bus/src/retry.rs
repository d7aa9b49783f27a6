//! Waiting out an outage: a capped backoff, and [`retry_until`], the one
//! loop every worker uses to retry a step until it passes or shutdown.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const FIRST: Duration = Duration::from_millis(100);

/// Exponential backoff with jitter-free doubling, capped.
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at 100 ms (or `max`, when smaller).
    pub fn new(max: Duration) -> Self {
        Self {
            next: FIRST.min(max),
            max,
        }
    }

    /// The delay to wait now; the following one doubles.
    pub fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }

    pub fn reset(&mut self) {
        self.next = FIRST.min(self.max);
    }
}

/// The backoff of a worker waiting for a dependency: up to 5 s between tries.
pub fn dependency_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(5))
}

/// Runs `attempt` until it succeeds, logging each failure as `what` and
/// waiting `backoff` between tries. `None` when `cancel` fires during a
/// wait (shutdown: the caller leaves its work unacknowledged).
pub async fn retry_until<T, E, F, Fut>(
    cancel: &CancellationToken,
    mut backoff: Backoff,
    what: &str,
    mut attempt: F,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Display,
{
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(error) => {
                tracing::warn!(%error, "{what}; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return None,
                    _ = tokio::time::sleep(backoff.step()) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_is_retried_until_it_passes() {
        let cancel = CancellationToken::new();
        let mut tries = 0;
        let no_wait = Backoff::new(Duration::ZERO);
        let result = retry_until(&cancel, no_wait, "test", || {
            tries += 1;
            let now = tries;
            async move { if now < 3 { Err("down") } else { Ok(now) } }
        })
        .await;
        assert_eq!(result, Some(3));
    }

    #[tokio::test]
    async fn shutdown_ends_the_wait() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let result: Option<()> = retry_until(&cancel, dependency_backoff(), "test", || async {
            Err("down")
        })
        .await;
        assert_eq!(result, None);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let mut backoff = Backoff::new(Duration::from_millis(300));
        let steps: Vec<u128> = (0..4).map(|_| backoff.step().as_millis()).collect();
        assert_eq!(steps, [100, 200, 300, 300]);
    }
}
