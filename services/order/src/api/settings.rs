//! Tenant print settings: the printer and slicer settings every GridFlock
//! plate of the tenant is planned and sliced with.

use super::TenantId;
use crate::AppState;
use axum::extract::{Path, State};
use service_common::contracts::PrintSettings;
use service_common::{ApiResult, FieldError, Json, Problem};
use sqlx::PgPool;
use uuid::Uuid;

/// Filament types the slicer profiles know.
pub const FILAMENTS: &[&str] = &["PLA", "PETG", "ABS", "ASA", "TPU", "PA"];

/// The tenant's settings, defaults when none were stored.
pub async fn of_tenant(pool: &PgPool, tenant_id: Uuid) -> Result<PrintSettings, sqlx::Error> {
    let stored: Option<Option<serde_json::Value>> =
        sqlx::query_scalar("SELECT print_settings FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?;
    Ok(stored
        .flatten()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

fn validate(s: &PrintSettings) -> Result<(), Problem> {
    let mut errors = Vec::new();
    if gridflock_core::printers::find(&s.printer_profile).is_none() {
        let ids: Vec<&str> = gridflock_core::printers::PRINTERS
            .iter()
            .map(|p| p.id)
            .collect();
        errors.push(FieldError::new(
            "printerProfile",
            format!("must be one of {}", ids.join(", ")),
        ));
    }
    if !(0.2..=1.0).contains(&s.nozzle_diameter_mm) {
        errors.push(FieldError::new(
            "nozzleDiameterMm",
            format!("is {}; must be in 0.2..=1.0 mm", s.nozzle_diameter_mm),
        ));
    }
    let max_layer = 0.8 * s.nozzle_diameter_mm;
    if !(0.05..=max_layer).contains(&s.layer_height_mm) {
        errors.push(FieldError::new(
            "layerHeightMm",
            format!(
                "is {}; must be in 0.05..={max_layer:.2} mm (0.8 × nozzle)",
                s.layer_height_mm
            ),
        ));
    }
    if s.infill_percent > 100 {
        errors.push(FieldError::new(
            "infillPercent",
            format!("is {}; must be in 0..=100", s.infill_percent),
        ));
    }
    if !FILAMENTS.contains(&s.filament.as_str()) {
        errors.push(FieldError::new(
            "filament",
            format!("must be one of {}", FILAMENTS.join(", ")),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(errors))
    }
}

async fn store(pool: &PgPool, tenant_id: Uuid, settings: &PrintSettings) -> ApiResult<()> {
    validate(settings)?;
    let value = serde_json::to_value(settings).map_err(Problem::internal)?;
    let updated =
        sqlx::query("UPDATE tenants SET print_settings = $2, updated_at = now() WHERE id = $1")
            .bind(tenant_id)
            .bind(value)
            .execute(pool)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(Problem::not_found(format!("tenant {tenant_id}")));
    }
    Ok(())
}

/// `GET /api/v1/settings/print`.
pub async fn get(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
) -> ApiResult<Json<PrintSettings>> {
    Ok(Json(of_tenant(&state.pool, tenant).await?))
}

/// `PUT /api/v1/settings/print`.
pub async fn put(
    State(state): State<AppState>,
    TenantId(tenant): TenantId,
    Json(settings): Json<PrintSettings>,
) -> ApiResult<Json<PrintSettings>> {
    store(&state.pool, tenant, &settings).await?;
    Ok(Json(settings))
}

/// `GET /internal/tenants/{id}/print-settings`.
pub async fn get_internal(
    State(state): State<AppState>,
    Path(tenant): Path<Uuid>,
) -> ApiResult<Json<PrintSettings>> {
    Ok(Json(of_tenant(&state.pool, tenant).await?))
}

/// `PUT /internal/tenants/{id}/print-settings`.
pub async fn put_internal(
    State(state): State<AppState>,
    Path(tenant): Path<Uuid>,
    Json(settings): Json<PrintSettings>,
) -> ApiResult<Json<PrintSettings>> {
    store(&state.pool, tenant, &settings).await?;
    Ok(Json(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(validate(&PrintSettings::default()).is_ok());
        let bad = PrintSettings {
            printer_profile: "ultimaker-9000".into(),
            nozzle_diameter_mm: 0.4,
            layer_height_mm: 0.4,
            infill_percent: 101,
            filament: "wood".into(),
        };
        let problem = validate(&bad).expect_err("invalid");
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "printerProfile",
                "layerHeightMm",
                "infillPercent",
                "filament"
            ]
        );
    }
}
