//! The internal API (`/internal/print-jobs…`, behind `X-Internal-Api-Key`)
//! and the assembly of the whole router.

use crate::files;
use crate::jobs::input;
use crate::jobs::repo::{self, ApplyError, Change, CreateError};
use crate::jobs::state::Cause;
use crate::state::AppState;
use crate::webhooks;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use service_common::auth::{InternalKey, require_internal_key};
use service_common::contracts::{CreatePrintJobs, PrintJob, PrintJobList, PrintJobStatus};
use service_common::health::Readiness;
use service_common::server::standard_layers;
use service_common::{ApiResult, Json, Problem};
use std::collections::HashMap;
use uuid::Uuid;

/// Every route of the service with its layers.
pub(crate) fn app(
    state: AppState,
    readiness: Readiness,
    key: InternalKey,
    upload_limit: usize,
) -> Router {
    let internal = Router::new()
        .route("/internal/print-jobs", post(create).get(list))
        .route("/internal/print-jobs/{id}", get(get_one))
        .route("/internal/print-jobs/{id}/force-status", post(force_status))
        .route_layer(axum::middleware::from_fn_with_state(
            key.clone(),
            require_internal_key,
        ));
    let main = Router::new()
        .merge(internal)
        .route("/webhooks/simplyprint", post(webhooks::receive))
        .with_state(state.clone())
        .merge(readiness.routes());
    // The upload route is merged after the standard layers: it needs a body
    // limit and a timeout of its own (see files.rs).
    standard_layers(main).merge(files::router(state, key, upload_limit))
}

async fn create(
    State(app): State<AppState>,
    body: Result<Json<CreatePrintJobs>, Problem>,
) -> ApiResult<(StatusCode, Json<PrintJobList>)> {
    let Json(req) = body.map_err(name_missing_field)?;
    let errors = input::validate_create(&req);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let (jobs, created) = repo::create(&app.pool, &req).await.map_err(|e| match e {
        CreateError::Conflict(detail) => Problem::conflict(detail),
        CreateError::Db(e) => e.into(),
    })?;
    tracing::info!(
        order_id = %req.order_id,
        line_item_id = %req.line_item_id,
        requested = req.jobs.len(),
        created,
        "print jobs requested"
    );
    let status = if created > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(PrintJobList { jobs })))
}

async fn list(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<PrintJobList>> {
    let raw = params
        .get("orderId")
        .ok_or_else(|| Problem::invalid_field("orderId", "is missing; an order UUID expected"))?;
    let order_id = parse_uuid("orderId", raw)?;
    let jobs = repo::list_by_order(&app.pool, order_id).await?;
    Ok(Json(PrintJobList { jobs }))
}

async fn get_one(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<PrintJob>> {
    let id = parse_uuid("id", &id)?;
    repo::get(&app.pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("print job {id}")))
}

/// Body of `POST /internal/print-jobs/{id}/force-status`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForceStatus {
    status: PrintJobStatus,
    reason: String,
}

/// For stuck jobs: moves a non-terminal job to any other state, with the
/// operator's reason in the history (and as the error of a FAILED job).
async fn force_status(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ForceStatus>, Problem>,
) -> ApiResult<Json<PrintJob>> {
    let Json(body) = body.map_err(name_missing_field)?;
    let id = parse_uuid("id", &id)?;
    let errors = input::validate_reason(&body.reason);
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let reason = body.reason.trim().to_owned();
    let mut tx = app.pool.begin().await?;
    let row = repo::lock(&mut tx, id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("print job {id}")))?;
    let change = Change {
        reason: Some(reason.clone()),
        error: (body.status == PrintJobStatus::Failed).then(|| reason.clone()),
        ..Change::to(body.status, Cause::Operator)
    };
    let row = match repo::apply(&mut tx, row, change).await {
        Ok(applied) => applied.row(),
        Err(ApplyError::Refused(e)) => {
            return Err(Problem::conflict(format!(
                "{e}; allowed targets of a non-terminal job: {}",
                input::status_names()
            )));
        }
        Err(ApplyError::Db(e)) => return Err(e.into()),
    };
    tx.commit().await?;
    tracing::warn!(print_job_id = %id, status = %row.status, %reason, "print job status forced by an operator");
    Ok(Json(row.into_contract()?))
}

/// serde reports a missing field at its parent's path ("body" at the top):
/// name the field itself, as every other input problem does.
fn name_missing_field(mut problem: Problem) -> Problem {
    for error in &mut problem.errors {
        let missing = error
            .message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned());
        if let Some(name) = missing {
            error.field = if error.field == "body" || error.field == "." {
                name
            } else {
                format!("{}.{name}", error.field)
            };
            error.message = "is missing".to_owned();
        }
    }
    if !problem.errors.is_empty() {
        let detail: Vec<String> = problem
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        problem.detail = Some(detail.join("; "));
    }
    problem
}

fn parse_uuid(field: &str, raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| Problem::invalid_field(field, format!("is {raw:?}; a UUID expected")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_named() {
        let p = name_missing_field(Problem::invalid_field(
            "body",
            "missing field `lineItemId` at line 1 column 285",
        ));
        assert_eq!(p.errors[0].field, "lineItemId");
        assert_eq!(p.errors[0].message, "is missing");
        assert_eq!(p.detail.as_deref(), Some("lineItemId: is missing"));
        let p = name_missing_field(Problem::invalid_field(
            "jobs[2]",
            "missing field `partId` at line 1 column 9",
        ));
        assert_eq!(p.errors[0].field, "jobs[2].partId");
        let p = name_missing_field(Problem::invalid_field("jobs[0].copyIndex", "invalid value"));
        assert_eq!(p.errors[0].field, "jobs[0].copyIndex");
        assert_eq!(p.errors[0].message, "invalid value");
    }
}
