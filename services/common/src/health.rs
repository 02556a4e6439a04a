//! `/health` and `/health/live` (the process answers) and `/health/ready`
//! (it can do its work). Container health checks use `/health/live`, so a
//! service is not restarted because a dependency is down; the gateway gives
//! `/health` its own, aggregated meaning.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use redis::aio::ConnectionManager;
use serde::Serialize;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What readiness checks.
#[derive(Clone)]
pub struct Readiness {
    service: &'static str,
    db: Option<PgPool>,
    redis: Option<ConnectionManager>,
    dependencies: Vec<(String, String)>,
    http: reqwest::Client,
}

/// One check's outcome.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Check {
    name: String,
    ok: bool,
    elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Readiness {
    /// Readiness of `service`, checking nothing yet.
    pub fn new(service: &'static str) -> Self {
        Self {
            service,
            db: None,
            redis: None,
            dependencies: Vec::new(),
            http: crate::client::http_client(Duration::from_secs(2)),
        }
    }

    /// Checks PostgreSQL with `SELECT 1`.
    pub fn with_db(mut self, pool: PgPool) -> Self {
        self.db = Some(pool);
        self
    }

    /// Checks Redis with `PING`.
    pub fn with_redis(mut self, redis: ConnectionManager) -> Self {
        self.redis = Some(redis);
        self
    }

    /// Checks another service's `/health` at `base_url`.
    pub fn with_dependency(mut self, name: &str, base_url: &str) -> Self {
        self.dependencies
            .push((name.to_owned(), format!("{base_url}/health")));
        self
    }

    /// The two routes.
    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/health", get(live))
            .route("/health/live", get(live))
            .route("/health/ready", get(ready))
            .with_state(Arc::new(self))
    }

    async fn run_checks(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        if let Some(db) = &self.db {
            let started = Instant::now();
            let result =
                tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(db))
                    .await;
            checks.push(check("postgres", started, flatten(result)));
        }
        if let Some(redis) = &self.redis {
            let started = Instant::now();
            let mut conn = redis.clone();
            let result = tokio::time::timeout(
                Duration::from_secs(2),
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            checks.push(check("redis", started, flatten(result)));
        }
        for (name, url) in &self.dependencies {
            let started = Instant::now();
            let result = match self.http.get(url).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("answered {}", r.status())),
                Err(e) => Err(e.to_string()),
            };
            checks.push(check(name, started, result));
        }
        checks
    }
}

fn flatten<T, E: std::fmt::Display>(
    r: Result<Result<T, E>, tokio::time::error::Elapsed>,
) -> Result<(), String> {
    match r {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 2 s".to_owned()),
    }
}

fn check(name: &str, started: Instant, result: Result<(), String>) -> Check {
    Check {
        name: name.to_owned(),
        ok: result.is_ok(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        error: result.err(),
    }
}

async fn live(State(r): State<Arc<Readiness>>) -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "status": "ok",
        "service": r.service,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn ready(State(r): State<Arc<Readiness>>) -> impl IntoResponse {
    let checks = r.run_checks().await;
    let ok = checks.iter().all(|c| c.ok);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({
            "status": if ok { "ready" } else { "unavailable" },
            "service": r.service,
            "checks": checks,
        })),
    )
}
