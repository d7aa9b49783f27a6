//! One cancellation token per process, cancelled on SIGTERM or Ctrl-C.
//! Every loop selects on it: stop taking work, finish what is held, exit.

use tokio_util::sync::CancellationToken;

/// Returns a token that is cancelled when the process receives SIGTERM or
/// SIGINT.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        trigger.cancel();
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the service");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// What a service's run leaves behind it however it ends (returned, or its
/// future dropped: aborted, or a panic unwinding through it): its HTTP
/// listeners stopped at once and its background tasks told to end. Without
/// it, a dropped run would leave its listeners serving and its broker
/// connections open.
pub struct StopOnDrop {
    servers: Vec<actix_web::dev::ServerHandle>,
    background: CancellationToken,
}

impl StopOnDrop {
    pub fn new(servers: Vec<actix_web::dev::ServerHandle>, background: CancellationToken) -> Self {
        Self {
            servers,
            background,
        }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        for server in &self.servers {
            // The stop command is sent when `stop` is called; the returned
            // future only waits for it, and a stopped server ignores it.
            drop(server.stop(false));
        }
        self.background.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_run_stops_its_listener_and_its_background_tasks() {
        let server = actix_web::HttpServer::new(actix_web::App::new)
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let background = CancellationToken::new();
        let guard = StopOnDrop::new(vec![server.handle()], background.clone());
        let running = tokio::spawn(server);
        let connects = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        assert!(connects());
        drop(guard);
        assert!(background.is_cancelled());
        tokio::time::timeout(std::time::Duration::from_secs(5), running)
            .await
            .expect("the listener stopped")
            .unwrap()
            .unwrap();
        assert!(!connects());
    }
}
