//! The bare front: an actix-web server (as many workers as ingress) that
//! answers each POST `202` once its body, routed by the webhook token in its
//! path, is confirmed persistent in the first quorum queue.

use actix_web::{HttpRequest, HttpResponse, web};
use lapin::Confirmation;
use lapin::options::ConfirmSelectOptions;
use std::collections::HashMap;
use std::net::SocketAddr;
use uuid::Uuid;

struct Shared {
    channel: lapin::Channel,
    queue: String,
    routes: HashMap<String, Uuid>,
}

pub struct Front {
    pub address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    _connection: lapin::Connection,
}

impl Front {
    pub async fn start(
        amqp_url: &str,
        queue: &str,
        routes: HashMap<String, Uuid>,
        workers: usize,
    ) -> anyhow::Result<Self> {
        let connection = crate::ceilings::inlet_bus_like_connect(amqp_url).await?;
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        crate::ceilings::declare_quorum(&channel, queue).await?;
        let shared = web::Data::new(Shared {
            channel,
            queue: queue.to_string(),
            routes,
        });
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new()
                        .app_data(shared.clone())
                        .app_data(web::PayloadConfig::new(1024 * 1024))
                        .default_service(web::to(accept))
                })
                .workers(workers)
                .disable_signals()
                .bind("127.0.0.1:0")?;
                let _ = port_tx.send(server.addrs().first().copied());
                let server = server.run();
                let handle = server.handle();
                actix_web::rt::spawn(async move {
                    let _ = stop_rx.await;
                    handle.stop(false).await;
                });
                server.await
            })
        });
        let address = port_rx
            .recv()?
            .ok_or_else(|| anyhow::anyhow!("the bare front bound no address"))?;
        Ok(Self {
            address,
            stop,
            _connection: connection,
        })
    }

    pub fn stop(self) {
        let _ = self.stop.send(());
    }
}

async fn accept(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let Some(channel) = token_of(request.uri()).and_then(|token| shared.routes.get(token)) else {
        return HttpResponse::NotFound().finish();
    };
    let payload = super::envelope(*channel, &body);
    let published =
        crate::ceilings::publish_persistent(&shared.channel, &shared.queue, &payload).await;
    match published {
        Ok(confirm) => match confirm.await {
            Ok(Confirmation::Ack(None)) => HttpResponse::Accepted().finish(),
            _ => HttpResponse::ServiceUnavailable().finish(),
        },
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// The webhook token of a request: the `api_key` query parameter where
/// there is one (the GitHub integration), else the path's last segment.
fn token_of(uri: &actix_web::http::Uri) -> Option<&str> {
    let from_query = uri.query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("api_key="))
    });
    from_query.or_else(|| uri.path().rsplit('/').next().filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn the_token_is_the_last_segment_or_the_api_key() {
        let token = |uri: &str| token_of(&uri.parse().unwrap()).map(str::to_string);
        assert_eq!(token("/hooks/abc").as_deref(), Some("abc"));
        assert_eq!(token("/hooks/channels/c1/abc").as_deref(), Some("abc"));
        assert_eq!(token("/v1/incoming/abc").as_deref(), Some("abc"));
        assert_eq!(
            token("/api/v1/external/github?api_key=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(token("/hooks/"), None);
    }
}
