//! `GET /health`: the readiness of every backend in one answer (what
//! Uptime Kuma watches); `GET /health/ready`: the gateway's own readiness
//! (PostgreSQL and Redis).
//!
//! Backends are asked in parallel, each with `GATEWAY_HEALTH_TIMEOUT_MS`
//! (2 s by default), so a stopped or hanging backend shows as down within
//! that time, and the whole answer never takes much longer.

use crate::AppState;
use crate::routes::Backend;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use std::time::Instant;

/// One backend's state.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendHealth {
    /// The service.
    pub name: &'static str,
    /// `up` or `down`.
    pub status: &'static str,
    /// What its `/health/ready` answered, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// How long it took.
    pub elapsed_ms: u64,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

async fn probe(state: &AppState, backend: Backend) -> BackendHealth {
    let started = Instant::now();
    let url = format!("{}/health/ready", state.backend_url(backend));
    let result = tokio::time::timeout(
        state.config.health_timeout,
        state.health_http.get(&url).send(),
    )
    .await;
    let (status, http_status, error) = match result {
        Ok(Ok(r)) if r.status().is_success() => ("up", Some(r.status().as_u16()), None),
        Ok(Ok(r)) => (
            "down",
            Some(r.status().as_u16()),
            Some(format!("/health/ready answered {}", r.status())),
        ),
        Ok(Err(e)) => ("down", None, Some(format!("unreachable: {e}"))),
        Err(_) => (
            "down",
            None,
            Some(format!(
                "no answer within {} ms",
                state.config.health_timeout.as_millis()
            )),
        ),
    };
    BackendHealth {
        name: backend.name(),
        status,
        http_status,
        elapsed_ms: started.elapsed().as_millis() as u64,
        error,
    }
}

/// `GET /health`: 200 when every backend is ready, else 503; always lists each.
pub async fn aggregate(State(state): State<AppState>) -> impl IntoResponse {
    let services = futures::future::join_all(Backend::ALL.iter().map(|b| probe(&state, *b))).await;
    let up = services.iter().all(|s| s.status == "up");
    let code = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        axum::Json(serde_json::json!({
            "status": if up { "ok" } else { "degraded" },
            "service": crate::SERVICE,
            "version": env!("CARGO_PKG_VERSION"),
            "services": services,
        })),
    )
}

/// `GET /health/live`: the gateway process answers (container health check).
pub async fn live() -> impl IntoResponse {
    axum::Json(
        serde_json::json!({ "status": "ok", "service": "gateway", "version": env!("CARGO_PKG_VERSION") }),
    )
}

/// `GET /health/ready`: 200 when PostgreSQL and Redis answer within 2 s.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let limit = std::time::Duration::from_secs(2);
    let started = Instant::now();
    let db = match tokio::time::timeout(limit, sqlx::query("SELECT 1").execute(&state.pool)).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("timed out after 2 s".to_owned()),
    };
    let db_ms = started.elapsed().as_millis() as u64;
    let started = Instant::now();
    let mut redis = state.redis.clone();
    let cache =
        match tokio::time::timeout(limit, redis::cmd("PING").query_async::<String>(&mut redis))
            .await
        {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("timed out after 2 s".to_owned()),
        };
    let redis_ms = started.elapsed().as_millis() as u64;
    let ok = db.is_none() && cache.is_none();
    let check = |name: &str, ms: u64, error: Option<String>| serde_json::json!({ "name": name, "ok": error.is_none(), "elapsedMs": ms, "error": error });
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(serde_json::json!({
            "status": if ok { "ready" } else { "unavailable" },
            "service": crate::SERVICE,
            "checks": [check("postgres", db_ms, db), check("redis", redis_ms, cache)],
        })),
    )
}
