//! `POST /internal/files`: a print file (multipart field `file`) uploaded to
//! SimplyPrint's files host; answers its SimplyPrint file id.
//!
//! The route carries its own layers instead of the standard ones: a gcode
//! plate set can be hundreds of megabytes, so the body limit is raised for
//! this route only, and the upload to SimplyPrint (in parts) may take longer
//! than the 30 s every other request gets.

use crate::jobs::input;
use crate::simplyprint::SimplyPrintError;
use crate::state::AppState;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use service_common::auth::{InternalKey, require_internal_key};
use service_common::contracts::UploadedFile;
use service_common::{ApiResult, Json, Problem};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// A whole upload, all parts included, must finish within this.
const UPLOAD_REQUEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The upload route with its layers.
pub(crate) fn router(state: AppState, key: InternalKey, body_limit: usize) -> Router {
    Router::new()
        .route("/internal/files", post(upload))
        .route_layer(axum::middleware::from_fn_with_state(
            key,
            require_internal_key,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            UPLOAD_REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(
            service_common::telemetry::correlation_layer,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal("handler panicked").into_response()
        }))
}

async fn upload(
    State(app): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UploadedFile>> {
    let mut multipart = multipart.map_err(|e| {
        Problem::bad_request(format!(
            "send the file as multipart/form-data with a field \"file\" ({})",
            e.body_text()
        ))
    })?;
    while let Some(field) = multipart.next_field().await.map_err(multipart_problem)? {
        if field.name() != Some("file") {
            continue;
        }
        let name =
            input::upload_file_name(field.file_name()).map_err(|e| Problem::invalid(vec![e]))?;
        let data = field.bytes().await.map_err(multipart_problem)?;
        if data.is_empty() {
            return Err(Problem::invalid_field(
                "file",
                "is empty; a print file of at least 1 byte expected",
            ));
        }
        let size = data.len();
        let uploaded = app
            .simplyprint
            .upload_file(&name, data)
            .await
            .map_err(upstream_problem)?;
        tracing::info!(file = %uploaded.name, size, file_id = %uploaded.file_id, "print file uploaded to SimplyPrint");
        return Ok(Json(uploaded));
    }
    Err(Problem::invalid_field(
        "file",
        "is missing; send the print file as multipart field \"file\"",
    ))
}

fn multipart_problem(e: MultipartError) -> Problem {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::new(status, "payload-too-large", "Payload too large")
            .detail("the file is larger than PRINT_UPLOAD_MAX_BYTES allows");
    }
    Problem::bad_request(format!(
        "the multipart body cannot be read: {}",
        e.body_text()
    ))
}

fn upstream_problem(e: SimplyPrintError) -> Problem {
    tracing::warn!(error = %e, "upload to SimplyPrint failed");
    if e.is_transient() {
        return Problem::unavailable(format!("{e}; retry later"));
    }
    Problem::new(
        StatusCode::BAD_GATEWAY,
        "upstream-refused",
        "SimplyPrint refused",
    )
    .detail(e.to_string())
}
