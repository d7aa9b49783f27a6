//! The ops listener every service has: `/metrics`, `/healthz`, `/readyz`.
//!
//! `/readyz` really touches each dependency (through the service's
//! [`Readiness`], usually a [`Checks`]) and answers 503 only when a
//! dependency the service cannot work without is down; anything else down
//! is `degraded` with 200.

use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use prometheus::Registry;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DependencyState {
    Ok,
    Degraded,
    Down,
}

/// The state of one dependency as seen just now.
#[derive(Clone, Debug, Serialize)]
pub struct DependencyCheck {
    #[serde(skip)]
    pub name: &'static str,
    pub state: DependencyState,
    /// Without it the service cannot work (then `down` means not ready).
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl DependencyCheck {
    pub fn new(name: &'static str, required: bool, result: Result<(), Down>) -> Self {
        let (state, detail) = match result {
            Ok(()) => (DependencyState::Ok, None),
            Err(Down(detail)) => (DependencyState::Down, Some(detail)),
        };
        Self {
            name,
            state,
            required,
            detail,
        }
    }

    /// A dependency the service works without: down means `degraded`.
    pub fn optional(name: &'static str, result: Result<(), Down>) -> Self {
        let mut check = Self::new(name, false, result);
        if check.state == DependencyState::Down {
            check.state = DependencyState::Degraded;
        }
        check
    }
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Vec<DependencyCheck>> + Send + 'a>>;

pub type SampleFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What a service's `/readyz` asks, and what it samples for `/metrics`.
pub trait Readiness: Send + Sync + 'static {
    fn check(&self) -> CheckFuture<'_>;

    /// Updates the gauges that are sampled at scrape time (queue depths,
    /// pool usage, …) just before `/metrics` renders.
    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(async {})
    }
}

/// Why a dependency is down, as `/readyz` shows it (its error's text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Down(pub String);

/// What a probe of one dependency answers: `Err` says why it is down.
pub type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), Down>> + Send>>;

type Probe = Box<dyn Fn() -> ProbeFuture + Send + Sync>;

/// How a dependency's state counts.
#[derive(Clone, Copy)]
enum Need {
    /// Down means not ready.
    Required,
    /// Down means `degraded`.
    Optional,
    /// Down is shown as down, and means not ready only when `required`.
    Configured { required: bool },
}

type Sampler = Box<dyn Fn() -> SampleFuture<'static> + Send + Sync>;

/// A service's readiness, declared dependency by dependency:
/// `Checks::new().required("database", probe).optional("redis", probe)`,
/// plus what `/metrics` samples.
#[derive(Default)]
pub struct Checks {
    probes: Vec<(&'static str, Need, Probe)>,
    samplers: Vec<Sampler>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// A dependency the service cannot work without (down: not ready).
    pub fn required<F, Fut, E>(self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        self.probe(name, Need::Required, probe)
    }

    /// A dependency the service works without (down: `degraded`).
    pub fn optional<F, Fut, E>(self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        self.probe(name, Need::Optional, probe)
    }

    /// A dependency that is required or not depending on configuration;
    /// down is shown as `down` either way.
    pub fn required_if<F, Fut, E>(self, name: &'static str, required: bool, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        self.probe(name, Need::Configured { required }, probe)
    }

    fn probe<F, Fut, E>(mut self, name: &'static str, need: Need, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let probe: Probe = Box::new(move || -> ProbeFuture {
            let probing = probe();
            Box::pin(async move { probing.await.map_err(|e| Down(e.to_string())) })
        });
        self.probes.push((name, need, probe));
        self
    }

    /// Something `/metrics` samples at scrape time (pool usage, queue depths…).
    pub fn sampling<F, Fut>(mut self, sample: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let sampler: Sampler = Box::new(move || -> SampleFuture<'static> { Box::pin(sample()) });
        self.samplers.push(sampler);
        self
    }
}

