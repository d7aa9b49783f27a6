//! The ops listener every service has: `/metrics`, `/healthz`, `/readyz`.
//!
//! `/readyz` really touches each dependency (through the service's
//! [`Readiness`]) and answers 503 only when a dependency the service cannot
//! work without is down; anything else down is `degraded` with 200.

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
    pub fn new(name: &'static str, required: bool, result: Result<(), String>) -> Self {
        let (state, detail) = match result {
            Ok(()) => (DependencyState::Ok, None),
            Err(detail) => (DependencyState::Down, Some(detail)),
        };
        Self {
            name,
            state,
            required,
            detail,
        }
    }

    /// A dependency the service works without: down means `degraded`.
    pub fn optional(name: &'static str, result: Result<(), String>) -> Self {
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
            if up { Ok(()) } else { Err("refused".into()) },
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

    #[test]
    fn all_up_means_ready() {
        let (ready, body) = readiness_verdict(vec![check("broker", true, true)]);
        assert!(ready);
        assert_eq!(body["status"], "ready");
    }
}
