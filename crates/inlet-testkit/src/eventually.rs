//! Waiting for what the pipeline does in the background: poll until a
//! condition holds, and fail the test with what was last seen when it
//! never does.

use std::future::Future;
use std::time::Duration;

/// How often [`eventually`] looks again.
const POLL: Duration = Duration::from_millis(50);

/// Calls `probe` until it answers `Ok`, every 50 ms, for at most
/// `timeout`; then fails the test with `what` and the last `Err` (what was
/// seen instead).
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) if tokio::time::Instant::now() >= deadline => {
                panic!("{what}: not after {timeout:?}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
