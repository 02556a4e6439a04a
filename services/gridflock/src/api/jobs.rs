//! `GET /internal/gridflock/jobs/{id}`: where a pipeline stands, for
//! operators and order-service.

use crate::AppState;
use crate::jobs::{self, Plate};
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use service_common::{ApiResult, Json, Problem};
use uuid::Uuid;

/// A job with its plates.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    id: Uuid,
    tenant_id: Uuid,
    sku: String,
    plan_hash: String,
    status: String,
    step: String,
    plate_count: Option<i32>,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: Option<String>,
    failed_step: Option<String>,
    mapping_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    plates: Vec<Plate>,
}

/// The handler.
pub async fn get(State(app): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<JobView>> {
    let job = jobs::get(&app.pool, id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("pipeline job {id}")))?;
    let plates = jobs::plates(&app.pool, id).await?;
    Ok(Json(JobView {
        id: job.id,
        tenant_id: job.tenant_id,
        sku: job.sku,
        plan_hash: job.plan_hash,
        status: job.status,
        step: job.step,
        plate_count: job.plate_count,
        attempts: job.attempts,
        next_attempt_at: job.next_attempt_at,
        error: job.error,
        failed_step: job.failed_step,
        mapping_id: job.mapping_id,
        created_at: job.created_at,
        finished_at: job.finished_at,
        plates,
    }))
}
