//! `/_control/…` routes on the API host: the Rust test controls over HTTP,
//! for running the fake as a binary next to a local stack.

use super::model::{Failure, JobOutcome};
use super::server::Inner;
use crate::sync::lock;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/_control/files", get(files))
        .route("/_control/queue", get(queue))
        .route("/_control/jobs", get(jobs))
        .route("/_control/jobs/start", post(start_job))
        .route("/_control/jobs/{id}/finish", post(finish_job))
        .route("/_control/print-all", post(print_all))
        .route("/_control/fail-next", post(fail_next))
        .route("/_control/webhook", post(set_webhook))
        .route("/_control/webhook-deliveries", get(deliveries))
        .route("/_control/max-part-size", put(max_part_size))
}

fn refused(error: impl std::fmt::Display) -> Response {
    (
        StatusCode::CONFLICT,
        axum::Json(json!({ "error": error.to_string() })),
    )
        .into_response()
}

async fn files(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "files": lock(&inner.farm).files })).into_response()
}

async fn queue(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "queue": lock(&inner.farm).queue })).into_response()
}

async fn jobs(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "jobs": lock(&inner.farm).jobs })).into_response()
}

#[derive(Deserialize)]
struct StartJob {
    queue_item_id: i64,
}

async fn start_job(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<StartJob>,
) -> Response {
    match inner.start_job(body.queue_item_id).await {
        Ok(job) => axum::Json(json!({ "job": job })).into_response(),
        Err(error) => refused(error),
    }
}

#[derive(Deserialize)]
struct FinishJob {
    outcome: JobOutcome,
}

async fn finish_job(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<i64>,
    axum::Json(body): axum::Json<FinishJob>,
) -> Response {
    match inner.finish_job(id, body.outcome).await {
        Ok(job) => axum::Json(json!({ "job": job })).into_response(),
        Err(error) => refused(error),
    }
}

async fn print_all(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "jobs": inner.print_all().await })).into_response()
}

#[derive(Deserialize)]
struct FailNext {
    endpoint: String,
    /// `{"status_false": "message"}` or `{"http": 500}`.
    failure: Failure,
}

async fn fail_next(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<FailNext>,
) -> Response {
    lock(&inner.farm).fail_next(&body.endpoint, body.failure);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct SetWebhook {
    url: String,
    secret: String,
}

async fn set_webhook(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<SetWebhook>,
) -> Response {
    let request = json!({
        "name": "local receiver",
        "url": body.url,
        "secret": body.secret,
        "enabled": true,
        "events": super::farm::ALL_EVENTS,
    });
    match lock(&inner.farm).save_webhook(&request) {
        Ok(webhook) => axum::Json(json!({ "webhook": webhook })).into_response(),
        Err(message) => refused(message),
    }
}

async fn deliveries(State(inner): State<Arc<Inner>>) -> Response {
    axum::Json(json!({ "deliveries": lock(&inner.farm).deliveries })).into_response()
}

#[derive(Deserialize)]
struct MaxPartSize {
    bytes: usize,
}

async fn max_part_size(
    State(inner): State<Arc<Inner>>,
    axum::Json(body): axum::Json<MaxPartSize>,
) -> Response {
    lock(&inner.farm).max_part_size = body.bytes;
    StatusCode::NO_CONTENT.into_response()
}
