//! inlet-ingress: the only public surface. It resolves the token, enforces
//! limits, validates the payload with the same dialect code the formatter
//! uses, resolves the target channel (the ordering key), publishes the raw
//! request and answers 2xx only after the broker's confirm.

mod accept;
mod access_log;
mod answer;
mod batcher;
mod body;
mod delivery_log;
mod door;
mod idempotency_key;
mod integration;
mod last_used;
pub mod metrics;
mod openapi;
mod outcome;
mod publish;
mod rate_limit;
mod readiness;
mod request;
mod server_settings;
pub mod spool;
mod template;
mod token;
pub mod token_screen;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use inlet_bus::Publisher;
use inlet_core::Settings;
use inlet_core::servers::Servers;
use inlet_directory::Directory;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What every request handler shares.
pub(crate) struct State {
    pub settings: Settings,
    pub directory: Arc<Directory>,
    pub publisher: Arc<Publisher>,
    /// Publishes raw webhooks, several per broker message under load.
    pub batcher: batcher::Batcher,
    pub metrics: metrics::IngressMetrics,
    /// Idempotency keys.
    pub redis: inlet_redis::RedisConnection,
    /// Opens webhook signing secrets (`secrets.key_file`).
    pub secrets: Option<inlet_core::secrets::SecretBox>,
    /// Rate-limit cells this replica reserved and has not spent.
    pub reserves: rate_limit::Reserves,
    /// The bytes of request bodies held at once (`ingress.body_budget_bytes`).
    pub body_budget: body::BodyBudget,
    /// Tells tokens Inlet issued from guesses without a lookup.
    pub token_screen: Arc<token_screen::TokenScreen>,
    /// Unknown-token answers per source address.
    pub failed_lookups: token_screen::FailedLookups,
    /// Uses of webhooks not yet written to `webhooks.last_used_at`.
    pub last_used: Arc<last_used::LastUsed>,
    /// Every webhook's delivery log, written in the background.
    pub delivery_log: delivery_log::DeliveryLog,
    /// Webhooks' templates, compiled once per version.
    pub templates: template::TemplateCache,
}

/// A built ingress: listeners bound, broker connecting in the background.
pub struct Ingress {
    pub port: u16,
    pub ops_port: u16,
    servers: Servers,
    background: CancellationToken,
    shutdown_timeout: Duration,
}

