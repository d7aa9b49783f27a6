//! A service's public HTTP listener beside its ops listener: bound, served
//! and stopped together, the same for ingress and the API.

use crate::ops::OpsServer;
use actix_web::dev::{Server, ServerHandle};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The two bound listeners of a service that serves HTTP.
pub struct Servers {
    /// The public listener's real port (port 0 in the settings picks one).
    pub port: u16,
    /// `/metrics`, `/healthz`, `/readyz`.
    pub ops_port: u16,
    server: Server,
    ops: Server,
}

impl Servers {
    /// `server`, bound at `addrs` (its `HttpServer::addrs`), beside `ops`.
    pub fn new(addrs: &[SocketAddr], server: Server, ops: OpsServer) -> Self {
        Self {
            port: addrs.first().map(|a| a.port()).unwrap_or(0),
            ops_port: ops.port,
            server,
            ops: ops.server,
        }
    }

    /// The public listener's handle, then the ops listener's.
    pub fn handles(&self) -> Vec<ServerHandle> {
        vec![self.server.handle(), self.ops.handle()]
    }

    /// Serves both until `cancel`; the service then stops them in its own
    /// order through the [`Running`] returned.
    pub async fn serve_until(self, cancel: &CancellationToken) -> Running {
        let (handle, ops_handle) = (self.server.handle(), self.ops.handle());
        let server = tokio::spawn(self.server);
        let ops = tokio::spawn(self.ops);
        cancel.cancelled().await;
        Running {
            handle,
            ops_handle,
            server,
            ops,
        }
    }
}

/// Both listeners, serving, once the service was told to stop.
pub struct Running {
    handle: ServerHandle,
    ops_handle: ServerHandle,
    server: JoinHandle<std::io::Result<()>>,
    ops: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops taking requests on the public listener and finishes those in
    /// flight, for at most `grace`. False when some were still running.
    pub async fn stop_gracefully(&self, grace: Duration) -> bool {
        tokio::time::timeout(grace, self.handle.stop(true))
            .await
            .is_ok()
    }

    /// Stops the ops listener and waits until both servers have ended.
    pub async fn finish(self) {
        self.ops_handle.stop(false).await;
        let _ = self.server.await;
        let _ = self.ops.await;
    }
}
