//! Storefront endpoints: the plan of a size, and the plates themselves as
//! one STL (plates side by side) or a 3MF (one object per plate).

use crate::AppState;
use crate::input::{Choice, DEFAULT_PRINTER_PROFILE, Planned, parse_connector};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gridflock_core::{Mesh, Plan, printers};
use serde::{Deserialize, Serialize};
use service_common::contracts::ConnectorType;
use service_common::{ApiResult, FieldError, Json, Problem};
use std::sync::Arc;

/// File formats of the preview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Binary STL, every plate in one solid.
    #[default]
    Stl,
    /// 3MF, every plate its own object.
    #[serde(rename = "3mf")]
    ThreeMf,
}

/// Body of `POST /api/v1/gridflock/preview`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    width_mm: f64,
    height_mm: f64,
    #[serde(default)]
    connector_type: Option<ConnectorType>,
    #[serde(default)]
    magnets: Option<bool>,
    #[serde(default)]
    printer_profile: Option<String>,
    #[serde(default)]
    format: Format,
}

/// `POST /api/v1/gridflock/preview`.
pub async fn preview(
    State(app): State<AppState>,
    Json(req): Json<PreviewRequest>,
) -> ApiResult<Response> {
    let choice = Choice {
        width_mm: req.width_mm,
        height_mm: req.height_mm,
        connector: req
            .connector_type
            .unwrap_or(ConnectorType::IntersectionPuzzle),
        magnets: req.magnets.unwrap_or(false),
        printer_profile: req
            .printer_profile
            .unwrap_or_else(|| DEFAULT_PRINTER_PROFILE.to_owned()),
    };
    let max = f64::from(app.config.preview_max_mm);
    let too_large: Vec<FieldError> = [("widthMm", req.width_mm), ("heightMm", req.height_mm)]
        .into_iter()
        .filter(|(_, v)| *v > max)
        .map(|(field, v)| {
            FieldError::new(
                field,
                format!("is {v}; allowed 42 to {max} mm for a preview"),
            )
        })
        .collect();
    if !too_large.is_empty() {
        return Err(Problem::invalid(too_large));
    }
    let planned = choice.plan("printerProfile").map_err(Problem::invalid)?;
    let sku = planned.sku.clone();
    let format = req.format;
    let plan = Arc::new(planned.plan);
    let bytes = app
        .generator
        .run(move || -> Result<Vec<u8>, String> {
            let meshes = gridflock_core::build(&plan);
            match format {
                Format::Stl => Ok(gridflock_core::export::stl::binary(
                    &gridflock_core::export::arrange::side_by_side(&meshes),
                )),
                Format::ThreeMf => {
                    let names: Vec<String> =
                        (1..=meshes.len()).map(|n| format!("Plate {n}")).collect();
                    let objects: Vec<(&str, &Mesh)> = names
                        .iter()
                        .map(String::as_str)
                        .zip(meshes.iter())
                        .collect();
                    gridflock_core::export::threemf::write(&objects).map_err(|e| e.to_string())
                }
            }
        })
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?;
    let (content_type, extension) = match format {
        Format::Stl => ("model/stl", "stl"),
        Format::ThreeMf => ("model/3mf", "3mf"),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{sku}-preview.{extension}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Query of `GET /api/v1/gridflock/plan` (parsed by hand so that a bad
/// value is a 422 naming its parameter).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanQuery {
    width_mm: Option<String>,
    height_mm: Option<String>,
    connector_type: Option<String>,
    magnets: Option<String>,
    printer_profile: Option<String>,
}

fn number(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> f64 {
    const ALLOWED: &str = "allowed a number of mm from 42 to 2000";
    match raw.map(str::trim) {
        None | Some("") => {
            errors.push(FieldError::new(field, format!("is missing; {ALLOWED}")));
            f64::NAN
        }
        Some(text) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                errors.push(FieldError::new(field, format!("is {text:?}; {ALLOWED}")));
                f64::NAN
            }
        },
    }
}

impl PlanQuery {
    fn choice(&self) -> Result<Choice, Vec<FieldError>> {
        let mut errors = Vec::new();
        let width_mm = number(&mut errors, "widthMm", self.width_mm.as_deref());
        let height_mm = number(&mut errors, "heightMm", self.height_mm.as_deref());
        let connector = match self.connector_type.as_deref() {
            None | Some("") => ConnectorType::IntersectionPuzzle,
            Some(raw) => parse_connector("connectorType", raw).unwrap_or_else(|e| {
                errors.push(e);
                ConnectorType::IntersectionPuzzle
            }),
        };
        let magnets = match self.magnets.as_deref().map(str::trim) {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                errors.push(FieldError::new(
                    "magnets",
                    format!("is {other:?}; allowed true or false"),
                ));
                false
            }
        };
        let printer_profile = self
            .printer_profile
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .unwrap_or(DEFAULT_PRINTER_PROFILE)
            .to_owned();
        if errors.is_empty() {
            Ok(Choice {
                width_mm,
                height_mm,
                connector,
                magnets,
                printer_profile,
            })
        } else {
            Err(errors)
        }
    }
}

