//! A TCP proxy whose connections a test can cut and restore, to play a
//! network blip between a client (a browser, a stream reader) and a service.
//! `cut()` drops every open connection and turns new ones away (accepted,
//! then closed at once) until `restore()`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct TcpProxy {
    pub port: u16,
    state: Arc<Mutex<Link>>,
    /// Stops the accept loop and every connection when the proxy is dropped.
    shutdown: CancellationToken,
}

/// Whether the link is up, and the token that ends the connections made
/// while it was (a new one after each cut).
struct Link {
    up: bool,
    connections: CancellationToken,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let shutdown = CancellationToken::new();
        let state = Arc::new(Mutex::new(Link {
            up: true,
            connections: shutdown.child_token(),
        }));
        tokio::spawn(accept(listener, upstream, state.clone(), shutdown.clone()));
        Ok(Self {
            port,
            state,
            shutdown,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Drops every open connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        let mut link = self.lock();
        link.up = false;
        link.connections.cancel();
        link.connections = self.shutdown.child_token();
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.lock().up = true;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Link> {
        // A poisoned lock only means a test thread panicked: the state is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    state: Arc<Mutex<Link>>,
    shutdown: CancellationToken,
) {
    loop {
        let client = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => client,
                Err(_) => continue,
            },
        };
        let cut = {
            let link = state.lock().unwrap_or_else(|e| e.into_inner());
            link.up.then(|| link.connections.clone())
        };
        // While the link is down the client is closed at once: it sees a reset.
        if let Some(cut) = cut {
            tokio::spawn(forward(client, upstream, cut));
        }
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr, cut: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = cut.cancelled() => {}
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
    }
}
