//! `/health` (the process answers) and `/health/ready` (a slicer can run).
//!
//! The shared readiness checks databases, Redis and other services; this
//! service has none of those but depends on a program on disk, so it
//! reports the slicer binaries found at start-up and the queue instead.

use crate::{AppState, SERVICE};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;

/// One slicer program's state.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SlicerCheck {
    name: &'static str,
    ok: bool,
    binary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The two routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(live))
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
}

async fn live() -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "status": "ok",
        "service": SERVICE,
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let mut checks = vec![check(
        "prusa-slicer",
        &state.config.prusa_bin,
        &state.prusa.status,
        "set SLICER_PRUSA_BIN or install prusa-slicer",
    )];
    if let (Some(bambu), Some(bin)) = (&state.bambu, &state.config.bambu_bin) {
        let name = match state.config.bambu_kind {
            crate::config::BambuKind::BambuStudio => "bambu-studio",
            crate::config::BambuKind::OrcaSlicer => "orca-slicer",
        };
        checks.push(check(name, bin, &bambu.status, "check SLICER_BAMBU_BIN"));
    }
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
            "service": SERVICE,
            "checks": checks,
            "queue": state.queue.status(),
        })),
    )
}

fn check(
    name: &'static str,
    binary: &std::path::Path,
    status: &Result<String, String>,
    hint: &str,
) -> SlicerCheck {
    SlicerCheck {
        name,
        ok: status.is_ok(),
        binary: binary.display().to_string(),
        version: status.as_ref().ok().cloned(),
        error: status.as_ref().err().map(|e| format!("{e}; {hint}")),
    }
}