/// A plate in the plan summary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlateSummary {
    number: u32,
    /// Column of plates, from 0 at the west.
    column: u32,
    /// Row within the column, from 0 at the south.
    row: u32,
    width_mm: f64,
    depth_mm: f64,
    cells: Cells,
}

/// Cell columns and rows (filler cells count as cells).
#[derive(Debug, Serialize)]
pub struct Cells {
    columns: u32,
    rows: u32,
}

/// Answer of `GET /api/v1/gridflock/plan`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    sku: String,
    /// Hash of the plan alone; product mappings hash it together with the
    /// tenant's slicer settings.
    plan_hash: String,
    width_mm: f64,
    height_mm: f64,
    printer_profile: String,
    bed_mm: [f64; 2],
    plate_count: usize,
    cells: Cells,
    plates: Vec<PlateSummary>,
}

fn mm(um: i64) -> f64 {
    um as f64 / 1000.0
}

fn summary(planned: &Planned, printer_profile: &str) -> PlanSummary {
    let plan: &Plan = &planned.plan;
    PlanSummary {
        sku: planned.sku.clone(),
        plan_hash: gridflock_core::hash::plan_hash(plan, ""),
        width_mm: mm(plan.size_um[0]),
        height_mm: mm(plan.size_um[1]),
        printer_profile: printers::find(printer_profile)
            .map_or(printer_profile, |p| p.id)
            .to_owned(),
        bed_mm: [mm(plan.bed_um[0]), mm(plan.bed_um[1])],
        plate_count: plan.plates.len(),
        cells: Cells {
            columns: plan.columns_um.len() as u32,
            rows: plan.rows_um.len() as u32,
        },
        plates: plan
            .plates
            .iter()
            .map(|p| PlateSummary {
                number: p.number,
                column: p.column,
                row: p.row,
                width_mm: mm(p.size_um[0]),
                depth_mm: mm(p.size_um[1]),
                cells: Cells {
                    columns: p.cells_x[1] - p.cells_x[0],
                    rows: p.cells_y[1] - p.cells_y[0],
                },
            })
            .collect(),
    }
}

/// `GET /api/v1/gridflock/plan?widthMm=&heightMm=&connectorType=&magnets=&printerProfile=`.
pub async fn plan_summary(Query(q): Query<PlanQuery>) -> ApiResult<Json<PlanSummary>> {
    let choice = q.choice().map_err(Problem::invalid)?;
    let planned = choice.plan("printerProfile").map_err(Problem::invalid)?;
    Ok(Json(summary(&planned, &choice.printer_profile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_errors_name_every_bad_parameter() {
        let q = PlanQuery {
            width_mm: Some("wide".to_owned()),
            height_mm: None,
            connector_type: Some("glue".to_owned()),
            magnets: Some("maybe".to_owned()),
            printer_profile: None,
        };
        let fields: Vec<String> = q
            .choice()
            .expect_err("bad")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["widthMm", "heightMm", "connectorType", "magnets"]);
    }
}
