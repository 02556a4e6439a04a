//! `POST /internal/gridflock/generate-for-order`: a line item waits for the
//! plates of its SKU. Answers 202 at once; the pipeline runs in the worker.

use crate::AppState;
use crate::api::features;
use crate::input::{Choice, check_print_settings};
use crate::jobs::{self, NewJob, Waiter, outcome};
use axum::extract::State;
use axum::http::StatusCode;
use service_common::contracts::{GenerateForOrder, GenerationAccepted};
use service_common::{ApiResult, Json, Problem};

/// The handler.
pub async fn generate_for_order(
    State(app): State<AppState>,
    Json(req): Json<GenerateForOrder>,
) -> ApiResult<(StatusCode, Json<GenerationAccepted>)> {
    if !features::enabled(&app.pool, req.tenant_id, app.config.enabled_by_default).await? {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "gridflock-disabled",
            "GridFlock is disabled for this tenant",
        )
        .detail(format!(
            "tenant {} may not generate GridFlock baseplates; an operator enables it with \
             PUT /internal/gridflock/tenants/{}/feature {{\"enabled\": true}}",
            req.tenant_id, req.tenant_id
        )));
    }
    let choice = Choice {
        width_mm: f64::from(req.width_mm),
        height_mm: f64::from(req.height_mm),
        connector: req.connector_type,
        magnets: req.magnets,
        printer_profile: req.print_settings.printer_profile.clone(),
    };
    let mut errors = check_print_settings(&req.print_settings);
    let planned = match choice.plan("printSettings.printerProfile") {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let planned = match planned {
        Some(p) if errors.is_empty() => p,
        _ => return Err(Problem::invalid(errors)),
    };
    let plan_hash =
        gridflock_core::hash::plan_hash(&planned.plan, &req.print_settings.slicer_profile_key());
    let new = NewJob {
        tenant_id: req.tenant_id,
        sku: planned.sku.clone(),
        plan_hash,
        params: serde_json::to_value(&planned.params).map_err(Problem::internal)?,
        print_settings: serde_json::to_value(&req.print_settings).map_err(Problem::internal)?,
    };
    let waiter = Waiter {
        order_id: req.order_id,
        line_item_id: req.line_item_id,
    };
    let (job_id, status) = jobs::submit(&app.pool, &new, waiter).await?;
    if status == outcome::STARTED {
        app.wake.notify_one();
    }
    tracing::info!(%job_id, sku = %planned.sku, status, line_item = %req.line_item_id, "generation requested");
    Ok((
        StatusCode::ACCEPTED,
        Json(GenerationAccepted {
            job_id,
            sku: planned.sku,
            status: status.to_owned(),
        }),
    ))
}
