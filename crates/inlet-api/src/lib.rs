//! inlet-api: management (teams, users, channels, webhooks, dead letters),
//! reading (posts), the live event stream of a channel, and the web viewer.
//! Every API route needs a bearer token: an admin token to manage, an admin
//! or read token to read and stream; the viewer's page and assets need none
//! (they hold no data; the page's own calls carry a token).

mod auth;
mod body;
mod error;
mod fields;
mod metrics;
pub mod openapi;
mod readiness;
mod routes;
mod stream_slots;
mod viewer;

pub use auth::TokenSet;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use inlet_core::Settings;
use inlet_core::servers::Servers;
use inlet_directory::invalidation::Control;
use inlet_redis::RedisConnection;
use inlet_store::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What every handler shares.
pub(crate) struct State {
    pub settings: Settings,
    pub pool: Pool,
    /// Announces directory changes to ingress and formatter replicas.
    pub redis: RedisConnection,
    pub admin: TokenSet,
    pub readers: TokenSet,
    /// Seals webhook signing secrets (`secrets.key_file`).
    pub secrets: Option<inlet_core::secrets::SecretBox>,
    /// Cancelled on shutdown: live streams end cleanly.
    pub shutdown: CancellationToken,
    /// Replays dead letters onto the bus (connects in the background; a
    /// replay while the broker is away answers 503).
    pub publisher: Arc<inlet_bus::Publisher>,
    /// The channels' posts as they are published, shared by the live streams.
    pub live_feed: inlet_redis::live_feed::LiveFeed<routes::events::LiveEvent>,
    /// The caps on live streams.
    pub stream_slots: Arc<stream_slots::StreamSlots>,
    pub metrics: metrics::ApiMetrics,
}

pub struct Api {
    pub port: u16,
    pub ops_port: u16,
    servers: Servers,
    shutdown: CancellationToken,
    /// Stops the publisher's supervisor and the live feed, after the server.
    background: CancellationToken,
    shutdown_timeout: Duration,
}

impl Api {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let registry = inlet_core::telemetry::new_registry("api");
        let pool = inlet_store::connect(&settings.database).context("database.url")?;
        let redis = inlet_redis::manager(&settings.redis).context("redis.url")?;
        let admin = TokenSet::load("api.admin_tokens", &settings.api.admin_tokens)?;
        let readers = TokenSet::load("api.read_tokens", &settings.api.read_tokens)?;
        if admin.is_empty() {
            tracing::warn!("api.admin_tokens is empty: every management request will be refused");
        }
        let readiness = Arc::new(
            readiness::ApiReadiness {
                database: inlet_store::pool::PoolCheck::register(&registry, &pool)?,
                redis: inlet_redis::RedisCheck::register(&registry, &redis)?,
            }
            .checks(),
        );
        let metrics = metrics::ApiMetrics::register(&registry)?;
        let ops_listen = settings.api.metrics_listen;
        let ops = inlet_core::ops::bind(ops_listen, registry, readiness)
            .with_context(|| format!("cannot listen on api.metrics_listen {ops_listen}"))?;
        let shutdown = CancellationToken::new();
        let background = CancellationToken::new();
        let publisher =
            inlet_bus::Publisher::start(&settings.amqp, "inlet-api", background.clone());
        let live_feed = inlet_redis::live_feed::LiveFeed::start(
            &settings.redis,
            settings.api.stream_buffer_events,
            routes::events::LiveEvent::decode,
            background.clone(),
        )?;
        let stream_slots = stream_slots::StreamSlots::new(
            settings.api.max_streams_per_token,
            settings.api.max_streams_total,
            metrics.clone(),
        );
        let shutdown_timeout = Duration::from_millis(settings.service.shutdown_timeout_ms);
        let listen = settings.api.listen;
        let json_limit = settings.api.max_body_bytes;
        let secrets = inlet_core::secrets::SecretBox::from_key_file(&settings.secrets.key_file)?;
        let state = web::Data::new(State {
            settings,
            pool,
            redis: redis.clone(),
            admin,
            readers,
            secrets,
            shutdown: shutdown.clone(),
            publisher,
            live_feed,
            stream_slots,
            metrics,
        });
        let http = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // The body was already read within `api.max_body_bytes`
                // (routes::manage); this only keeps actix's own 2 MiB limit
                // from being the smaller one.
                .app_data(
                    web::JsonConfig::default()
                        .limit(json_limit)
                        .error_handler(error::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(error::query_error))
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .configure(routes::configure)
        })
        .disable_signals()
        // A client that closes its connection ends its live stream at once
        // (actix drops the response body when it reads the EOF). With
        // half-closed connections allowed, the EOF is only noted and the
        // stream lingers until a heartbeat fails to be written, 15 to 45 s
        // later, holding its slot all the while. No client of this API
        // sends a request and then half-closes to wait for the answer.
        .h1_allow_half_closed(false)
        .shutdown_timeout(shutdown_timeout.as_secs().max(1))
        .bind(listen)?;
        let servers = Servers::new(&http.addrs(), http.run(), ops);
        Ok(Self {
            port: servers.port,
            ops_port: servers.ops_port,
            servers,
            shutdown,
            background,
            shutdown_timeout,
        })
    }

    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let running = self.servers.serve_until(&cancel).await;
        // End live streams first, so graceful stop does not wait on them.
        self.shutdown.cancel();
        running.stop_gracefully(self.shutdown_timeout).await;
        running.finish().await;
        self.background.cancel();
        Ok(())
    }
}

impl State {
    /// Tells every ingress and formatter replica that `team` changed.
    pub(crate) async fn team_changed(&self, team_id: uuid::Uuid) {
        inlet_directory::invalidation::announce(
            &self.redis,
            &self.settings.redis,
            &Control::Team { team_id },
        )
        .await;
    }

    /// Tells every ingress replica to forget the tokens it resolved.
    pub(crate) async fn tokens_changed(&self) {
        inlet_directory::invalidation::announce(
            &self.redis,
            &self.settings.redis,
            &Control::Tokens,
        )
        .await;
    }
}

/// `inlet-api migrate`: creates the database if needed and applies every
/// pending migration.
pub async fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    let created = inlet_store::migrate::create_database_if_missing(&settings.database.url).await?;
    if created {
        tracing::info!("database created");
    }
    let pool = inlet_store::connect(&settings.database)?;
    let mut client = pool.get().await?;
    Ok(inlet_store::migrate::run(&mut client).await?)
}

inlet_core::service!(Api, "inlet-api", listens);