impl Ingress {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let registry = inlet_core::telemetry::new_registry("ingress");
        let metrics = metrics::IngressMetrics::register(&registry)
            .context("cannot register ingress's metrics")?;
        let pool = inlet_store::connect(&settings.database).context("database.url")?;
        let directory = Arc::new(Directory::new(
            pool.clone(),
            Duration::from_millis(settings.ingress.token_cache_ttl_ms),
            Duration::from_secs(30),
        ));
        let background = CancellationToken::new();
        let publisher = Publisher::start(&settings.amqp, "inlet-ingress", background.clone());
        // Directory changes announced by inlet-api drop what we cached.
        inlet_directory::invalidation::spawn_listener(
            settings.redis.clone(),
            directory.clone(),
            background.clone(),
        );
        let redis = inlet_redis::manager(&settings.redis).context("redis.url")?;
        let spool = if settings.ingress.spool_dir.is_empty() {
            None
        } else {
            let spool = Arc::new(
                spool::Spool::open(
                    std::path::Path::new(&settings.ingress.spool_dir),
                    metrics.spool_messages.clone(),
                    metrics.spooled.clone(),
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "configuration key `ingress.spool_dir` ({:?}): {e}",
                        settings.ingress.spool_dir
                    )
                })?,
            );
            tokio::spawn(spool.clone().drain(
                publisher.clone(),
                settings.amqp.shards,
                background.clone(),
            ));
            Some(spool)
        };
        let readiness = Arc::new(
            readiness::IngressReadiness {
                spool: spool.clone(),
                publisher: publisher.clone(),
                database: inlet_store::pool::PoolCheck::register(&registry, &pool)
                    .context("cannot register the gauges")?,
                redis: inlet_redis::RedisCheck::register(&registry, &redis)
                    .context("cannot register the gauges")?,
            }
            .checks(),
        );
        let listen = settings.ingress.metrics_listen;
        let ops = inlet_core::ops::bind(listen, registry, readiness)
            .with_context(|| format!("cannot listen on ingress.metrics_listen {listen}"))?;

        let batcher = batcher::Batcher::start(
            publisher.clone(),
            spool.clone(),
            settings.amqp.shards,
            batcher::BatchLimits {
                in_flight: settings.ingress.publish_in_flight,
                max_webhooks: settings.ingress.publish_batch_webhooks,
                max_bytes: settings.ingress.publish_batch_bytes,
                confirm_timeout: Duration::from_millis(settings.amqp.confirm_timeout_ms),
            },
            metrics.publish_batch.clone(),
        );
        let body_budget = body::BodyBudget::new(
            settings.ingress.body_budget_bytes,
            metrics.body_bytes_held.clone(),
            metrics.body_budget_refusals.clone(),
        );
        let token_screen = Arc::new(token_screen::TokenScreen::default());
        tokio::spawn({
            let (screen, pool, cancel) = (token_screen.clone(), pool.clone(), background.clone());
            async move { screen.keep_loaded(pool, cancel).await }
        });
        let delivery_log = delivery_log::DeliveryLog::start(
            &settings.delivery_log,
            &settings.redis,
            redis.clone(),
            metrics.delivery_log_entries.clone(),
            background.clone(),
        );
        let last_used = Arc::new(last_used::LastUsed::default());
        tokio::spawn({
            let (last_used, pool, cancel) = (last_used.clone(), pool.clone(), background.clone());
            let interval = Duration::from_millis(settings.ingress.last_used_flush_ms);
            let outcomes = metrics.last_used_flushes.clone();
            async move {
                last_used
                    .keep_flushing(pool, interval, outcomes, cancel)
                    .await
            }
        });
        let state = web::Data::new(State {
            settings: settings.clone(),
            directory,
            publisher,
            batcher,
            metrics,
            redis,
            secrets: inlet_core::secrets::SecretBox::from_key_file(&settings.secrets.key_file)?,
            reserves: rate_limit::Reserves::default(),
            body_budget,
            token_screen,
            failed_lookups: token_screen::FailedLookups::new(
                settings.ingress.unknown_tokens_per_minute,
            ),
            last_used,
            delivery_log,
            templates: template::TemplateCache::default(),
        });
        let workers = match settings.ingress.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let shutdown_timeout = Duration::from_millis(settings.service.shutdown_timeout_ms);
        use door::routes;
        let http = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(access_log::log_request))
                .route(routes::SLACK, web::post().to(door::slack))
                .route(routes::TALKSPIRIT, web::post().to(door::talkspirit))
                .route(routes::EMAKIN, web::post().to(door::emakin))
                .route(routes::EXTERNAL, web::post().to(door::external))
                .route(routes::ZULIP_SEND, web::post().to(door::zulip_send))
                .route(
                    "/api/v1/server_settings",
                    web::get().to(server_settings::get),
                )
                .route(
                    routes::SLACK_POST_MESSAGE,
                    web::post().to(door::slack_post_message),
                )
                .route("/openapi.json", web::get().to(openapi::get))
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(shutdown_timeout.as_secs().max(1))
        .client_request_timeout(Duration::from_secs(5))
        .bind(settings.ingress.listen)
        .with_context(|| {
            format!(
                "cannot listen on ingress.listen {}",
                settings.ingress.listen
            )
        })?;
        let servers = Servers::new(&http.addrs(), http.run(), ops);
        Ok(Self {
            port: servers.port,
            ops_port: servers.ops_port,
            servers,
            background,
            shutdown_timeout,
        })
    }

    /// Serves until `cancel`, then stops taking requests, finishes those in
    /// flight (their publishes included) and closes the broker connection.
    pub async fn run_until_stopped(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let _stop_on_drop =
            inlet_core::shutdown::StopOnDrop::new(self.servers.handles(), self.background.clone());
        let running = self.servers.serve_until(&cancel).await;
        tracing::info!("ingress stopping: finishing requests in flight");
        if !running.stop_gracefully(self.shutdown_timeout).await {
            tracing::warn!("requests still in flight at the shutdown timeout");
        }
        self.background.cancel();
        running.finish().await;
        Ok(())
    }
}

inlet_core::service!(Ingress, "inlet-ingress", listens);