/// A probe of a flag the service keeps itself (connected, writable…).
pub fn flag(up: bool, why_not: &'static str) -> std::future::Ready<Result<(), &'static str>> {
    std::future::ready(if up { Ok(()) } else { Err(why_not) })
}

impl Readiness for Checks {
    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move {
            let mut checks = Vec::with_capacity(self.probes.len());
            for &(name, need, ref probe) in &self.probes {
                let result = probe().await;
                checks.push(match need {
                    Need::Required => DependencyCheck::new(name, true, result),
                    Need::Optional => DependencyCheck::optional(name, result),
                    Need::Configured { required } => DependencyCheck::new(name, required, result),
                });
            }
            checks
        })
    }

    fn sample(&self) -> SampleFuture<'_> {
        Box::pin(async move {
            for sample in &self.samplers {
                sample().await;
            }
        })
    }
}

#[derive(Serialize)]
struct ReadyBody {
    status: &'static str,
    dependencies: BTreeMap<&'static str, DependencyCheck>,
}

/// Decides the status and HTTP code from the checks.
pub fn readiness_verdict(checks: Vec<DependencyCheck>) -> (bool, serde_json::Value) {
    let ready = checks
        .iter()
        .all(|c| !c.required || c.state == DependencyState::Ok);
    let degraded = checks.iter().any(|c| c.state != DependencyState::Ok);
    let status = match (ready, degraded) {
        (false, _) => "not_ready",
        (true, true) => "degraded",
        (true, false) => "ready",
    };
    let body = ReadyBody {
        status,
        dependencies: checks.into_iter().map(|c| (c.name, c)).collect(),
    };
    (ready, serde_json::to_value(body).unwrap_or_default())
}

struct OpsState {
    registry: Registry,
    readiness: Arc<dyn Readiness>,
}

async fn metrics(state: web::Data<OpsState>) -> HttpResponse {
    // Sampling must never hold up a scrape for long.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), state.readiness.sample()).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::render(&state.registry))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "alive"}))
}

async fn readyz(state: web::Data<OpsState>) -> HttpResponse {
    let (ready, body) = readiness_verdict(state.readiness.check().await);
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// A bound ops listener: its real port and the server to spawn.
pub struct OpsServer {
    pub port: u16,
    pub server: Server,
}

/// Binds the ops listener (port 0 picks a free port).
pub fn bind(
    addr: SocketAddr,
    registry: Registry,
    readiness: Arc<dyn Readiness>,
) -> std::io::Result<OpsServer> {
    let state = web::Data::new(OpsState {
        registry,
        readiness,
    });
    let http = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(metrics))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(addr)?;
    let port = http.addrs().first().map(|a| a.port()).unwrap_or(0);
    Ok(OpsServer {
        port,
        server: http.run(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &'static str, required: bool, up: bool) -> DependencyCheck {
        DependencyCheck::new(
            name,
            required,
            if up {
                Ok(())
            } else {
                Err(Down("refused".into()))
            },
        )
    }

    #[test]
    fn a_required_dependency_down_means_not_ready() {
        let (ready, body) = readiness_verdict(vec![
            check("broker", true, false),
            check("redis", false, true),
        ]);
        assert!(!ready);
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["dependencies"]["broker"]["state"], "down");
    }

    #[test]
    fn an_optional_dependency_down_means_degraded_but_ready() {
        let (ready, body) = readiness_verdict(vec![
            check("broker", true, true),
            check("redis", false, false),
        ]);
        assert!(ready);
        assert_eq!(body["status"], "degraded");
    }

    #[tokio::test]
    async fn checks_probe_each_dependency_as_declared() {
        let checks = Checks::new()
            .required("broker", || flag(true, "not connected"))
            .optional("redis", || flag(false, "refused"))
            .required_if("spool", false, || flag(false, "not writable"));
        let (ready, body) = readiness_verdict(checks.check().await);
        assert!(ready);
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["dependencies"]["redis"]["state"], "degraded");
        assert_eq!(body["dependencies"]["redis"]["detail"], "refused");
        assert_eq!(body["dependencies"]["spool"]["state"], "down");
        assert_eq!(body["dependencies"]["spool"]["required"], false);
        let down = Checks::new().required("database", || flag(false, "refused"));
        let (ready, body) = readiness_verdict(down.check().await);
        assert!(!ready);
        assert_eq!(body["dependencies"]["database"]["state"], "down");
    }

    #[test]
    fn all_up_means_ready() {
        let (ready, body) = readiness_verdict(vec![check("broker", true, true)]);
        assert!(ready);
        assert_eq!(body["status"], "ready");
    }
}
